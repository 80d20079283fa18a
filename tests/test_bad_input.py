"""Bad input: a clear error naming file and line (strict), or counted and listed (lenient);
quirks noted, never fatal; nothing dropped silently."""

import json
import string

import numpy as np
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


@pytest.mark.parametrize(
    "line, expected_words",
    [
        ("10 10 20 10 20 20 10 20", "8 fields"),
        ("10 10 20 10 20 20 x 20 plane 0", "non-numeric"),
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


VOC = """<annotation>
  <filename>a.jpg</filename>
  <size><width>50</width><height>40</height><depth>3</depth></size>
  <object>
    <name>ship</name>
    {box}
  </object>
</annotation>
"""


@pytest.mark.parametrize(
    "box, line, words",
    [
        ("", 4, "neither <bndbox> nor <robndbox>"),
        ("<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>ten</xmax><ymax>5</ymax></bndbox>", 6, "'ten'"),
        ("<bndbox><xmin>1</xmin><ymin>1</ymin><ymax>5</ymax></bndbox>", 6, "<xmax> is missing"),
        (
            "<bndbox><xmin>9</xmin><ymin>1</ymin><xmax>3</xmax><ymax>5</ymax></bndbox>",
            6,
            "above xmax",
        ),
    ],
)
def test_voc_bad_object_names_file_and_line(tmp_path, box, line, words):
    (tmp_path / "Annotations").mkdir()
    path = tmp_path / "Annotations" / "a.xml"
    path.write_text(VOC.format(box=box))
    with pytest.raises(FormatError) as e:
        ds.read_voc(tmp_path / "Annotations")
    assert e.value.file == str(path) and e.value.line == line and words in str(e.value)
    res = ds.read_voc(tmp_path / "Annotations", strict=False)
    assert res.report.counts()["malformed"] == 1 and res[0].objects == []


def test_voc_broken_xml_names_the_line(tmp_path):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text("<annotation>\n<object>\n</annotation>\n")
    with pytest.raises(FormatError) as e:
        ds.read_voc(tmp_path / "Annotations")
    assert e.value.line == 3 and "well-formed XML" in str(e.value)


def test_voc_box_beyond_size_is_clipped_and_counted(tmp_path):
    (tmp_path / "Annotations").mkdir()
    box = "<bndbox><xmin>41</xmin><ymin>1</ymin><xmax>80</xmax><ymax>5</ymax></bndbox>"
    (tmp_path / "Annotations" / "a.xml").write_text(VOC.format(box=box))
    res = ds.read_voc(tmp_path / "Annotations")
    assert res[0].objects[0].box == (40, 0, 49, 4)
    assert res.report.counts() == {"box_clipped": 1, "missing_image": 1}


def coco(tmp_path, **changes):
    data = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 20}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]}],
        "categories": [{"id": 3, "name": "car"}],
    }
    data.update(changes)
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    return path


def test_coco_unknown_category_and_orphan_annotations(tmp_path):
    path = coco(
        tmp_path, annotations=[{"id": 7, "image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4]}]
    )
    with pytest.raises(FormatError) as e:
        ds.read_coco(path)
    assert "annotations[0] (id 7)" in str(e.value) and "category_id 9" in str(e.value)
    path = coco(
        tmp_path, annotations=[{"id": 8, "image_id": 5, "category_id": 3, "bbox": [1, 2, 3, 4]}]
    )
    res = ds.read_coco(path, strict=False)
    assert res.report.counts()["malformed"] == 1 and "image_id 5" in str(res.report.problems[-1])


def test_coco_box_conversion_and_bad_json(tmp_path):
    res = ds.read_coco(coco(tmp_path))
    assert res[0].objects[0].box == (1, 2, 3, 5)
    bad = tmp_path / "bad.json"
    bad.write_text('{"images": [\n  {"id": 1,\n  }\n]}')
    with pytest.raises(FormatError) as e:
        ds.read_coco(bad)
    assert e.value.line == 3


def test_karpathy_bad_entries(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(
        json.dumps(
            {
                "images": [
                    {"filename": "a.jpg", "split": "train", "sentences": [{"raw": "a plane ."}]},
                    {"filename": "b.jpg", "split": "holdout", "sentences": [{"raw": "x"}]},
                    {"filename": "c.jpg", "split": "train"},
                ]
            }
        )
    )
    with pytest.raises(FormatError) as e:
        ds.read_karpathy(path)
    assert "images[1] (b.jpg): split 'holdout'" in str(e.value)
    res = ds.read_karpathy(path, strict=False)
    assert len(res) == 1 and res.report.counts()["malformed"] == 2


def test_precomp_count_mismatch_names_both_files(tmp_path):
    (tmp_path / "train_caps.txt").write_text("a\nb\nc\n")
    (tmp_path / "train_filename.txt").write_text("x.jpg\ny.jpg\n")
    with pytest.raises(FormatError) as e:
        ds.read_precomp(tmp_path)
    assert "train_caps.txt" in str(e.value) and "train_filename.txt" in str(e.value)


def test_nwpu_bad_lines(tmp_path):
    gt = tmp_path / "ground truth"
    gt.mkdir()
    (gt / "001.txt").write_text("(1,2),(30,40),1 \n\n(1,2),(30,40),11\n(5,5),(3,3),2\n")
    with pytest.raises(FormatError) as e:
        ds.read_nwpu_vhr10(gt)
    assert e.value.line == 3
    res = ds.read_nwpu_vhr10(gt, strict=False)
    assert [p.line for p in res.report.problems if p.kind == "malformed"] == [3, 4]
    assert [o.label for o in res[0].objects] == ["airplane"]


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


def test_count_tsv_bad_row(tmp_path):
    path = tmp_path / "counts.tsv"
    path.write_text("filename\tcategory\tcount\tcaption\na.jpg\tplane\tthree\tx\n")
    with pytest.raises(FormatError) as e:
        ds.read_count_tsv(path)
    assert e.value.line == 2


def test_scene_folder_non_images_are_listed(tmp_path):
    (tmp_path / "Forest").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "Forest" / "forest_1.jpg")
    (tmp_path / "Forest" / "notes.txt").write_text("x")
    res = ds.read_scene_folders(tmp_path)
    assert len(res) == 1 and res.report.counts() == {"not_an_image": 1}
