"""Reader of NWPU VHR-10 (rsclip_utils.datasets.nwpu)."""

import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError


def test_nwpu_txt_and_coco(realdata):
    txt = ds.read_nwpu_vhr10(realdata / "nwpu_vhr10" / "ground truth")
    assert (txt.report.files, len(txt), txt.report.objects) == (650, 650, 3896)
    assert {o.label for r in txt for o in r.objects} == set(ds.NWPU_CLASSES.values())
    coco = ds.read_coco(
        realdata / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json"
    )
    assert (len(coco), coco.report.objects) == (650, 3921)
    assert all(o.polygon for r in coco for o in r.objects)
    assert len({o.label for r in coco for o in r.objects}) == 10


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
