"""Readers of box text files (rsclip_utils.datasets.boxtxt): LEVIR, VisDrone, CARPK."""

from __future__ import annotations

import pytest
from helpers.files import blank_image
from hypothesis import given
from hypothesis import strategies as st

from rsclip_utils import datasets as ds
from rsclip_utils.datasets.boxtxt import parse_visdrone_line
from rsclip_utils.errors import FormatError


def test_levir_classes_boxes_and_missingblank_image(tmp_path):
    folder = tmp_path / "imageWithLabel"
    folder.mkdir()
    (folder / "1.txt").write_text("1 10 20 30 40\n3 0 0 5 5\n")
    (folder / "2.txt").write_text("2 50 50 120 60\n")  # reaches past the 100 px image
    blank_image(folder / "1.jpg")
    blank_image(folder / "2.jpg")
    (folder / "3.txt").write_text("1 1 1 2 2\n")  # no image
    r = ds.read_levir(folder)
    by_id = {rec.image_id: rec for rec in r}
    assert [(o.label, o.box) for o in by_id["1"].objects] == [
        ("plane", (10, 20, 30, 40)), ("oil tank", (0, 0, 5, 5))]
    assert by_id["2"].objects[0].box == (50, 50, 99, 60)
    counts = r.report.counts()
    assert counts["box_clipped"] == 1 and counts["missing_image"] == 1


def test_levir_bad_lines_name_file_and_line(tmp_path):
    (tmp_path / "1.txt").write_text("1 10 20 30 40\n7 1 1 2 2\n")
    with pytest.raises(FormatError, match=r"1\.txt:2: class 7 is not one of \[1, 2, 3\]"):
        ds.read_levir(tmp_path)
    lenient = ds.read_levir(tmp_path, strict=False)
    assert len(lenient[0].objects) == 1 and lenient.report.counts() == {
        "malformed": 1, "missing_image": 1}


def test_visdrone_skips_ignored_regions_and_reads_xywh(tmp_path):
    split = tmp_path / "VisDrone2019-DET-val"
    (split / "annotations").mkdir(parents=True)
    (split / "annotations" / "0001.txt").write_text(
        "684,8,273,116,0,0,0,0\n"        # ignored region
        "10,20,5,7,1,4,0,1\n"            # car: x 10..14, y 20..26
        "0,0,3,3,1,1,0,0,\n")            # pedestrian, trailing comma (as some files have)
    blank_image(split / "images" / "0001.jpg", (1000, 600))
    r = ds.read_visdrone(split, split="val")
    (rec,) = r.records
    assert [(o.label, o.box) for o in rec.objects] == [("car", (10, 20, 14, 26)),
                                                      ("pedestrian", (0, 0, 2, 2))]
    assert rec.split == "val" and r.report.counts() == {"ignored_region": 1}
    (split / "annotations" / "0002.txt").write_text("10,20,5\n")
    with pytest.raises(FormatError, match=r"0002\.txt:1: 3 fields"):
        ds.read_visdrone(split)


@given(st.integers(0, 5000), st.integers(0, 5000), st.integers(1, 500), st.integers(1, 500))
def test_visdrone_box_holds_exactly_width_by_height_pixels(x, y, w, h):
    obj = parse_visdrone_line(f"{x},{y},{w},{h},1,4,0,0")
    x0, y0, x1, y1 = obj.box
    assert (x0, y0) == (x, y) and (x1 - x0 + 1, y1 - y0 + 1) == (w, h)


def test_carpk_splits_from_image_sets(tmp_path):
    data = tmp_path / "data"
    (data / "Annotations").mkdir(parents=True)
    (data / "ImageSets").mkdir()
    (data / "Annotations" / "a.txt").write_text("1 2 11 12 1\n20 20 30 30 1\n")
    (data / "Annotations" / "b.txt").write_text("5 5 9 9 1\n")
    (data / "ImageSets" / "train.txt").write_text("a\n")
    (data / "ImageSets" / "test.txt").write_text("b\n")
    blank_image(data / "Images" / "a.png")
    blank_image(data / "Images" / "b.png")
    r = ds.read_carpk(data)
    assert {(rec.image_id, rec.split, len(rec.objects)) for rec in r} == {
        ("a", "train", 2), ("b", "test", 1)}
    assert r[0].objects[0].box == (1, 2, 11, 12)
    assert r[0].image.endswith("a.png")
