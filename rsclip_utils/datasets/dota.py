"""DOTA v1 ``labelTxt`` reader (DOTA, and the DOTA-style split patches of mmrotate).

Introduced in notebook 00. One text file per image; optional header lines
``imagesource:...`` and ``gsd:...``; then one object per line::

    x1 y1 x2 y2 x3 y3 x4 y4 class difficult

The four vertices are an oriented box in pixel coordinates. The horizontal box is the inclusive
pixel extent of the vertices, clipped to the image; the polygon is kept as given. ``difficult``
may be absent (some tools write 9 fields). A file that holds nothing is noted ``empty_file``; one
with lines but no object (the header alone) ``no_objects``, as the VOC reader notes its files.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..records import ObjectAnnotation, Record, polygon_to_box
from . import values
from ._common import ImageIndex, ReadResult, default_dir, finish_record, list_files
from .file_text import read_text
from .read_report import ReadReport

_HEADER = re.compile(r"^(imagesource|gsd)\s*:\s*(.*)$", re.IGNORECASE)
EXPECTED_LINE = "'x1 y1 x2 y2 x3 y3 x4 y4 class [difficult]' or a header 'imagesource:'/'gsd:'"


def parse_dota_file(
    path: Path, report: ReadReport
) -> tuple[list[ObjectAnnotation], list[int], dict]:
    """Objects, their line numbers and the header fields of one labelTxt file."""
    objects: list[ObjectAnnotation] = []
    lines: list[int] = []
    header: dict[str, str] = {}
    text = read_text(path, report)
    if text is None:
        return objects, lines, header
    if not text.strip():
        report.note("empty_file", path, None, "label file holds no objects")
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        m = _HEADER.match(line)
        if m:
            header[m.group(1).lower()] = m.group(2).strip()
            continue
        parts = line.split()
        if len(parts) not in (9, 10):
            report.malformed(path, lineno, f"{len(parts)} fields in {line!r}", EXPECTED_LINE)
            continue
        try:
            coords = values.numbers(parts[:8], "vertex")
            label = values.class_name(parts[8])
        except ValueError as e:
            report.malformed(path, lineno, f"{e} in {line!r}", EXPECTED_LINE)
            continue
        difficult = False
        if len(parts) == 10:
            if parts[9] not in ("0", "1"):
                report.malformed(
                    path, lineno, f"difficult flag {parts[9]!r}", "difficult flag 0 or 1"
                )
                continue
            difficult = parts[9] == "1"
        xs, ys = coords[0::2], coords[1::2]
        objects.append(
            ObjectAnnotation(
                label=label, box=polygon_to_box(xs, ys), polygon=[coords], difficult=difficult
            )
        )
        lines.append(lineno)
    if text.strip() and not objects:  # a header alone (or only malformed lines), as VOC's reader
        report.note("no_objects", path, None, "no object line in this label file")
    return objects, lines, header


def read_dota(
    label_dir: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "dota",
    split: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read every ``*.txt`` in a DOTA ``labelTxt`` folder.

    ``image_dir`` defaults to the sibling ``images`` folder. A label whose image is missing is
    kept (its size is then unknown) and reported.
    """
    label_dir = Path(label_dir)
    image_dir = Path(image_dir) if image_dir else default_dir([label_dir.parent / "images"])
    images = ImageIndex(image_dir)
    report = ReadReport(source=source, strict=strict)
    records = []
    for path in list_files(label_dir, "*.txt", report, "a DOTA labelTxt folder"):
        report.files += 1
        objects, lines, header = parse_dota_file(path, report)
        image_path = images.locate(path.stem + ".png")
        record = Record(
            image=str(image_path),
            source=source,
            image_id=path.stem,
            split=split,
            objects=objects,
            annotation=str(path),
            extra=header,
        )
        records.append(finish_record(record, report, lines, image_path))
    return ReadResult(records, report)
