"""Counting diagnosed (rsclip_utils.count_diagnosis): each measurement on hand-made cases and,
for the crop, against a brute-force count of the crop's own pixels."""

import random

import numpy as np
import pytest

from rsclip_utils.count_diagnosis import (
    count_probe,
    crop_keeps_counts,
    input_sides,
    number_word_counts,
    rewrite_similarity,
)
from rsclip_utils.records import ObjectAnnotation, Record
from rsclip_utils.train_data import crop_box


def test_number_words_are_counted_once_per_caption_and_as_whole_words():
    counts = number_word_counts(["There are three planes and three ships .", "a plane .",
                                 "someone is here", "10 cars", "Two tennis courts ."])
    assert counts["three"] == 1 and counts["two"] == 1  # once per caption, any case
    assert counts["one"] == 0  # "someone" is not "one"
    assert counts["digits"] == 1 and sum(counts.values()) == 3


def record(objects, w=100, h=100):
    return Record(image="x.png", source="t", image_id="x", split="train", width=w, height=h,
                  objects=[ObjectAnnotation(label, box) for label, box in objects])


def test_a_crop_that_keeps_everything_keeps_every_count():
    r = record([("car", [10, 10, 12, 12]), ("car", [80, 80, 90, 90]), ("ship", [0, 0, 5, 5])])
    assert crop_keeps_counts([r], scale=(1.0, 1.0))["all"] == 1.0


def test_crop_keeps_counts_equals_a_brute_force_count():
    rng = np.random.default_rng(0)
    records = []
    for _ in range(15):
        objs = []
        for _ in range(int(rng.integers(1, 9))):
            x, y = rng.integers(0, 90, 2)
            objs.append((str(rng.choice(["car", "ship"])), [int(x), int(y), int(x) + 6,
                                                              int(y) + 6]))
        records.append(record(objs, 120, 100))
    got = crop_keeps_counts(records, draws=7, seed=5)
    # the same crops again, each object counted by its centre pixel inside the crop's pixels
    draw = random.Random(5)
    kept = []
    for r in records:
        for _ in range(7):
            x, y, w, h = crop_box(r.width, r.height, draw)
            window = np.zeros((r.height, r.width), bool)
            window[y:y + h, x:x + w] = True
            for label in {o.label for o in r.objects}:
                boxes = [o.box for o in r.objects if o.label == label]
                kept.append(all(window[int((b[1] + b[3]) // 2), int((b[0] + b[2]) // 2)]
                                for b in boxes))
    assert got["pairs"] == len(kept) and got["all"] == pytest.approx(np.mean(kept))


def test_input_sides_scale_each_box_with_its_image():
    sides = input_sides([[0, 0, 9, 19], [5, 5, 8, 8]], [128, 256], 64)
    assert sides.tolist() == [5.0, 1.0]  # 10 px of 128 -> 5; 4 px of 256 -> 1


def test_count_probe_recovers_a_count_written_into_the_features():
    counts = np.repeat(np.arange(1, 11), 8)
    features = np.eye(10)[counts - 1] + 0.01 * np.random.default_rng(0).normal(size=(80, 10))
    found = count_probe(features, counts)
    assert found["accuracy"] == 1.0 and found["chance"] == 0.1
    assert found["train"] == found["test"] == 40
    noise = count_probe(np.random.default_rng(1).normal(size=(80, 10)), counts)
    assert noise["accuracy"] < 0.4


def test_rewrite_similarity_by_hand():
    # twelve captions whose ten rewrites are identical vectors (one axis each): similarity 1
    # between rewrites, no range over them; an image is 1 to its own caption and 0 to the
    # others', so ten other images' captions give it a range of 0
    v = np.zeros((12, 10, 12))
    for i in range(12):
        v[i, :, i] = 1
    img = np.eye(12)
    s = rewrite_similarity(v, img)
    assert s["off_diagonal_mean"] == pytest.approx(1.0) and s["rewrite_range"] == 0.0
    assert s["caption_range"] == 0.0  # the image's own caption is never among the ten drawn
    assert np.allclose(s["matrix"], np.ones((10, 10)))
    # images equally similar to every caption but a varying one: range over ten others is 0.5
    # only when the varying one is drawn; against brute force over the same draw
    img2 = np.full((12, 12), 0.1)
    img2[:, 5] = 0.6
    s2 = rewrite_similarity(v, img2, seed=3)
    rng = np.random.default_rng(3)
    drawn = [rng.choice(np.delete(np.arange(12), i), 10, replace=False) for i in range(12)]
    expect = np.mean([img2[i, d].max() - img2[i, d].min() for i, d in enumerate(drawn)])
    assert s2["caption_range"] == pytest.approx(expect)
    with pytest.raises(ValueError, match="more than 10 captions"):
        rewrite_similarity(v[:10], img[:10, :12])
