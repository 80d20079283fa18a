"""Reader of COCO JSON (rsclip_utils.datasets.coco)."""

import json
from collections import Counter

import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError


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


def test_hrrsd_coco_categories_start_at_zero(realdata):
    coco = ds.read_coco(realdata / "hrrsd" / "COCOFormat" / "Anns" / "hrrsd_tiny_100_3084.json")
    labels = Counter(o.label for r in coco for o in r.objects)
    assert "bridge" in labels  # category id 0
    assert len(labels) <= 13


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
