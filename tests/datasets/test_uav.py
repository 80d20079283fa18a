"""Readers of the UAV sets (rsclip_utils.datasets.uav): AU-AIR and Stanford Drone."""

from __future__ import annotations

import json

import pytest
from helpers.files import blank_image

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError


def test_auair_json_with_the_colon_in_its_width_key(tmp_path):
    ann = {"annotations": [
        {"image_name": "frame_1.jpg", "image_width:": 1920, "image_height": 1080,
         "bbox": [{"top": 100, "left": 200, "height": 50, "width": 80, "class": 1},
                  {"top": 0, "left": 0, "height": 10, "width": 10, "class": 7}]},
        {"image_name": "frame_2.jpg", "image_width": 1920, "image_height": 1080, "bbox": []}],
        "categories": ["Human", "Car", "Truck", "Van", "Motorbike", "Bicycle", "Bus", "Trailer"]}
    (tmp_path / "annotations.json").write_text(json.dumps(ann))
    blank_image(tmp_path / "images" / "frame_1.jpg", (1920, 1080))
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
    blank_image(video / "reference.jpg", (640, 480))
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
