"""Readers of caption sets (rsclip_utils.datasets.caption_sets): Karpathy JSON and precomp text."""

import json
from collections import Counter

import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.errors import FormatError


def test_karpathy_captions(realdata):
    base = realdata / "captions_rsicd_ucm_sydney_jbarata"
    ucm = ds.read_karpathy(base / "captions" / "dataset_ucm_modified.json", base / "UCM_images")
    assert ucm.report.source == "ucm"
    assert (len(ucm), ucm.report.captions) == (2100, 10500)
    assert Counter(r.split for r in ucm) == {"train": 1680, "val": 210, "test": 210}
    assert ucm.report.counts() == {"missing_image": 2091}  # 9 of the 2100 images are here
    assert sum(r.width == 256 for r in ucm) == 9
    syd = ds.read_karpathy(
        base / "captions" / "dataset_sydney_modified.json", base / "Sydney_images"
    )
    assert (len(syd), syd.report.captions) == (613, 3065)
    assert Counter(r.split for r in syd) == {"train": 497, "val": 58, "test": 58}


@pytest.mark.parametrize(
    "name, train, test, captions, empty",
    [
        ("rsicd", 9828, 1093, 54605, 0),
        ("rsitmd", 4291, 452, 23715, 20),
        ("ucm", 1680, 210, 9450, 0),
        ("sydney", 497, 58, 2775, 0),
    ],
)
def test_precomp_captions(realdata, name, train, test, captions, empty):
    res = ds.read_precomp(realdata / "captions_amfmn_precomp" / f"{name}_precomp")
    assert Counter(r.split for r in res) == {"train": train, "test": test}
    assert res.report.captions == captions - empty
    assert res.report.counts().get("empty_caption", 0) == empty
    assert all(len(r.captions) == 5 for r in res if r.split == "test")  # one line per caption
    if empty:  # RSITMD: four images whose five caption lines are all empty
        assert res.report.counts()["no_captions"] == empty // 5


def test_precomp_verify_splits_when_named(realdata):
    res = ds.read_precomp(
        realdata / "captions_amfmn_precomp" / "sydney_precomp",
        splits=["train_verify", "val_verify"],
    )
    assert Counter(r.split for r in res) == {"train": 397, "val": 100}
    assert all(len(r.captions) == 5 for r in res)


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
