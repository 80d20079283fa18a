"""The manifest's one reader and writer (rsclip_utils.manifest): exact round trips, open_clip's
CsvDataset and the csv module as independent readers, errors that name file and line."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image

from rsclip_utils.errors import FormatError
from rsclip_utils.manifest import (
    COLUMNS,
    ManifestRow,
    images,
    read_manifest,
    select_rows,
    write_manifest_rows,
)

TRICKY = ['A plane "in quotes" .', "commas, and; semicolons", "ünïcödé façade",
          'a lone " quote', "  spaced  out  ", "#hash at the start"]


@pytest.fixture
def rows(tmp_path):
    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(image)
    return [ManifestRow(str(image), caption, "RSICD" if k % 2 else "DOTA", f"id{k}",
                        "train") for k, caption in enumerate(TRICKY)]


def test_rows_read_back_exactly_by_this_module_and_by_the_csv_module(rows, tmp_path):
    path = tmp_path / "m.tsv"
    assert write_manifest_rows(path, rows) == len(rows)
    assert read_manifest(path) == rows
    with path.open(encoding="utf-8", newline="") as f:
        oracle = list(csv.DictReader(f, delimiter="\t"))
    assert [tuple(r[c] for c in COLUMNS) for r in oracle] == [tuple(r) for r in rows]


def test_open_clips_csv_dataset_reads_the_manifest_as_written(rows, tmp_path):
    from open_clip.tokenizer import SimpleTokenizer
    from open_clip_train.data import CsvDataset

    path = tmp_path / "m.tsv"
    write_manifest_rows(path, rows)
    dataset = CsvDataset(str(path), transforms=lambda im: im.size, img_key="filepath",
                         caption_key="title", sep="\t", tokenizer=SimpleTokenizer())
    assert len(dataset) == len(rows)
    assert list(dataset.captions) == [r.title for r in rows]
    assert dataset[0][0] == (8, 8)


def test_a_two_column_manifest_reads_with_empty_other_columns(tmp_path):
    path = tmp_path / "theirs.tsv"
    path.write_text("title\tfilepath\na caption\t/x.png\n")
    assert read_manifest(path) == [ManifestRow("/x.png", "a caption", "", "", "")]


def test_a_header_without_title_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("filepath\tcaption\n/x.png\thello\n")
    with pytest.raises(FormatError, match=r"bad\.tsv:1: .*lacks title"):
        read_manifest(path)


def test_a_row_with_a_field_missing_names_its_line(rows, tmp_path):
    path = tmp_path / "m.tsv"
    write_manifest_rows(path, rows[:2])
    with path.open("a") as f:
        f.write("/only/a/path\n")
    with pytest.raises(FormatError, match=r"m\.tsv:4: 1 fields"):
        read_manifest(path)
    empty = tmp_path / "empty.tsv"
    empty.write_text("")
    with pytest.raises(FormatError, match="empty manifest"):
        read_manifest(empty)


def test_a_row_of_the_wrong_width_is_refused_at_write_time(tmp_path):
    with pytest.raises(ValueError, match="a row of 2 fields"):
        write_manifest_rows(tmp_path / "m.tsv", [("/x.png", "caption")])


def test_select_rows_by_source_split_and_dropped_images(rows):
    rows = rows + [ManifestRow("/other.png", "x", "DOTA", "idx", "val")]
    assert select_rows(rows, sources={"RSICD"}) == [r for r in rows if r.source == "RSICD"]
    assert select_rows(rows, splits=["val"]) == rows[-1:]
    assert select_rows(rows, drop_images={rows[0].filepath}) == rows[-1:]
    assert select_rows(rows) == rows
    assert images(rows) == {rows[0].filepath: "DOTA", "/other.png": "DOTA"}
