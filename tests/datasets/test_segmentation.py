"""Masks and the segmentation readers (rsclip_utils.datasets.segmentation): round trips,
real iSAID / LoveDA / ISPRS masks, unknown values counted, sizes checked."""


import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError

shapes = st.tuples(st.integers(1, 12), st.integers(1, 12))


@given(st.sampled_from(["loveda", "isprs_index", "isprs_rgb", "isaid_color"]), shapes, st.data())
def test_class_masks_round_trip(name, shape, data):
    fmt = ds.MASK_FORMATS[name]
    values = sorted(set(fmt.classes) | set(fmt.ignore))
    labels = data.draw(arrays(np.uint8, shape, elements=st.sampled_from(values)))
    lm = ds.decode_array(ds.encode_mask(labels, fmt), fmt)
    assert lm.unknown == {} and (lm.labels == labels).all()


@given(arrays(np.int64, shapes, elements=st.integers(0, (1 << 24) - 1)))
def test_instance_ids_round_trip(ids):
    lm = ds.decode_array(ds.encode_mask(ids, "isaid_id"), "isaid_id")
    assert (lm.labels == ids).all()


@given(arrays(np.uint8, shapes, elements=st.integers(0, 255)))
def test_unknown_index_values_counted_exactly(array):
    lm = ds.decode_array(array, "loveda")
    bad = array > 7
    assert sum(lm.unknown.values()) == int(bad.sum())
    assert (lm.labels[bad] == ds.UNKNOWN).all() and (lm.labels[~bad] == array[~bad]).all()


def test_wrong_mask_shape_is_a_clear_error():
    import pytest

    with pytest.raises(ValueError, match="single-channel"):
        ds.decode_array(np.zeros((4, 4, 3), np.uint8), "loveda")
    with pytest.raises(ValueError, match="unknown mask format"):
        ds.decode_array(np.zeros((4, 4), np.uint8), "cityscapes")


def test_isaid_masks_decode_without_unknown_colours(realdata):
    res = ds.read_isaid(realdata / "isaid_devkit_samples")
    assert sorted((r.split, r.image_id) for r in res) == [
        ("train", "P0005"),
        ("val", "P0003"),
        ("val", "P0004"),
    ]
    for r in res:
        lm = ds.decode_mask(r.mask, r.mask_format)
        assert lm.unknown == {}
        assert lm.labels.shape == (r.height, r.width)
        inst = ds.decode_mask(r.extra["instance_mask"], "isaid_id")
        assert (inst.labels > 0).sum() == (lm.labels > 0).sum()  # instances cover the classes
    p0003 = next(r for r in res if r.image_id == "P0003")
    present = ds.decode_mask(p0003.mask, "isaid_color").present()
    assert set(present) == {"Small_Vehicle", "Large_Vehicle", "storage_tank"}
    assert present["storage_tank"] == 403


@pytest.mark.parametrize(
    "folder, reader, fmt, n",
    [
        ("pseudo_loveda_dataset", "loveda", "loveda", 3),
        ("pseudo_potsdam_dataset", "isprs", "isprs_index", 1),
        ("pseudo_vaihingen_dataset", "isprs", "isprs_index", 1),
    ],
)
def test_index_masks(realdata, folder, reader, fmt, n):
    root = realdata / "mmseg_tests_rs" / folder
    res = ds.read_loveda(root) if reader == "loveda" else ds.read_isprs(root, source=folder)
    assert len(res) == n and not res.report.problems
    for r in res:
        lm = ds.decode_mask(r.mask, r.mask_format)
        assert r.mask_format == fmt and lm.unknown == {}
        assert lm.labels.shape == (r.height, r.width)


def test_isprs_rgb_code_decodes_to_the_index_values(realdata):
    """The original ISPRS colours and mmseg's converted index maps mean the same classes."""
    path = (
        realdata / "mmseg_tests_rs" / "pseudo_potsdam_dataset" / "ann_dir" / "2_10_0_0_512_512.png"
    )
    index = ds.decode_mask(path, "isprs_index")
    rgb = ds.encode_mask(index.labels, "isprs_rgb")
    assert (ds.decode_array(rgb, "isprs_rgb").labels == index.labels).all()
    assert index.present()["building"] > 0 and index.present()["car"] > 0


def test_mask_size_mismatch_names_both_files(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "ann").mkdir()
    Image.new("RGB", (10, 10)).save(tmp_path / "img" / "a.png")
    Image.new("L", (10, 12)).save(tmp_path / "ann" / "a.png")
    with pytest.raises(FormatError) as e:
        ds.read_seg_pairs(tmp_path / "img", tmp_path / "ann", "loveda", source="x")
    assert str(tmp_path / "img" / "a.png") in str(e.value)
    assert str(tmp_path / "ann" / "a.png") in str(e.value)


def test_unknown_mask_values_and_colours_are_counted_not_guessed():
    labels = np.array([[0, 1, 9], [9, 7, 200]], dtype=np.uint8)
    lm = ds.decode_array(labels, "loveda")
    assert lm.unknown == {"9": 2, "200": 1}
    assert (lm.labels == np.array([[0, 1, 255], [255, 7, 255]])).all()
    rgb = np.zeros((2, 2, 3), np.uint8)
    rgb[0, 0] = (0, 127, 255)  # plane
    rgb[1, 1] = (1, 2, 3)  # not an iSAID colour
    lm = ds.decode_array(rgb, "isaid_color")
    assert lm.unknown == {"rgb(1,2,3)": 1} and lm.labels[0, 0] == 14 and lm.labels[1, 1] == 255
