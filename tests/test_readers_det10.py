"""Readers of the DET-10 sources without a reader of their own before the paper profile: LEVIR,
VisDrone-DET, CARPK, AU-AIR and the Stanford Drone Dataset. Files written here in each format's
documented layout; boxes checked against hand-computed values and a property test."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.datasets.boxtxt import parse_visdrone_line
from rsclip_utils.errors import FormatError


def _image(path, size=(100, 80)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (90, 120, 60)).save(path)


def test_levir_classes_boxes_and_missing_image(tmp_path):
    folder = tmp_path / "imageWithLabel"
    folder.mkdir()
    (folder / "1.txt").write_text("1 10 20 30 40\n3 0 0 5 5\n")
    (folder / "2.txt").write_text("2 50 50 120 60\n")  # reaches past the 100 px image
    _image(folder / "1.jpg")
    _image(folder / "2.jpg")
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
    _image(split / "images" / "0001.jpg", (1000, 600))
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
    _image(data / "Images" / "a.png")
    _image(data / "Images" / "b.png")
    r = ds.read_carpk(data)
    assert {(rec.image_id, rec.split, len(rec.objects)) for rec in r} == {
        ("a", "train", 2), ("b", "test", 1)}
    assert r[0].objects[0].box == (1, 2, 11, 12)
    assert r[0].image.endswith("a.png")


def test_auair_json_with_the_colon_in_its_width_key(tmp_path):
    ann = {"annotations": [
        {"image_name": "frame_1.jpg", "image_width:": 1920, "image_height": 1080,
         "bbox": [{"top": 100, "left": 200, "height": 50, "width": 80, "class": 1},
                  {"top": 0, "left": 0, "height": 10, "width": 10, "class": 7}]},
        {"image_name": "frame_2.jpg", "image_width": 1920, "image_height": 1080, "bbox": []}],
        "categories": ["Human", "Car", "Truck", "Van", "Motorbike", "Bicycle", "Bus", "Trailer"]}
    (tmp_path / "annotations.json").write_text(json.dumps(ann))
    _image(tmp_path / "images" / "frame_1.jpg", (1920, 1080))
    r = ds.read_auair(tmp_path / "annotations.json")
    assert [(o.label, o.box) for o in r[0].objects] == [("Car", (200, 100, 279, 149)),
                                                       ("Trailer", (0, 0, 9, 9))]
    assert (r[1].width, r[1].height) == (1920, 1080)  # from the file: its image is missing
    assert r.report.counts() == {"missing_image": 1}
    ann["annotations"][0]["bbox"][0]["class"] = 12
    (tmp_path / "annotations.json").write_text(json.dumps(ann))
    with pytest.raises(FormatError, match=r"annotations\[0\]\.bbox\[0\]"):
        ds.read_auair(tmp_path / "annotations.json")
    (tmp_path / "annotations.json").write_text('{"annotations": [}')
    with pytest.raises(FormatError, match="annotations.json:1"):
        ds.read_auair(tmp_path / "annotations.json")


def test_stanford_drone_samples_frames_and_skips_lost_boxes(tmp_path):
    video = tmp_path / "annotations" / "bookstore" / "video0"
    video.mkdir(parents=True)
    lines = [
        '0 10 20 30 40 0 0 0 0 "Pedestrian"',
        '1 50 50 60 70 0 1 0 0 "Biker"',       # lost: skipped and counted
        '0 11 21 31 41 1 0 0 1 "Pedestrian"',  # frame 1: not sampled
        '2 5 5 15 15 300 0 1 0 "Car"',
    ]
    (video / "annotations.txt").write_text("\n".join(lines) + "\n")
    _image(video / "reference.jpg", (640, 480))
    r = ds.read_stanford_drone(tmp_path, frame_step=300)
    assert [(rec.image_id, [(o.label, o.box) for o in rec.objects]) for rec in r] == [
        ("bookstore_video0_00000", [("Pedestrian", (10, 20, 30, 40))]),
        ("bookstore_video0_00300", [("Car", (5, 5, 15, 15))])]
    assert (r[0].width, r[0].height) == (640, 480)
    assert r[0].image.endswith("frames/bookstore/video0/00000.jpg")
    counts = r.report.counts()
    assert counts["lost_track"] == 1 and counts["missing_image"] == 2  # frames not extracted
    (video / "annotations.txt").write_text('0 10 20 30 40 0 0 0 "Pedestrian"\n')
    with pytest.raises(FormatError, match=r"annotations\.txt:1: 9 fields"):
        ds.read_stanford_drone(tmp_path)


def test_stanford_drone_frames_are_extracted_from_the_video(tmp_path):
    cv2 = pytest.importorskip("cv2")
    import numpy as np

    folder = tmp_path / "videos" / "hyang" / "video1"
    folder.mkdir(parents=True)
    writer = cv2.VideoWriter(str(folder / "video.mov"), cv2.VideoWriter_fourcc(*"MJPG"), 30,
                             (64, 48))
    if not writer.isOpened():
        pytest.skip("this OpenCV build cannot write an MJPG video")
    for i in range(4):
        writer.write(np.full((48, 64, 3), 60 * i, np.uint8))
    writer.release()
    ann = tmp_path / "annotations" / "hyang" / "video1"
    ann.mkdir(parents=True)
    (ann / "annotations.txt").write_text('0 1 1 9 9 2 0 0 0 "Skater"\n')
    records = list(ds.read_stanford_drone(tmp_path, frame_step=2))
    assert ds.extract_sdd_frames(tmp_path, records, progress=False) == 1
    frame = cv2.imread(records[0].image)
    assert frame.shape == (48, 64, 3) and abs(int(frame.mean()) - 120) <= 3  # frame 2, not 0
    assert ds.extract_sdd_frames(tmp_path, records, progress=False) == 0  # already there
