"""Which registered datasets are present under a data root, and whether they are complete.

Introduced in notebook 00; ``python -m rsclip_utils.catalog check DIR`` prints it, and the paper
profile's preflight (:mod:`rsclip_utils.run`) refuses to start while a needed one is incomplete.
It opens what it counts: a JSON file must parse, no image, JSON or XML file may be empty, up to
five files of each folder are opened (every one with ``--all-files``: an image must decode, a web
page saved in place of data is named), and a file where a folder is expected is named as such.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

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


IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
NEVER_EMPTY = IMAGE_SUFFIXES | {".json", ".xml"}
SAMPLE = 5  # files opened per folder
FULL_DECODE_PIXELS = 4096 * 4096


def _files(folder: Path, pattern: str) -> list[tuple[Path, int]]:
    """(path, size) of each file matching ``pattern`` under ``folder``, sorted."""
    out = []
    for p in folder.glob(pattern):
        try:
            st = p.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            out.append((p, st.st_size))
    return sorted(out)


def _looks_like_html(head: bytes) -> bool:
    return head.lstrip().lower().startswith((b"<!doctype html", b"<html"))


def _decode(path: Path) -> None:
    """Raise if PIL cannot read the image: its structure (``verify``), then its pixels, which
    is what finds a JPEG cut short (a JPEG at 1/8 scale; other formats up to 16 Mpixels; larger
    ones through ``verify`` alone, which reads a PNG's chunks and their CRCs)."""
    limit = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # a huge scene (DOTA's reach 20,000 px) is data, not a bomb
    try:
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            if im.format == "JPEG":
                im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            if im.format == "JPEG" or im.width * im.height <= FULL_DECODE_PIXELS:
                im.load()
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _open_problem(path: Path) -> str | None:
    """What is wrong with a file when opened as its suffix promises (None: nothing found):
    empty, an HTML page, JSON that does not parse, an image PIL cannot decode."""
    suffix = path.suffix.lower()
    try:
        with path.open("rb") as f:
            head = f.read(512)
        if not head:
            return f"{path}: empty file (0 bytes)"
        if _looks_like_html(head) and suffix not in (".html", ".htm"):
            return f"{path}: an HTML page (a login or error page saved by mistake?), not {suffix}"
        if suffix == ".json":
            json.loads(path.read_bytes())
        elif suffix in IMAGE_SUFFIXES:
            _decode(path)
    except json.JSONDecodeError as e:
        return f"{path}:{e.lineno}: JSON does not parse ({e.msg}; expected a JSON document)"
    except (OSError, SyntaxError, ValueError) as e:  # PIL raises all three on bad bytes
        return f"{path}: not a readable {suffix} file ({type(e).__name__}: {e})"
    return None


def _sample(files: list[tuple[Path, int]], n: int | None = SAMPLE) -> list[Path]:
    """Up to ``n`` non-empty files spread evenly over the sorted list, every one when ``n`` is
    None (empty ones are named apart)."""
    full = [p for p, size in files if size]
    if n is None:
        return full
    step = max(1, len(full) // n)
    return full[::step][:n]


def _content_problems(folder: Path, files: list[tuple[Path, int]],
                      sample: int | None = SAMPLE) -> list[str]:
    """Empty images and JSON or XML files (all are counted; an empty text file can be a label
    file of an image without objects) and what a sample of the others holds (every one when
    ``sample`` is None)."""
    empty = [p for p, size in files if not size and p.suffix.lower() in NEVER_EMPTY]
    problems = [f"{folder}: {len(empty)} empty files (0 bytes), e.g. {empty[0].name}"] \
        if empty else []
    return problems + [msg for p in _sample(files, sample) if (msg := _open_problem(p))]


def _not_a_folder(path: Path, what: str) -> str:
    if path.exists():
        return f"{path}: a file stands where a folder is expected ({what})"
    return f"{path}: folder missing ({what})"


def _check_file(status: DatasetStatus, path: Path, item: dict, sample: int | None) -> None:
    what = item.get("what") or "required"
    if path.is_dir():
        status.found.append(f"{item['path']}: a FOLDER")
        status.problems.append(f"{path}: a folder stands where a file is expected ({what})")
    elif not path.is_file():
        status.found.append(f"{item['path']}: MISSING")
        status.problems.append(f"{path}: file missing ({what})")
    else:
        problem = _open_problem(path)
        status.found.append(f"{item['path']}: {'present' if not problem else 'UNREADABLE'}")
        status.problems += [problem] if problem else []


def _check_classes(status: DatasetStatus, path: Path, item: dict, sample: int | None) -> None:
    want = int(item.get("min_count", 1))
    classes = [p for p in sorted(path.iterdir()) if p.is_dir() and not p.name.startswith(".")] \
        if path.is_dir() else []
    listed = {c: _files(c, "*") for c in classes}
    n = sum(len(f) for f in listed.values())
    want_classes = int(item.get("min_classes", 2))
    status.found.append(f"{len(classes)} class folders (expected {want_classes}), "
                        f"{n} files (expected >= {want})")
    if path.exists() and not path.is_dir():
        status.problems.append(_not_a_folder(path, item.get("what") or "the class folders"))
    elif len(classes) < want_classes or n < want:
        status.problems.append(f"{path}: {len(classes)} class folders and {n} files; "
                               f"expected {want_classes} and at least {want}")
    for c, files in listed.items():
        status.problems += _content_problems(c, files, sample)


def _check_dir(status: DatasetStatus, path: Path, item: dict, sample: int | None) -> None:
    want, pattern = int(item.get("min_count", 1)), item.get("glob", "*")
    files = _files(path, pattern) if path.is_dir() else []
    status.found.append(f"{item['path']}/{pattern}: {len(files)} (expected >= {want})")
    if not path.is_dir():
        status.problems.append(_not_a_folder(path, item.get("what") or "required"))
    elif len(files) < want:
        status.problems.append(f"{path}: {len(files)} files matching {pattern}, "
                               f"expected at least {want}")
    status.problems += _content_problems(path, files, sample)


_CHECKS = {"file": _check_file, "class_folders": _check_classes, "dir": _check_dir}


def check_dataset(entry: Dataset, data_root: str | Path,
                  sample: int | None = SAMPLE) -> DatasetStatus:
    """Compare ``DATA_ROOT/<key>/`` with the entry's layout: counts, and what the files hold
    (JSON parses; no file is empty; ``sample`` files of each folder open, images decode: every
    file when ``sample`` is None, ``check --all-files``)."""
    folder = entry.folder(data_root)
    status = DatasetStatus(entry.key, "missing", str(folder))
    if folder.exists() and not folder.is_dir():
        status.state = "incomplete"
        status.problems.append(f"{folder}: a file stands where the dataset's folder is expected")
        return status
    if not folder.is_dir():
        status.problems.append(f"{folder} does not exist")
        return status
    for item in entry.layout:
        _CHECKS[item["type"]](status, folder / item["path"], item, sample)
    status.state = "incomplete" if status.problems else "complete"
    return status


def check_all(registry: dict[str, Dataset], data_root: str | Path,
              only: list[str] | None = None, sample: int | None = SAMPLE) -> list[DatasetStatus]:
    """:func:`check_dataset` for every entry (or those in ``only``; an unknown key raises)."""
    keys = only or list(registry)
    unknown = [k for k in keys if k not in registry]
    if unknown:
        raise KeyError(f"not in the registry: {', '.join(unknown)}; known: {', '.join(registry)}")
    return [check_dataset(registry[k], data_root, sample) for k in keys]


def format_statuses(statuses: list[DatasetStatus], registry: dict[str, Dataset],
                    sample: int | None = SAMPLE) -> str:
    """A plain-text table of the statuses, then what is wrong with each incomplete dataset, and
    how many files of each folder were opened."""
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
    lines.append("every file was opened" if sample is None else
                 f"up to {sample} files of each folder were opened (every file: --all-files)")
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
