"""Where things are: the repository, the run folders, the real-data samples.

Introduced in notebook 00.
"""

from __future__ import annotations

import os
from pathlib import Path

REALDATA_ENV = "RSCLIP_REALDATA"


def repo_root() -> Path:
    """The checkout this package is installed from (editable install), else the working folder."""
    here = Path(__file__).resolve().parents[1]
    return here if (here / "pyproject.toml").is_file() else Path.cwd()


def find_realdata(hint: str | Path | None = None) -> Path | None:
    """The folder of real samples (``../shared/realdata`` beside the checkout), or None.

    Looked for in ``$RSCLIP_REALDATA``, then ``hint``, then beside the repository."""
    candidates = [os.environ.get(REALDATA_ENV), hint, repo_root().parent / "shared" / "realdata"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c).resolve()
    return None


def resolve_run_dir(run_dir: str | Path, profile: str) -> Path:
    """An absolute run folder; an empty value means ``runs/<profile>`` in the repository."""
    path = Path(run_dir) if run_dir else repo_root() / "runs" / profile
    path = path if path.is_absolute() else (Path.cwd() / path)
    path = path.resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
