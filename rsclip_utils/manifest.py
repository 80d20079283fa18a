"""The manifest: the project's one table of image-caption pairs, and the only code that reads or
writes it.

Introduced in notebook 03 (Box-to-Caption writes it), filtered by notebook 04 (de-duplication)
and notebook 06 (the data ablation), read by notebook 05 (training). A manifest is a
tab-separated file with a header and one row per caption::

    filepath    title    source    image_id    split

``filepath`` and ``title`` are the columns open_clip's trainer reads
(``python -m open_clip_train.main --dataset-type csv --csv-separator $'\\t'
--csv-img-key filepath --csv-caption-key title``), so the file trains there as it is. A file
with only those two columns (someone else's manifest) reads too; the other columns are then
empty.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from .errors import FormatError

COLUMNS = ("filepath", "title", "source", "image_id", "split")
REQUIRED = ("filepath", "title")


class ManifestRow(NamedTuple):
    """One image-caption pair."""

    filepath: str
    title: str
    source: str = ""
    image_id: str = ""
    split: str = ""


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """Every row of a manifest. A missing header column, or a row with more or fewer fields
    than the header, raises a :class:`~rsclip_utils.errors.FormatError` naming file and line."""
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t")
        header = next(reader, None)
        if header is None:
            raise FormatError(path, 1, "empty manifest", f"a header with {'/'.join(COLUMNS)}")
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise FormatError(path, 1, f"header {header} lacks {'/'.join(missing)}",
                              f"a tab-separated header with {'/'.join(COLUMNS)}")
        where = [header.index(c) if c in header else None for c in COLUMNS]
        rows = []
        for row in reader:
            if len(row) != len(header):
                raise FormatError(path, reader.line_num, f"{len(row)} fields",
                                  f"{len(header)} tab-separated fields as in the header")
            rows.append(ManifestRow(*(row[i] if i is not None else "" for i in where)))
    return rows


def write_manifest_rows(path: str | Path, rows: Iterable[Sequence[str]]) -> int:
    """Write rows (:class:`ManifestRow` or 5-tuples in :data:`COLUMNS` order) as a manifest;
    returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path}: a row of {len(row)} fields, expected {COLUMNS}")
            writer.writerow(row)
            n += 1
    return n


def select_rows(rows: Iterable[ManifestRow], sources: Iterable[str] | None = None,
                splits: Iterable[str] | None = None,
                drop_images: Iterable[str] | None = None) -> list[ManifestRow]:
    """The rows of the given sources and splits (None: all), without the images in
    ``drop_images``; order kept."""
    sources = set(sources) if sources is not None else None
    splits = set(splits) if splits is not None else None
    drop = set(drop_images or ())
    return [r for r in rows if (sources is None or r.source in sources)
            and (splits is None or r.split in splits) and r.filepath not in drop]


def images(rows: Iterable[ManifestRow]) -> dict[str, str]:
    """Each distinct image of the rows, in first-seen order, with the source of its first row."""
    out: dict[str, str] = {}
    for r in rows:
        out.setdefault(r.filepath, r.source)
    return out


__all__ = ["COLUMNS", "ManifestRow", "images", "read_manifest", "select_rows",
           "write_manifest_rows"]
