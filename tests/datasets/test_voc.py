"""Reader of VOC XML (rsclip_utils.datasets.voc): DIOR-R and HRRSD files, and bad input named or
counted."""

from pathlib import Path

import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError

VOC = """<annotation>
  <filename>a.jpg</filename>
  <size><width>50</width><height>40</height><depth>3</depth></size>
  <object>
    <name>ship</name>
    {box}
  </object>
</annotation>
"""


def test_dior_r_robndbox(realdata):
    res = ds.read_voc(
        realdata / "dior_mmrotate" / "Annotations" / "Oriented Bounding Boxes",
        source="dior_r",
        image_set=realdata / "dior_mmrotate" / "ImageSets" / "demo.txt",
    )
    (r,) = res
    assert Path(r.image).name == "00001.jpg" and (r.width, r.height) == (800, 800)
    (o,) = r.objects
    assert o.label == "golffield"
    assert o.box == (132, 236, 683, 671)  # VOC is 1-based: 133..684 -> 132..683
    assert o.polygon == [[132.0, 236.0, 683.0, 236.0, 683.0, 671.0, 132.0, 671.0]]
    assert not res.report.problems


def test_hrrsd_xml_equals_its_own_coco_export(realdata):
    xml = ds.read_voc(realdata / "hrrsd" / "OPT2017" / "Annotations", source="hrrsd")
    coco = ds.read_coco(
        realdata / "hrrsd" / "COCOFormat" / "Anns" / "hrrsd_tiny_100_3084.json", source="hrrsd"
    )
    assert (xml.report.files, len(xml), xml.report.objects) == (100, 100, 249)
    assert (len(coco), coco.report.objects) == (100, 249)
    assert xml.report.counts() == {"missing_image": 100}  # the repository ships no images
    by_name = {Path(r.image).name: r for r in coco}
    for r in xml:  # an independent oracle for the VOC 1-based shift and COCO's w = xmax-xmin+1
        other = by_name[Path(r.image).name]
        assert (r.width, r.height) == (other.width, other.height)
        assert sorted((o.label, o.box) for o in r.objects) == sorted(
            (o.label, o.box) for o in other.objects
        )


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
