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


# --- paths inside run-folder outputs (notebook 02) -----------------------------------------

RUN_MARKER = ".rsclip-run"  # written at the top of every run folder by pipeline.Run


def mark_run_folder(run_dir: str | Path) -> Path:
    """Mark ``run_dir`` as a run folder (an empty file, :data:`RUN_MARKER`): paths to files
    inside it are written relative, so that the folder can be moved or copied."""
    marker = Path(run_dir) / RUN_MARKER
    if not marker.exists():
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text("rsclip_utils run folder: paths inside are relative to the file "
                          "that holds them\n")
    return marker


def run_folder_of(path: str | Path) -> Path | None:
    """The run folder holding ``path`` (the nearest folder above it with :data:`RUN_MARKER`),
    or None."""
    for folder in Path(os.path.abspath(path)).parents:
        if (folder / RUN_MARKER).is_file():
            return folder
    return None


def portable(target: str, holder: str | Path, run_dir: Path | None) -> str:
    """How ``holder`` (a manifest, a records file) writes the path ``target``: relative to
    ``holder``'s folder when both lie in the run folder ``run_dir``, else as it is (a file of
    the data root, which stays where it is when the run folder moves)."""
    if run_dir is None or not target or not os.path.isabs(target):
        return target
    target = os.path.normpath(target)
    if not target.startswith(str(run_dir) + os.sep):
        return target
    return Path(os.path.relpath(target, os.path.abspath(Path(holder).parent))).as_posix()


def resolved(value: str, holder: str | Path, run_dir: Path | None) -> str:
    """A path as ``holder`` wrote it, made absolute again when ``holder`` lies in the run folder
    ``run_dir`` (where :func:`portable` wrote it relative to ``holder``'s folder); elsewhere
    as it is (a relative path a user wrote keeps its meaning)."""
    if run_dir is None or not value or os.path.isabs(value):
        return value
    return os.path.normpath(os.path.join(os.path.abspath(Path(holder).parent), value))
