"""Key numbers each notebook records, and the run's ``report.md``.

Introduced in notebook 00; every notebook calls :func:`record_numbers`; the runner
(:mod:`rsclip_utils.run`) gathers them into ``report.md``.
"""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from pathlib import Path

NUMBERS_DIR = "numbers"


def record_numbers(run_dir: str | Path, notebook: str, numbers: dict) -> Path:
    """Add ``numbers`` (JSON-ready) to what ``notebook`` (e.g. ``"00_datasets"``) has recorded."""
    path = Path(run_dir) / NUMBERS_DIR / f"{notebook}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text()) if path.is_file() else {}
    current.update(numbers)
    path.write_text(json.dumps(current, indent=1, sort_keys=True, default=str))
    return path


def read_numbers(run_dir: str | Path, notebook: str) -> dict:
    """What ``notebook`` recorded in this run ({} if nothing)."""
    path = Path(run_dir) / NUMBERS_DIR / f"{notebook}.json"
    return json.loads(path.read_text()) if path.is_file() else {}


def versions(
    packages=(
        "torch",
        "torchvision",
        "open_clip_torch",
        "opencv-python-headless",
        "imagehash",
        "numpy",
        "pillow",
        "papermill",
    ),
) -> dict[str, str]:
    """Python, the platform and the versions of the main packages."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _flatten(v, key + ".")
        else:
            out.append((key, v))
    return out


def write_report(run_dir: str | Path, profile: str, results: list[dict]) -> Path:
    """``report.md``: per notebook its status, wall time and recorded numbers; the versions."""
    run_dir = Path(run_dir)
    lines = [
        f"# Run report: profile `{profile}`",
        "",
        f"Run folder: `{run_dir}`",
        "",
        "| notebook | status | wall time (s) | failed cell |",
        "|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['notebook']} | {r['status']} | {r.get('seconds', '')} | {r.get('cell', '')} |"
        )
    for r in results:
        if r["status"] == "failed":
            lines += ["", f"**{r['notebook']} failed** at cell {r.get('cell')}: {r.get('error')}"]
    for r in results:
        numbers = read_numbers(run_dir, Path(r["notebook"]).stem)
        if numbers:
            lines += ["", f"## {Path(r['notebook']).stem}", "", "| key | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in _flatten(numbers)]
    lines += ["", "## Versions", "", "| package | version |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in versions().items()]
    path = run_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path
