"""Suzuki-Abe border following against cv2.findContours: identical contours and hierarchy, no
tolerance, for all four retrieval modes and both chain approximations."""

import math

import cv2
import numpy as np
import pytest
from helpers.labelmaps import random_label_map
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from rsclip_utils import datasets as ds
from rsclip_utils.contours import BorderStart, Step, find_contours

COMBOS = [
    (mode, method)
    for mode in (cv2.RETR_EXTERNAL, cv2.RETR_LIST, cv2.RETR_CCOMP, cv2.RETR_TREE)
    for method in (cv2.CHAIN_APPROX_NONE, cv2.CHAIN_APPROX_SIMPLE)
]


def assert_same_as_cv2(img: np.ndarray, combos=COMBOS) -> None:
    for mode, method in combos:
        ours, (theirs, h_theirs) = (
            find_contours(img, mode, method),
            cv2.findContours(img, mode, method),
        )
        contours, h_ours = ours
        where = f"mode {mode}, method {method}, image {img.shape}"
        assert isinstance(contours, tuple) and len(contours) == len(theirs), where
        for k, (a, b) in enumerate(zip(contours, theirs)):
            assert a.dtype == b.dtype == np.int32 and a.shape == b.shape, f"{where}, contour {k}"
            assert (a == b).all(), f"{where}, contour {k}"
        if h_theirs is None:
            assert h_ours is None, where
        else:
            assert h_ours.dtype == np.int32 and (h_ours == h_theirs).all(), where


sizes = st.tuples(st.integers(1, 64), st.integers(1, 64))


@st.composite
def noise(draw, max_side=64):
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    density = draw(st.floats(0.0, 1.0))
    seed = draw(st.integers(0, 2**32 - 1))
    value = draw(st.sampled_from([1, 7, 255]))
    rng = np.random.default_rng(seed)
    return ((rng.random((h, w)) < density) * value).astype(np.uint8)


@st.composite
def smooth_fields(draw):
    h, w = draw(sizes)
    cells = draw(st.integers(2, 12))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    coarse = rng.random((cells, cells)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse, "F").resize((w, h), Image.BICUBIC))
    return (field > draw(st.floats(0.2, 0.8))).astype(np.uint8)


@st.composite
def rings_and_spirals(draw):
    n = draw(st.integers(5, 96))
    im = Image.new("L", (n, n), 0)
    d = ImageDraw.Draw(im)
    c = (n - 1) / 2
    if draw(st.booleans()):  # nested rings, squares or circles, 1-3 px apart
        gap = draw(st.integers(2, 4))
        square = draw(st.booleans())
        for r in range(int(c), 0, -gap):
            box = [c - r, c - r, c + r, c + r]
            (d.rectangle if square else d.ellipse)(box, outline=1)
    else:  # an Archimedean spiral, 1 px wide
        turns = draw(st.floats(1.0, 6.0))
        pts = [
            (
                c + (t / (2 * math.pi)) * (c / turns) * math.cos(t),
                c + (t / (2 * math.pi)) * (c / turns) * math.sin(t),
            )
            for t in np.linspace(0, 2 * math.pi * turns, 400)
        ]
        d.line(pts, fill=1, width=draw(st.integers(1, 2)))
    return np.asarray(im)


@st.composite
def lines_and_chains(draw):
    h, w = draw(sizes)
    img = np.zeros((h, w), np.uint8)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(1, 6))):
        y, x = rng.integers(h), rng.integers(w)
        for _ in range(draw(st.integers(1, 80))):  # a random 8-connected walk
            img[y, x] = 1
            dy, dx = rng.integers(-1, 2, 2)
            y, x = int(np.clip(y + dy, 0, h - 1)), int(np.clip(x + dx, 0, w - 1))
    return img


@st.composite
def touching_edges(draw):
    img = draw(noise(max_side=48))
    k = draw(st.integers(1, 3))
    img[:k, :] = img[-k:, :] = 1
    img[:, :k] = img[:, -k:] = 1
    if draw(st.booleans()):
        img[img.shape[0] // 2, :] = 1  # a bar across the whole image
    return img


@given(noise())
@settings(max_examples=1500)
def test_noise_at_many_densities(img):
    assert_same_as_cv2(img)


@given(smooth_fields())
@settings(max_examples=400)
def test_thresholded_smooth_fields(img):
    assert_same_as_cv2(img)


@given(rings_and_spirals())
@settings(max_examples=250)
def test_nested_rings_and_spirals(img):
    assert_same_as_cv2(img)


@given(lines_and_chains())
@settings(max_examples=600)
def test_one_pixel_lines_and_diagonal_chains(img):
    assert_same_as_cv2(img)


@given(touching_edges())
@settings(max_examples=300)
def test_objects_touching_every_edge(img):
    assert_same_as_cv2(img)


@given(noise(max_side=256))
@settings(max_examples=25)
def test_large_images_up_to_256(img):
    assert_same_as_cv2(img)


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (7, 1), (3, 3), (256, 256)])
@pytest.mark.parametrize("fill", [0, 1])
def test_full_empty_and_single_pixel_images(shape, fill):
    img = np.full(shape, fill, np.uint8)
    assert_same_as_cv2(img)
    single = np.zeros(shape, np.uint8)
    single[shape[0] // 2, shape[1] // 2] = 1
    assert_same_as_cv2(single)
    if fill == 0:
        assert find_contours(img, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE) == ((), None)


def test_many_borders_beyond_opencvs_seven_bit_labels():
    """OpenCV keeps marks in 7 bits and reuses them after 126 borders: same answer here."""
    img = np.zeros((150, 200), np.uint8)
    for y in range(0, 150, 10):  # a grid of rings, each with an island: three borders a cell
        for x in range(0, 200, 10):
            img[y + 1 : y + 9, x + 1 : x + 9] = 1
            img[y + 2 : y + 8, x + 2 : x + 8] = 0
            img[y + 4 : y + 6, x + 4 : x + 6] = 1
    rng = np.random.default_rng(5)
    img[rng.random(img.shape) < 0.02] ^= 1  # and some noise to break the regularity
    assert len(cv2.findContours(img, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)[0]) > 600
    assert_same_as_cv2(img)


def test_every_class_of_every_real_mask(realdata):
    samples = ds.read_real_samples(realdata)
    checked = 0
    for name in ("iSAID", "LoveDA", "Potsdam", "Vaihingen"):
        for r in samples[name]:
            labels = ds.decode_mask(r.mask, r.mask_format).labels
            for value in np.unique(labels):
                assert_same_as_cv2((labels == value).astype(np.uint8))
                checked += 1
    assert checked >= 30


def test_bool_input_equals_uint8():
    img = random_label_map(64, components=20, rng=np.random.default_rng(1)) > 0
    a = find_contours(img, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    b = cv2.findContours(img.astype(np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    assert all((x == y).all() for x, y in zip(a[0], b[0])) and (a[1] == b[1]).all()


@pytest.mark.parametrize(
    "image, words",
    [
        (np.zeros((4, 4, 3), np.uint8), "2-D"),
        (np.zeros((4, 4), np.float32), "uint8 or bool"),
        (np.zeros((4, 4), np.int32), "int32 images as labels"),
        (np.zeros((0, 4), np.uint8), "at least 1x1"),
    ],
)
def test_bad_input_is_a_clear_error(image, words):
    with pytest.raises(ValueError, match=words):
        find_contours(image, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)


def test_bad_mode_or_method():
    with pytest.raises(ValueError, match="mode"):
        find_contours(np.zeros((3, 3), np.uint8), cv2.RETR_FLOODFILL, cv2.CHAIN_APPROX_NONE)
    with pytest.raises(ValueError, match="method"):
        find_contours(np.zeros((3, 3), np.uint8), cv2.RETR_TREE, cv2.CHAIN_APPROX_TC89_L1)


def test_history_replays_the_contours():
    """The step events tell the same story as the result: with CHAIN_APPROX_NONE every step's
    pixel is the next contour point, and the marks left match the rule."""
    img = random_label_map(48, components=12, rng=np.random.default_rng(2)) > 0
    history = []
    contours, hierarchy = find_contours(img, cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE, history)
    starts = [e for e in history if isinstance(e, BorderStart)]
    assert len(starts) == len(contours)
    for k, start in enumerate(starts):
        steps = [e.pixel for e in history if isinstance(e, Step) and e.border == k]
        # RETR_LIST puts the newest border first
        assert steps == [tuple(p) for p in contours[len(contours) - 1 - k].reshape(-1, 2)]
        assert steps[0] == (start.x, start.y)
    for e in history:
        if isinstance(e, Step) and e.direction >= 0:
            assert abs(e.mark) >= 2 and (
                e.next_pixel[0] - e.pixel[0],
                e.next_pixel[1] - e.pixel[1],
            ) != (0, 0)
