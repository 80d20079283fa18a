"""The manifest: the project's one table of image-caption pairs, and the only code that reads or
writes it.

Introduced in notebook 03 (Box-to-Caption writes it), filtered by notebook 04 (de-duplication)
and notebook 06 (the data ablation), read by notebook 05 (training). A manifest is a
tab-separated file with a header and one row per caption::

    filepath    title    source    image_id    split

``filepath`` and ``title`` are the columns open_clip's trainer reads
(``python -m open_clip_train.main --dataset-type csv --csv-separator $'\\t'
--csv-img-key filepath --csv-caption-key title``), so the file trains there as it is, started in
the folder that holds the manifest: an image inside the run folder is written relative to the
manifest's folder (the run folder can be moved or copied), an image elsewhere (the data root)
with its absolute path (:func:`rsclip_utils.paths.portable`). :func:`read_manifest` gives every
path absolute again. A file with only those two columns (someone else's manifest) reads too; the
other columns are then empty.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from .atomic import atomic_path
from .errors import FormatError
from .paths import portable, resolved, run_folder_of

COLUMNS = ("filepath", "title", "source", "image_id", "split")
REQUIRED = ("filepath", "title")


class ManifestRow(NamedTuple):
    """One image-caption pair."""

    filepath: str
    title: str
    source: str = ""
    image_id: str = ""
    split: str = ""


# pandas' default missing-value strings (pandas.read_csv, ``na_values``): open_clip's CsvDataset
# reads the manifest with pandas, so a caption equal to one of these would come back as NaN
MISSING_LOOKING = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan",
                             "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
                             "n/a", "nan", "null"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


_LINE_BREAKING = re.compile(r"[\t\n\r\v\f\x1c-\x1f\x85\u2028\u2029]")


def clean_title(text: str) -> str:
    """A caption on one line: each tab, line or page break a space (nothing else changes)."""
    return _LINE_BREAKING.sub(" ", str(text))


def row_problem(row: Sequence[str]) -> str | None:
    """Why a row cannot be written so that every TSV reader, and open_clip's CsvDataset (pandas),
    reads it back exactly; None when it can. The caption is taken as :func:`clean_title` makes
    it."""
    filepath, title = str(row[0]), clean_title(row[1])
    if not filepath.strip():
        return "an empty file path"
    if _CONTROL.search(filepath):
        return f"a control character in the file path {filepath!r}"
    if title.strip() in MISSING_LOOKING:
        return f"a caption that reads as a missing value ({str(row[1])!r})"
    if _CONTROL.search(title):
        return f"a control character in the caption {title!r}"
    return None


def read_manifest(path: str | Path) -> list[ManifestRow]:
    """Every row of a manifest. A missing header column, or a row with more or fewer fields
    than the header, raises a :class:`~rsclip_utils.errors.FormatError` naming file and line."""
    path = Path(path)
    run_dir = run_folder_of(path)
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
            values = [row[i] if i is not None else "" for i in where]
            values[0] = resolved(values[0], path, run_dir)
            rows.append(ManifestRow(*values))
    return rows


def write_manifest_rows(path: str | Path, rows: Iterable[Sequence[str]]) -> int:
    """Write rows (:class:`ManifestRow` or 5-tuples in :data:`COLUMNS` order) as a manifest;
    returns how many were written. Captions are put on one line (:func:`clean_title`); a row
    that no reader would read back exactly (:func:`row_problem`) raises ``ValueError`` naming
    the row, its source and image, and nothing is left at ``path``."""
    path = Path(path)
    run_dir = run_folder_of(path)
    n = 0
    with atomic_path(path) as partial, partial.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            if len(row) != len(COLUMNS):
                raise ValueError(f"{path}: a row of {len(row)} fields, expected {COLUMNS}")
            problem = row_problem(row)
            if problem:
                raise ValueError(f"{path}: row {n + 1} (source {row[2]!r}, image {row[3]!r}, "
                                 f"{row[0]}): {problem}")
            writer.writerow([portable(str(row[0]), path, run_dir), clean_title(row[1]),
                             *row[2:]])
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


__all__ = ["COLUMNS", "MISSING_LOOKING", "ManifestRow", "clean_title", "images", "read_manifest",
           "row_problem", "select_rows", "write_manifest_rows"]
