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


@pytest.mark.parametrize("caption", ["NA", "None", "null", "nan", "N/A", "", "  ", " NaN "])
def test_a_caption_pandas_would_read_as_missing_is_refused_naming_the_row(rows, tmp_path,
                                                                          caption):
    import pandas as pd

    from rsclip_utils.manifest import MISSING_LOOKING

    probe = tmp_path / "probe.tsv"  # the oracle: what pandas (CsvDataset's reader) does
    probe.write_text(f"filepath\ttitle\n/x.png\t{caption.strip()}\n")
    assert pd.read_csv(probe, sep="\t")["title"].isna().all() == (caption.strip() in
                                                                 MISSING_LOOKING)
    bad = rows[:2] + [rows[2]._replace(title=caption)]
    path = tmp_path / "m.tsv"
    with pytest.raises(ValueError, match=r"row 3 \(source 'DOTA', image 'id2'.*missing value"):
        write_manifest_rows(path, bad)
    assert not path.exists() and not list(tmp_path.glob("*.partial"))


def test_line_breaks_in_captions_become_spaces_and_control_characters_are_refused(rows,
                                                                                  tmp_path):
    import pandas as pd

    path = tmp_path / "m.tsv"
    broken = [rows[0]._replace(title="two\tlines\nand\r\na page\x0cbreak")] + rows[1:]
    write_manifest_rows(path, broken)
    back = read_manifest(path)
    assert back[0].title == "two lines and  a page break" and back[1:] == rows[1:]
    assert pd.read_csv(path, sep="\t")["title"].tolist()[0] == back[0].title
    for field, value in (("title", "a bell\x07"), ("filepath", "/x/\x00.png"),
                         ("filepath", "")):
        with pytest.raises(ValueError, match="control character|empty file path"):
            write_manifest_rows(path, [rows[0]._replace(**{field: value})])


def test_b2c_drops_a_missing_looking_caption_and_skips_an_empty_class_name(tmp_path):
    from rsclip_utils.b2c import box_to_captions, write_manifest
    from rsclip_utils.records import ObjectAnnotation, Record

    image = tmp_path / "a.png"
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(image)
    ret = Record(image=str(image), width=32, height=32, source="RSICD", image_id="r1",
                 split="train", captions=["a field .", "None", "a\troad\n."])
    det = Record(image=str(image), width=32, height=32, source="DOTA", image_id="d1",
                 objects=[ObjectAnnotation("-", [1, 1, 5, 5])])
    with pytest.raises(ValueError, match="class name '_' gives no caption noun"):
        box_to_captions([("_", [1, 1, 5, 5])], 32, 32)
    report = write_manifest([ret, det], tmp_path / "m.tsv", progress=False).to_dict()
    titles = [r.title for r in read_manifest(tmp_path / "m.tsv")]
    assert titles == ["a field .", "a road ."]
    assert report["RSICD"]["captions_dropped"] == {"a caption that reads as a missing value": 1}
    assert report["DOTA"]["images_captioned"] == 0
    assert any("no caption noun" in k for k in report["DOTA"]["skipped"])
