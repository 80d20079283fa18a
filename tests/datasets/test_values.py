"""The value checks every reader applies (rsclip_utils.datasets.values), against Python's own
float parsing as the oracle."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsclip_utils.datasets import values
from rsclip_utils.datasets.values import COORDINATE_LIMIT


@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**12, 10**12).map(str),
                 st.sampled_from(["nan", "-inf", "1e999", "1e-999", " 12 ", "1_000", "0x10", "",
                                  "abc", "1,5", "10" * 200])))
def test_number_from_text_is_float_when_finite_and_in_range(text):
    try:
        expected = float(text)
    except (ValueError, OverflowError):
        expected = None
    ok = expected is not None and math.isfinite(expected) and abs(expected) <= COORDINATE_LIMIT
    if ok:
        assert values.number(text) == expected
    else:
        with pytest.raises(ValueError, match="not a number|not finite|beyond|overflows"):
            values.number(text)


@pytest.mark.parametrize("value, words", [
    (None, "null, not a JSON number"), (True, "true, not a JSON number"),
    ("12", '"12", not a JSON number'), ([1], "[1], not a JSON number"),
    (float("nan"), "not finite"), (10**400, "overflows"), (2**31, "beyond"),
])
def test_json_numbers_refuse_other_types_and_non_finite_values(value, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        values.number(value, "x", text_ok=False)
    assert values.number(2**31 - 1, text_ok=False) == COORDINATE_LIMIT


def test_dimensions_class_names_ids_and_texts():
    assert values.dimension("800") == values.dimension(800.0) == 800
    for bad in ("0", "-3", "12.5", "nan"):
        with pytest.raises(ValueError):
            values.dimension(bad)
    assert values.class_name(" small-vehicle ") == "small-vehicle"
    assert values.class_name("飞机") == "飞机"
    for bad in ("", " ", "-", "_", "--", "-_-", None, 3):
        with pytest.raises(ValueError):
            values.class_name(bad)
    assert values.json_id(0) == 0 and values.json_id("P0001") == "P0001"
    for bad in (None, True, 1.5, "", [1]):
        with pytest.raises(ValueError):
            values.json_id(bad)
    assert values.json_text(" a plane ") == "a plane"
    for bad in (None, 5, "", "  ", ["a"]):
        with pytest.raises(ValueError):
            values.json_text(bad)


@given(st.lists(st.one_of(st.floats(), st.integers(-10**400, 10**400), st.booleans(),
                          st.none(), st.text(max_size=3)), max_size=8))
def test_numbers_of_a_list_are_the_numbers_of_its_items(items):
    def each():
        return [values.number(v, f"x[{k}]", text_ok=False) for k, v in enumerate(items)]

    try:
        expected = each()
    except ValueError as e:
        with pytest.raises(ValueError) as got:
            values.numbers(items, "x", text_ok=False)
        assert str(got.value) == str(e)
    else:
        assert values.numbers(items, "x", text_ok=False) == expected


@given(st.lists(st.one_of(st.floats().map(repr), st.integers(-10**30, 10**30).map(str),
                          st.sampled_from(["nan", "inf", "x", "", "1e999"])), max_size=8))
def test_numbers_of_text_fields_are_the_numbers_of_each(items):
    try:
        expected = [values.number(v, f"x[{k}]") for k, v in enumerate(items)]
    except ValueError as e:
        with pytest.raises(ValueError) as got:
            values.numbers(items, "x")
        assert str(got.value) == str(e)
    else:
        assert values.numbers(items, "x") == expected
