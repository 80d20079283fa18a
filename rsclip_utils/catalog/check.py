"""Which registered datasets are present under a data root, and whether they are complete.

Introduced in notebook 00; ``python -m rsclip_utils.catalog check DIR`` prints it, and the paper
profile's preflight (:mod:`rsclip_utils.run`) refuses to start while a needed one is incomplete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .registry import Dataset


@dataclass
class DatasetStatus:
    """``missing`` (no folder), ``incomplete`` (a layout item short) or ``complete``; ``found``
    lists each layout item with what was found against what is expected."""

    key: str
    state: str
    folder: str
    found: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready form (``check --json``)."""
        return {"key": self.key, "state": self.state, "folder": self.folder,
                "found": self.found, "problems": self.problems}


def _count(folder: Path, pattern: str) -> int:
    return sum(1 for p in folder.glob(pattern) if p.is_file())


def check_dataset(entry: Dataset, data_root: str | Path) -> DatasetStatus:
    """Compare ``DATA_ROOT/<key>/`` with the entry's layout."""
    folder = entry.folder(data_root)
    status = DatasetStatus(entry.key, "missing", str(folder))
    if not folder.is_dir():
        status.problems.append(f"{folder} does not exist")
        return status
    for item in entry.layout:
        path = folder / item["path"]
        want = int(item.get("min_count", 1))
        if item["type"] == "file":
            ok = path.is_file()
            status.found.append(f"{item['path']}: {'present' if ok else 'MISSING'}")
            if not ok:
                status.problems.append(f"{path}: file missing ({item.get('what') or 'required'})")
            continue
        if item["type"] == "class_folders":
            classes = [p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")] \
                if path.is_dir() else []
            n = sum(_count(c, "*") for c in classes)
            want_classes = int(item.get("min_classes", 2))
            status.found.append(f"{len(classes)} class folders (expected {want_classes}), "
                                f"{n} files (expected >= {want})")
            if len(classes) < want_classes or n < want:
                status.problems.append(f"{path}: {len(classes)} class folders and {n} files; "
                                       f"expected {want_classes} and at least {want}")
            continue
        n = _count(path, item.get("glob", "*")) if path.is_dir() else 0
        status.found.append(f"{item['path']}/{item.get('glob', '*')}: {n} (expected >= {want})")
        if not path.is_dir():
            status.problems.append(f"{path}: folder missing ({item.get('what') or 'required'})")
        elif n < want:
            status.problems.append(f"{path}: {n} files matching {item.get('glob', '*')}, "
                                   f"expected at least {want}")
    status.state = "incomplete" if status.problems else "complete"
    return status


def check_all(registry: dict[str, Dataset], data_root: str | Path,
              only: list[str] | None = None) -> list[DatasetStatus]:
    """:func:`check_dataset` for every entry (or those in ``only``; an unknown key raises)."""
    keys = only or list(registry)
    unknown = [k for k in keys if k not in registry]
    if unknown:
        raise KeyError(f"not in the registry: {', '.join(unknown)}; known: {', '.join(registry)}")
    return [check_dataset(registry[k], data_root) for k in keys]


def format_statuses(statuses: list[DatasetStatus], registry: dict[str, Dataset]) -> str:
    """A plain-text table of the statuses, then what is wrong with each incomplete dataset."""
    lines = [f"{'dataset':<14} {'kind':<5} {'state':<11} folder"]
    for s in statuses:
        lines.append(f"{s.key:<14} {registry[s.key].kind:<5} {s.state:<11} {s.folder}")
    for s in statuses:
        if s.state == "incomplete":
            lines.append(f"\n{s.key}: incomplete")
            lines += [f"  - {p}" for p in s.problems]
    n = {state: sum(s.state == state for s in statuses)
         for state in ("complete", "incomplete", "missing")}
    lines.append(f"\n{n['complete']} complete, {n['incomplete']} incomplete, "
                 f"{n['missing']} missing")
    return "\n".join(lines)


# the paper's retrieval sets; the paper profile needs all three complete (Table II)
PAPER_REQUIRED = ("RSICD", "RSITMD", "UCM")


def paper_data_status(data_root: str | Path, registry: dict) -> tuple[dict, list[str]]:
    """Every registered dataset's :class:`DatasetStatus` under ``data_root``, and what keeps the
    paper profile from using the data: a dataset there but incomplete, or a RET-3 set missing.
    Shared by the preflight (:mod:`rsclip_utils.run`) and
    :func:`rsclip_utils.sources.paper_sources`."""
    statuses = {key: check_dataset(entry, data_root) for key, entry in registry.items()}
    problems = []
    for key, status in statuses.items():
        if status.state == "incomplete":
            problems += [f"{key} incomplete: {p}" for p in status.problems]
        elif status.state == "missing" and key in PAPER_REQUIRED:
            problems.append(f"{key} (needed for Table II) not found at {status.folder}: "
                            f"python -m rsclip_utils.catalog instructions {key}")
    return statuses, problems
