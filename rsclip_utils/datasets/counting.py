"""Counting set reader: a tab-separated ``counts.tsv`` (``filename, category, count, caption``).

Introduced in notebook 00; used by the counting evaluation in 06. RemoteCount (the paper's
counting benchmark, 947 DOTA-val pairs with counts 1..10) was not released, so the embedded COUNT
set defines this small format; a re-created RemoteCount can be written in it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..records import Record
from . import values
from ._common import ImageIndex, ReadResult, finish_record
from .file_text import read_text
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
    text = read_text(tsv_path, report)
    if text is None:
        return ReadResult(records, report)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t")
    header = next(reader, None)
    if header is None or tuple(header[:4]) != COLUMNS:
        report.malformed(tsv_path, 1, f"header {header}", "\t".join(COLUMNS))
        return ReadResult(records, report)
    for row in reader:
        lineno = reader.line_num
        if not row or not "".join(row).strip():
            continue
        try:
            if len(row) != 4:
                raise ValueError(f"{len(row)} fields")
            if not row[0].strip():
                raise ValueError("empty filename")
            if not row[2].isascii() or not row[2].isdigit() or int(row[2]) < 1:
                raise ValueError(f"count {row[2]!r} is not a whole number >= 1")
            category = values.class_name(row[1], "category")
            caption = row[3].strip()
            if not caption:
                raise ValueError("empty caption")
        except ValueError as e:
            report.malformed(
                tsv_path,
                lineno,
                f"{e} in row {row}",
                "filename, category, a count >= 1 and a caption, tab-separated",
            )
            continue
        filename, count = row[0], row[2]
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
