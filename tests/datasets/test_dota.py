"""Reader of DOTA's labelTxt (rsclip_utils.datasets.dota): real devkit files, and bad input named
or counted."""

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError

GOOD = "10 10 20 10 20 20 10 20 plane 0"


def dota_dir(tmp_path, text, image_size=None):
    labels = tmp_path / "labelTxt"
    labels.mkdir(parents=True, exist_ok=True)
    (labels / "P1.txt").write_text(text)
    if image_size:
        (tmp_path / "images").mkdir(exist_ok=True)
        Image.new("RGB", image_size).save(tmp_path / "images" / "P1.png")
    return labels


token = st.one_of(
    st.floats(-20, 2000, allow_nan=False).map(lambda v: f"{v:.1f}"),
    st.integers(-5, 3000).map(str),
    st.sampled_from(["plane", "small-vehicle", "0", "1", "2", "gsd:0.5", "x", ""]),
    st.text(alphabet=string.ascii_letters + string.digits + ".-:", max_size=6),
)


dota_line = st.one_of(
    st.lists(token, min_size=8, max_size=11).map(" ".join),
    st.lists(token, max_size=12).map(" ".join),
    st.just("imagesource:GoogleEarth"),
    st.just(""),
)


def test_dota_devkit_labels(realdata):
    res = ds.read_dota(realdata / "dota_devkit_example" / "labelTxt")
    assert res.report.files == 7 and len(res) == 7
    assert res.report.objects == 984
    assert len({o.label for r in res for o in r.objects}) == 12
    p0706 = next(r for r in res if r.image_id == "P0706")
    assert p0706.extra == {"imagesource": "GoogleEarth", "gsd": "0.255589285596"}
    assert (p0706.width, p0706.height) == (1111, 1182)
    # the vertex at x=1112 of a 1111-px image: clipped and reported at its line
    clipped = [p for p in res.report.problems if p.kind == "box_clipped" and p.line == 3]
    assert clipped and "P0706.txt" in clipped[0].file
    assert p0706.objects[0].box[2] == 1110 and p0706.objects[0].polygon[0][6] == 1112.0
    missing = {Path(p.file).stem for p in res.report.problems if p.kind == "missing_image"}
    assert missing == {"P0770", "P1088", "P1234", "P2598", "P2709"}
    assert all(r.width is None for r in res if r.image_id in missing)
    assert (
        sum(len(r.objects) for r in res if r.image_id in missing)
        == 24 + 36 + 146 + 28 + 160 - 5 * 2
    )


def test_dota_patches_without_header_and_an_empty_file(realdata):
    res = ds.read_dota(realdata / "mmrotate_tests_dota" / "labelTxt")
    counts = res.report.counts()
    assert counts["empty_file"] == 1
    empty = next(r for r in res if r.image_id == "P0004__1__0___1024")
    assert empty.objects == [] and empty.extra == {}
    # the thumbnails are 170-294 px while the labels use 1024-px patch coordinates
    assert counts["box_outside_image"] >= 1
    assert {r.image_id: (r.width, r.height) for r in res if r.width}["P0004__1__0___0"] == (
        285,
        294,
    )


@pytest.mark.parametrize(
    "line, expected_words",
    [
        ("10 10 20 10 20 20 10 20", "8 fields"),
        ("10 10 20 10 20 20 x 20 plane 0", "is not a number"),
        ("10 10 20 10 20 20 10 20 plane 2", "difficult flag"),
    ],
)
def test_dota_malformed_line_strict(tmp_path, line, expected_words):
    labels = dota_dir(tmp_path, f"imagesource:x\n{GOOD}\n{line}\n")
    with pytest.raises(FormatError) as e:
        ds.read_dota(labels)
    assert e.value.file.endswith("P1.txt") and e.value.line == 3
    assert expected_words in str(e.value) and "expected" in str(e.value)


def test_dota_malformed_line_lenient_is_counted_and_listed(tmp_path):
    labels = dota_dir(tmp_path, f"{GOOD}\nbroken line\n{GOOD}\n", image_size=(64, 64))
    res = ds.read_dota(labels, strict=False)
    assert len(res[0].objects) == 2
    (p,) = res.report.problems
    assert (p.kind, p.line) == ("malformed", 2) and p.file.endswith("P1.txt")
    assert res.report.to_dict()["problem_counts"] == {"malformed": 1}


@given(st.lists(dota_line, max_size=6))
def test_dota_never_fails_with_anything_but_a_named_format_error(tmp_path_factory, lines):
    labels = dota_dir(tmp_path_factory.mktemp("fuzz"), "\n".join(lines))
    try:
        res = ds.read_dota(labels)
    except FormatError as e:
        assert e.file.endswith("P1.txt") and isinstance(e.line, int) and 1 <= e.line <= len(lines)
    else:
        lenient = ds.read_dota(labels, strict=False)
        assert [o.box for o in res[0].objects] == [o.box for o in lenient[0].objects]


def test_boxes_outside_the_image_are_clipped_or_dropped_and_counted(tmp_path):
    text = "10 10 70 10 70 20 10 20 plane 0\n100 100 120 100 120 120 100 120 ship 0\n" + GOOD
    res = ds.read_dota(dota_dir(tmp_path, text, image_size=(64, 48)))
    assert [o.box for o in res[0].objects] == [(10, 10, 63, 20), (10, 10, 20, 20)]
    counts = res.report.counts()
    assert counts == {"box_clipped": 1, "box_outside_image": 1}
    assert {p.line for p in res.report.problems} == {1, 2}


def test_header_without_objects_is_noted_as_no_objects(tmp_path):
    res = ds.read_dota(dota_dir(tmp_path, "imagesource:GoogleEarth\ngsd:0.5\n", (64, 64)))
    assert len(res) == 1 and res[0].objects == [] and res[0].extra["gsd"] == "0.5"
    (p,) = res.report.problems
    assert (p.kind, p.line) == ("no_objects", None) and p.file.endswith("P1.txt")


def test_missing_image_is_reported_not_fatal(tmp_path):
    res = ds.read_dota(dota_dir(tmp_path, GOOD))
    assert len(res) == 1 and res[0].width is None and len(res[0].objects) == 1
    assert res.report.counts() == {"missing_image": 1}


def test_non_utf8_label_file_names_the_line(tmp_path):
    labels = tmp_path / "labelTxt"
    labels.mkdir()
    (labels / "P1.txt").write_bytes(f"{GOOD}\n{GOOD}\n".encode() + b"\xff\xfe bad\n")
    with pytest.raises(FormatError) as e:
        ds.read_dota(labels)
    assert e.value.line == 3 and "UTF-8" in str(e.value)
