"""Counting set format: a tab-separated ``counts.tsv`` (``filename, category, count, caption``),
read and written here.

Introduced in notebook 00; used by the counting evaluation in 06. RemoteCount (the paper's
counting benchmark, 947 DOTA-val pairs with counts 1..10) was not released, so the embedded COUNT
set defines this small format; the RemoteCount-like set built from DOTA val
(:mod:`~rsclip_utils.datasets.remotecount`) is written in it by :func:`write_count_tsv`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from ..records import Record
from . import values
from ._common import ImageIndex, ReadResult, finish_record
from .file_text import read_text
from .read_report import ReadReport

COLUMNS = ("filename", "category", "count", "caption")


class CountRow(NamedTuple):
    """One row of ``counts.tsv``: the image's file name, the counted class, how many, the
    caption (holding the count as a number word for the counting rewrite)."""

    filename: str
    category: str
    count: int
    caption: str


def count_tsv_text(rows: Iterable[CountRow]) -> str:
    """The text of a ``counts.tsv`` holding ``rows`` (header first), as :func:`read_count_tsv`
    reads it back unchanged. A field that is empty, has spaces around it or holds a tab, a line
    break or a double quote (the reader's quote character), or a count that is not a whole
    number >= 1, raises naming the row."""
    lines = ["\t".join(COLUMNS)]
    for i, row in enumerate(rows, 1):
        row = CountRow(*row)
        if isinstance(row.count, bool) or not isinstance(row.count, int) or row.count < 1:
            raise ValueError(f"counts.tsv row {i}: count {row.count!r} is not a whole number >= 1")
        fields = [row.filename, row.category, str(row.count), row.caption]
        if any(not f.strip() or f != f.strip() or any(c in f for c in '\t\r\n"')
               for f in fields):
            raise ValueError(f"counts.tsv row {i} {fields}: a field that is empty, has spaces "
                             "around it, or holds a tab, line break or double quote")
        lines.append("\t".join(fields))
    return "\n".join(lines) + "\n"


def write_count_tsv(rows: Iterable[CountRow], path: str | Path) -> Path:
    """Write ``rows`` as ``counts.tsv`` at ``path``, atomically (a partial file never takes its
    place). Introduced in notebook 00 for the RemoteCount-like set."""
    path = Path(path)
    text = count_tsv_text(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


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
