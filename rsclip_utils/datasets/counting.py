"""Counting set reader: a tab-separated ``counts.tsv`` (``filename, category, count, caption``).

Introduced in notebook 00; used by the counting evaluation in 06. RemoteCount (the paper's
counting benchmark, 947 DOTA-val pairs with counts 1..10) was not released, so the embedded COUNT
set defines this small format; a re-created RemoteCount can be written in it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ..records import Record
from ._common import ImageIndex, ReadResult, finish_record
from .read_report import ReadReport

COLUMNS = ("filename", "category", "count", "caption")


def read_count_tsv(
    tsv_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "count",
    split: str = "test",
    strict: bool = True,
) -> ReadResult:
    """One record per row; ``extra`` holds ``count`` and ``category``, ``captions`` the caption.

    ``image_dir`` defaults to an ``images`` folder beside the file.
    """
    tsv_path = Path(tsv_path)
    images = ImageIndex(Path(image_dir) if image_dir else tsv_path.parent / "images")
    report = ReadReport(source=source, strict=strict)
    report.files = 1
    records = []
    with tsv_path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header is None or tuple(header[:4]) != COLUMNS:
            report.malformed(tsv_path, 1, f"header {header}", "\t".join(COLUMNS))
            return ReadResult(records, report)
        for lineno, row in enumerate(reader, 2):
            if not row:
                continue
            if len(row) != 4 or not row[2].isdigit() or int(row[2]) < 1:
                report.malformed(
                    tsv_path,
                    lineno,
                    f"row {row}",
                    "filename, category, a count >= 1 and a caption, tab-separated",
                )
                continue
            filename, category, count, caption = row
            image_path = images.locate(filename, False)
            record = Record(
                image=str(image_path),
                source=source,
                image_id=Path(filename).stem,
                split=split,
                captions=[caption],
                label=category,
                annotation=str(tsv_path),
                extra={"count": int(count), "category": category},
            )
            records.append(finish_record(record, report, None, image_path))
    return ReadResult(records, report)
