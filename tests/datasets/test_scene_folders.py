"""Reader of scene-class folders (rsclip_utils.datasets.scene_folders)."""

from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from rsclip_utils import datasets as ds


@pytest.mark.parametrize("folder, classes", [("aid_scene_subset", 30), ("rsscn7_subset", 7)])
def test_scene_folders_eight_two_split(realdata, folder, classes):
    res = ds.read_scene_folders(realdata / folder)
    assert len({r.label for r in res}) == classes and len(res) == 2 * classes
    for label in {r.label for r in res}:
        files = sorted(Path(r.image).name for r in res if r.label == label)
        splits = {Path(r.image).name: r.split for r in res if r.label == label}
        assert [splits[f] for f in files] == ["train", "test"]  # floor(0.8 * 2) = 1 train


def test_rsicd_class_lists(realdata):
    res = ds.read_rsicd_class_lists(realdata / "rsicd_official" / "txtclasses_rsicd_extracted")
    assert (res.report.files, len(res)) == (31, 10921)
    assert Counter(r.label for r in res)["Airport"] > 0


def test_scene_folder_non_images_are_listed(tmp_path):
    (tmp_path / "Forest").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "Forest" / "forest_1.jpg")
    (tmp_path / "Forest" / "notes.txt").write_text("x")
    res = ds.read_scene_folders(tmp_path)
    assert len(res) == 1 and res.report.counts() == {"not_an_image": 1}
