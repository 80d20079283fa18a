"""Scene-classification folders (AID, RSSCN7, RESISC45, ... and the embedded CLS set), and the
official RSICD class lists. Introduced in notebook 00; used for zero-shot and linear probes in 06.

Split rule (the paper, for datasets without an official split): per class, files sorted by name,
the first 80 % train, the rest test. "Sorted by name" is Python's ``sorted`` on the file names
(plain code-point order, so ``airport_10`` comes before ``airport_2``); the number of training
files is ``floor(train_fraction * n)``.

What a class folder holds besides its images, and what happens to it (nothing is skipped
without a line in the report):

- image extensions are matched whatever their case (``x.JPG``, ``x.Tif``);
- a sub-folder (``Airport/more/x.jpg``) belongs to its class: its images are read as that
  class, at any depth, and each sub-folder is noted once (``nested_folder``); they take part in
  the split sorted by their path inside the class folder (``more/x.jpg``), so a class without
  sub-folders splits exactly as before;
- a hidden folder (``.ipynb_checkpoints``, ``.thumbnails``) or ``__MACOSX`` is not read and is
  noted (``skipped_folder``), as is a folder reached again through a link;
- a file that is not an image is noted (``not_an_image``), and so is a file lying in the root
  beside the class folders (``not_in_class``: it has no class).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from ..records import Record
from ._common import IMAGE_EXTENSIONS, ReadResult, finish_record, list_files
from .file_text import read_text
from .read_report import ReadReport


def split_counts(n: int, train_fraction: float = 0.8) -> tuple[int, int]:
    """(train, test) sizes of a class with ``n`` files under the 8:2 rule."""
    n_train = math.floor(train_fraction * n + 1e-9)
    return n_train, n - n_train


def _skipped_folder(name: str) -> bool:
    return name.startswith(".") or name == "__MACOSX"


def _class_images(class_dir: Path, report: ReadReport) -> list[tuple[str, Path]]:
    """(path inside the class folder, file) of every image in a class folder and its
    sub-folders, sorted by that path; everything else noted."""
    found: list[tuple[str, Path]] = []
    seen = {os.path.realpath(class_dir)}

    def walk(folder: Path, prefix: str) -> None:
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            if p.is_dir():
                real = os.path.realpath(p)
                if _skipped_folder(p.name) or real in seen:
                    why = ("a folder reached again through a link" if real in seen
                           else "a hidden or system folder")
                    report.note("skipped_folder", p, None, f"{why}; not read")
                    continue
                seen.add(real)
                before = len(found)
                walk(p, f"{prefix}{p.name}/")
                report.note("nested_folder", p, None,
                            f"sub-folder of class {class_dir.name!r}: its "
                            f"{len(found) - before} image(s) read as class {class_dir.name!r}")
            elif p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS:
                found.append((f"{prefix}{p.name}", p))
            elif p.is_file():
                report.note("not_an_image", p, None,
                            f"extension {p.suffix or '(none)'!r} is not one of the image "
                            f"extensions read ({', '.join(IMAGE_EXTENSIONS)}); skipped")
            else:
                report.note("not_an_image", p, None, "neither a file nor a folder; skipped")

    walk(class_dir, "")
    return sorted(found, key=lambda t: t[0])


def read_scene_folders(
    root: str | Path, *, source: str | None = None, train_fraction: float = 0.8, strict: bool = True
) -> ReadResult:
    """One record per image of ``root/<class>/<file>`` (and of the class folder's sub-folders,
    see the module docstring), labelled by folder, split 8:2 per class.

    Files that are not images (by extension, any case) are listed in the report, not read; a
    class folder holding no image, and a root holding no class folder, are noted
    (``empty_folder``); a root that does not exist is malformed.
    """
    root = Path(root)
    report = ReadReport(source=source or root.name, strict=strict)
    records = []
    if not root.is_dir():
        report.malformed(root, None, "no such folder", "a folder of class folders of images")
        return ReadResult(records, report)
    classes = []
    for p in sorted(root.iterdir()):
        if p.is_dir() and not _skipped_folder(p.name):
            classes.append(p)
        elif p.is_dir():
            report.note("skipped_folder", p, None, "a hidden or system folder; not a class")
        else:
            report.note("not_in_class", p, None,
                        "a file beside the class folders belongs to no class; skipped")
    if not classes:
        report.note("empty_folder", root, None, "no class folder in this folder")
    for class_dir in classes:
        files = _class_images(class_dir, report)
        if not files:
            report.note("empty_folder", class_dir, None,
                        f"class {class_dir.name!r} has no image; it is not a class of this set")
        n_train, _ = split_counts(len(files), train_fraction)
        for i, (inside, p) in enumerate(files):
            report.files += 1
            record = Record(
                image=str(p),
                source=report.source,
                image_id=f"{class_dir.name}/{Path(inside).with_suffix('').as_posix()}",
                split="train" if i < n_train else "test",
                label=class_dir.name,
                annotation=str(class_dir),
            )
            records.append(finish_record(record, report, None, p))
    return ReadResult(records, report)


def read_rsicd_class_lists(
    folder: str | Path, image_dir: str | Path | None = None, *, strict: bool = True
) -> ReadResult:
    """The official RSICD ``<Class>.txt`` lists (one image file name per line) as records."""
    folder = Path(folder)
    report = ReadReport(source="rsicd_classes", strict=strict)
    records = []
    for path in list_files(folder, "*.txt", report, "a folder of <Class>.txt lists"):
        report.files += 1
        for lineno, line in enumerate((read_text(path, report) or "").splitlines(), 1):
            name = line.strip()
            if not name:
                continue
            if Path(name).suffix.lower() not in IMAGE_EXTENSIONS:
                report.malformed(
                    path,
                    lineno,
                    f"{name!r} is not an image file name",
                    "one image file name per line",
                )
                continue
            image = Path(image_dir) / name if image_dir else None
            record = Record(
                image=str(image) if image else name,
                source="rsicd",
                image_id=Path(name).stem,
                label=path.stem,
                annotation=str(path),
            )
            records.append(finish_record(record, report, None, image))
    return ReadResult(records, report)
