"""Mask encodings: decode(encode(x)) == x for every format, on generated label maps."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rsclip_utils import datasets as ds

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
