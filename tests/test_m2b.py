"""Mask-to-Box: both engines equal connected components (cv2.connectedComponentsWithStats,
8-connectivity) per class; options; the batch stage and its report; the instance comparison."""

import cv2
import numpy as np
import pytest
from helpers.labelmaps import random_label_map
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.m2b import (
    M2B_PRESETS,
    box_iou,
    instance_boxes,
    mask_to_boxes,
    match_boxes,
    precision_recall,
    run_m2b,
    write_m2b,
)
from rsclip_utils.records import Record, read_jsonl


def components_oracle(label_map, values, names=None):
    """Boxes of the 8-connected components of each class, from OpenCV's labelling."""
    out = []
    for v in values:
        mask = (label_map == v).astype(np.uint8)
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes = sorted((int(y), int(x), int(y + h - 1), int(x + w - 1))
                       for x, y, w, h, _ in stats[1:])
        out += [(names[v] if names else str(v), [x0, y0, x1, y1]) for y0, x0, y1, x1 in boxes]
    return out


def assert_engines_equal_components(label_map):
    values = [int(v) for v in np.unique(label_map)]
    expected = components_oracle(label_map, values)
    for engine in ("opencv", "suzuki"):
        assert mask_to_boxes(label_map, engine=engine) == expected, engine


@st.composite
def label_maps(draw):
    h, w = draw(st.integers(1, 64)), draw(st.integers(1, 64))
    k = draw(st.integers(1, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if draw(st.booleans()):
        return rng.integers(0, k + 1, (h, w)).astype(np.uint8)
    return random_label_map((h, w), classes=k, components=draw(st.integers(1, 25)), rng=rng,
                            max_extent=max(4.0, min(h, w) / 1.5))


@given(label_maps())
@settings(max_examples=400)
def test_both_engines_equal_connected_components(label_map):
    assert_engines_equal_components(label_map)


def test_larger_maps_and_other_integer_types():
    lm = random_label_map(300, classes=6, components=120, rng=np.random.default_rng(4))
    assert_engines_equal_components(lm)
    assert mask_to_boxes(lm.astype(np.int32)) == mask_to_boxes(lm)  # np.unique path


def test_every_real_mask(realdata):
    samples = ds.read_real_samples(realdata)
    n = 0
    for name in ("iSAID", "LoveDA", "Potsdam", "Vaihingen"):
        for r in samples[name]:
            assert_engines_equal_components(ds.decode_mask(r.mask, r.mask_format).labels)
            n += 1
    assert n == 8


def test_islands_in_holes_keep_their_box():
    lm = np.zeros((16, 16), np.uint8)
    lm[1:15, 1:15] = 2
    lm[4:12, 4:12] = 0
    lm[6:10, 6:10] = 2
    assert mask_to_boxes(lm, {2: "building"}) == [("building", [1, 1, 14, 14]),
                                                  ("building", [6, 6, 9, 9])]


def test_ignore_classes_and_size_floor():
    lm = random_label_map(120, classes=4, components=60, rng=np.random.default_rng(7))
    names = {1: "a", 2: "b", 3: "c", 4: "d"}
    full = components_oracle(lm, [1, 2, 3, 4], names)
    assert mask_to_boxes(lm, names) == full  # 0 is not in the names: no box
    assert mask_to_boxes(lm, names, ignore=(2,)) == [b for b in full if b[0] != "b"]
    area = [b for b in full if (b[1][2] - b[1][0] + 1) * (b[1][3] - b[1][1] + 1) >= 50]
    assert mask_to_boxes(lm, names, min_area=50) == area
    side = [b for b in full if min(b[1][2] - b[1][0], b[1][3] - b[1][1]) + 1 >= 6]
    assert mask_to_boxes(lm, names, min_side=6) == side
    assert len(side) < len(full) and len(area) < len(full)


@pytest.mark.parametrize("array, words", [
    (np.zeros((4, 4, 3), np.uint8), "2-D"),
    (np.zeros((4, 4), np.float32), "integer"),
])
def test_bad_label_maps(array, words):
    with pytest.raises(ValueError, match=words):
        mask_to_boxes(array)


def test_unknown_engine():
    with pytest.raises(ValueError, match="engine"):
        mask_to_boxes(np.zeros((3, 3), np.uint8), engine="skimage")


def test_presets_name_stuff_for_captions():
    assert M2B_PRESETS["loveda"].names[7] == "farmland" and 1 in M2B_PRESETS["loveda"].ignore
    assert "low vegetation" in M2B_PRESETS["isprs_index"].stuff
    assert M2B_PRESETS["isaid_color"].names[9] == "small vehicle"


def test_batch_m2b_over_the_embedded_seg_sets(smoke_embedded, tmp_path):
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    records = list(sets["loveda"]) + list(sets["isaid"])
    one, report1 = run_m2b(records, workers=1, progress=False)
    two, report2 = run_m2b(records, workers=2, progress=False)
    assert [r.to_dict() for r in one] == [r.to_dict() for r in two]
    rep = report1.to_dict()
    assert rep == report2.to_dict()
    for source, part in rep.items():
        boxed = [r for r in one if r.source == source]
        assert part["images"] == sum(r.source == source for r in records)
        assert part["boxes"] == sum(len(r.objects) for r in boxed)
        assert part["images_with_boxes"] + part["skipped"] == part["images"]
    for r in one:  # the boxes are the components of the decoded mask, per preset
        s = M2B_PRESETS[r.mask_format]
        labels = ds.decode_mask(r.mask, r.mask_format).labels
        values = [v for v in sorted(s.names) if v not in s.ignore]
        expected = components_oracle(labels, values, s.names)
        assert [(o.label, list(o.box)) for o in r.objects] == expected
    paths = write_m2b(one, report1, tmp_path)
    assert [x.to_dict() for x in read_jsonl(paths["records"])] == [x.to_dict() for x in one]


def test_batch_lists_what_it_skips(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "img.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    Image.new("L", (8, 8), 1).save(tmp_path / "background.png")  # LoveDA 1 = background only
    base = {"image": str(tmp_path / "img.png"), "source": "x", "image_id": "a"}
    records = [Record(**base, mask=None, mask_format="loveda"),
               Record(**base, mask=str(tmp_path / "broken.png"), mask_format="loveda"),
               Record(**base, mask=str(tmp_path / "background.png"), mask_format="loveda"),
               Record(**base, mask=str(tmp_path / "background.png"), mask_format="cityscapes")]
    out, report = run_m2b(records, workers=1, progress=False)
    assert out == []
    why = [s["why"] for s in report.sources["x"]["skipped"]]
    assert why[0].startswith("no M2B settings for mask format 'cityscapes'")
    assert "no mask" in why and any(w.startswith("mask does not decode") for w in why)
    assert "no box (only ignored classes)" in why
    assert report.to_dict()["x"]["skipped"] == 4


def test_box_iou_hand_cases():
    assert box_iou([0, 0, 3, 3], [0, 0, 3, 3]) == 1.0
    assert box_iou([0, 0, 3, 3], [4, 0, 7, 3]) == 0.0
    assert box_iou([0, 0, 3, 3], [0, 0, 7, 3]) == 0.5  # 16 of 32 pixels
    assert box_iou([0, 0, 1, 1], [1, 1, 2, 2]) == pytest.approx(1 / 7)


def test_instance_comparison_on_hand_made_cases():
    names = {1: "car"}
    cls = np.zeros((10, 20), np.uint8)
    ids = np.zeros((10, 20), np.int64)
    cls[1:5, 1:5], ids[1:5, 1:5] = 1, 11      # two touching cars: M2B merges them
    cls[1:5, 5:9], ids[1:5, 5:9] = 1, 12
    cls[6:9, 12:15], ids[6:9, 12:15] = 1, 13  # an isolated car
    cls[1:3, 14:16], ids[1:3, 14:16] = 1, 14  # a car seen in two parts (occluded)
    cls[4:5, 14:16], ids[4:5, 14:16] = 1, 14
    truth = instance_boxes(cls, ids, names)
    assert sorted(b for _, b in truth) == [[1, 1, 4, 4], [5, 1, 8, 4], [12, 6, 14, 8],
                                            [14, 1, 15, 4]]
    pred = mask_to_boxes(cls, names)
    assert sorted(b for _, b in pred) == [[1, 1, 8, 4], [12, 6, 14, 8], [14, 1, 15, 2],
                                           [14, 4, 15, 4]]
    pr = precision_recall(match_boxes(pred, truth))["car"]
    # matched: the isolated car, one of the merged pair (IoU exactly 0.5), the larger part
    # of the occluded car (IoU 4/8) -> 3 of 4 true, 3 of 4 predicted
    assert (pr["matched"], pr["true"], pr["predicted"]) == (3, 4, 4)
    assert pr["recall"] == pr["precision"] == 0.75


def test_match_is_one_to_one():
    truth = [("a", [0, 0, 9, 9])]
    pred = [("a", [0, 0, 9, 9]), ("a", [0, 0, 9, 8])]
    m = match_boxes(pred, truth)["a"]
    assert m == {"predicted": 2, "true": 1, "matched": 1}


def test_the_image_size_wins_and_every_mismatch_is_listed(tmp_path):
    """A record that says 100x100 over a 50x40 image and mask: the boxes and the size are the
    image's, and the report lists the record; a mask that does not match its image is skipped
    with both sizes named; so is a record whose image does not open."""
    labels = np.zeros((40, 50), np.uint8)
    labels[5:10, 5:10] = 2  # LoveDA building
    Image.fromarray(labels).save(tmp_path / "m.png")
    Image.new("RGB", (50, 40)).save(tmp_path / "i.png")
    Image.new("RGB", (100, 100)).save(tmp_path / "big.png")
    common = {"source": "x", "split": "train", "mask_format": "loveda",
              "mask": str(tmp_path / "m.png")}
    records = [Record(str(tmp_path / "i.png"), image_id="a", width=100, height=100, **common),
               Record(str(tmp_path / "i.png"), image_id="b", width=50, height=40, **common),
               Record(str(tmp_path / "big.png"), image_id="c", **common),
               Record(str(tmp_path / "gone.png"), image_id="d", **common)]
    out, report = run_m2b(records, workers=1, progress=False)
    assert [(r.image_id, r.width, r.height) for r in out] == [("a", 50, 40), ("b", 50, 40)]
    assert out[0].objects[0].box == (5, 5, 9, 9)
    rep = report.to_dict()["x"]
    assert rep["size_mismatches"] == 1
    (example,) = rep["size_mismatch_examples"]
    assert example["image"] == str(tmp_path / "i.png")
    assert "100x100" in example["why"] and "m.png are 50x40" in example["why"]
    why = {s["image"]: s["why"] for s in rep["skipped_examples"]}
    assert why[str(tmp_path / "big.png")].endswith(
        "m.png is 50x40 but its image is 100x100: its boxes would not fall on the image")
    assert why[str(tmp_path / "gone.png")].startswith("image does not open: FileNotFoundError")
