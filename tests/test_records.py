"""The common record schema (rsclip_utils.records): boxes from polygons and xywh, clipping,
JSONL."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsclip_utils.errors import FormatError
from rsclip_utils.records import (
    ObjectAnnotation,
    Record,
    box_area,
    clip_box,
    polygon_to_box,
    read_jsonl,
    write_jsonl,
    xywh_to_box,
)

coord = st.floats(-50, 300, allow_nan=False)


records = st.builds(
    Record,
    image=st.text(min_size=1, max_size=20),
    source=st.sampled_from(["dota", "rsicd"]),
    image_id=st.text(min_size=1, max_size=8),
    split=st.sampled_from([None, "train", "test"]),
    width=st.one_of(st.none(), st.integers(1, 5000)),
    height=st.one_of(st.none(), st.integers(1, 5000)),
    objects=st.lists(
        st.builds(
            ObjectAnnotation,
            label=st.text(min_size=1, max_size=10),
            box=st.tuples(*[st.integers(0, 999)] * 4),
            polygon=st.one_of(
                st.none(),
                st.lists(
                    st.lists(st.floats(0, 999, allow_nan=False), min_size=8, max_size=8),
                    min_size=1,
                    max_size=2,
                ),
            ),
            difficult=st.booleans(),
        ),
        max_size=3,
    ),
    captions=st.lists(st.text(max_size=30), max_size=5),
)


@given(st.lists(st.tuples(coord, coord), min_size=1, max_size=8))
def test_polygon_box_holds_every_vertex_pixel(points):
    xs, ys = zip(*points)
    x0, y0, x1, y1 = polygon_to_box(xs, ys)
    for x, y in points:  # the pixel a vertex falls in lies inside the inclusive box
        assert x0 <= np.floor(x) <= x1 and y0 <= np.floor(y) <= y1
    assert x1 - x0 <= np.ceil(max(xs)) - np.floor(min(xs))


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 40), st.integers(0, 40))
def test_xywh_of_whole_pixels_covers_w_by_h_pixels(x, y, w, h):
    box = xywh_to_box(x, y, w, h)
    assert box[0] == x and box[1] == y
    assert box_area(box) == max(w, 1) * max(h, 1)


@given(
    st.tuples(
        st.integers(-30, 60), st.integers(-30, 60), st.integers(-30, 60), st.integers(-30, 60)
    ),
    st.integers(1, 40),
    st.integers(1, 40),
)
def test_clip_box_equals_raster_intersection(box, width, height):
    x0, y0, x1, y1 = box
    if x0 > x1 or y0 > y1:
        return
    # oracle: paint the box on a large canvas and cut the image out of it
    canvas = np.zeros((200, 200), bool)
    canvas[y0 + 100 : y1 + 101, x0 + 100 : x1 + 101] = True
    inside = canvas[100 : 100 + height, 100 : 100 + width]
    clipped = clip_box(box, width, height)
    if not inside.any():
        assert clipped is None
    else:
        ys, xs = np.nonzero(inside)
        assert clipped == (xs.min(), ys.min(), xs.max(), ys.max())


@given(st.lists(records, max_size=5))
def test_jsonl_round_trip(tmp_path_factory, recs):
    path = tmp_path_factory.mktemp("jsonl") / "r.jsonl"
    write_jsonl(recs, path)
    back = list(read_jsonl(path))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in recs]


def test_bad_jsonl_line_names_file_and_line(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"image": "a.png", "source": "x", "image_id": "a"}\n{"image": \n')
    with pytest.raises(FormatError) as e:
        list(read_jsonl(path))
    assert e.value.line == 2 and str(path) in str(e.value)
