"""NWPU VHR-10 ``ground truth/NNN.txt`` reader. Introduced in notebook 00.

One box per line, ``(x1,y1),(x2,y2),a`` with (x1, y1) the top-left and (x2, y2) the bottom-right
pixel and ``a`` the class number 1..10 (the official readme.txt gives the names below). Blank
lines and trailing spaces occur in the official files and are skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..records import ObjectAnnotation, Record
from . import values
from ._common import ImageIndex, ReadResult, default_dir, finish_record, list_files, valid_box
from .file_text import read_text
from .read_report import ReadReport

NWPU_CLASSES = {
    1: "airplane",
    2: "ship",
    3: "storage tank",
    4: "baseball diamond",
    5: "tennis court",
    6: "basketball court",
    7: "ground track field",
    8: "harbor",
    9: "bridge",
    10: "vehicle",
}
_LINE = re.compile(
    r"^\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*,\s*\(\s*(-?\d+)\s*,\s*(-?\d+)\s*\)\s*,\s*(\d+)$"
)
EXPECTED_LINE = "'(x1,y1),(x2,y2),class' with class 1..10"


def read_nwpu_vhr10(
    gt_dir: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "nwpu_vhr10",
    split: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read every ``*.txt`` of the official ``ground truth`` folder.

    Images default to the official ``positive image set`` folder beside it (``NNN.jpg``).
    """
    gt_dir = Path(gt_dir)
    image_dir = (
        Path(image_dir) if image_dir else default_dir([gt_dir.parent / "positive image set"])
    )
    images = ImageIndex(image_dir)
    report = ReadReport(source=source, strict=strict)
    records = []
    for path in list_files(gt_dir, "*.txt", report, "NWPU VHR-10's ground truth folder"):
        report.files += 1
        text = read_text(path, report) or ""
        objects, lines = [], []
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            m = _LINE.match(line)
            if not m:
                report.malformed(path, lineno, f"cannot read {line!r}", EXPECTED_LINE)
                continue
            try:
                x1, y1, x2, y2 = (int(values.number(v, "corner")) for v in m.groups()[:4])
            except ValueError as e:
                report.malformed(path, lineno, f"{e} in {line!r}", EXPECTED_LINE)
                continue
            cls = int(m.group(5))
            if cls not in NWPU_CLASSES:
                report.malformed(path, lineno, f"class {cls}", EXPECTED_LINE)
                continue
            if not valid_box((x1, y1, x2, y2)):
                report.malformed(
                    path,
                    lineno,
                    f"corner 2 above/left of corner 1 in {line!r}",
                    "x1 <= x2 and y1 <= y2",
                )
                continue
            objects.append(ObjectAnnotation(NWPU_CLASSES[cls], (x1, y1, x2, y2)))
            lines.append(lineno)
        if not objects:
            report.note("no_objects", path, None, "no box in this file")
        image_path = images.locate(f"{path.stem}.jpg")
        record = Record(
            image=str(image_path),
            source=source,
            image_id=path.stem,
            split=split,
            objects=objects,
            annotation=str(path),
        )
        records.append(finish_record(record, report, lines, image_path))
    return ReadResult(records, report)
