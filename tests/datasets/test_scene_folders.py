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
    Image.new("RGB", (8, 8)).save(tmp_path / "Forest" / "forest_2.webp")
    res = ds.read_scene_folders(tmp_path)
    assert len(res) == 2 and res.report.counts() == {"not_an_image": 1}
    assert "extension '.txt' is not one of the image extensions read" in \
        str(res.report.problems[0])


def test_nested_images_belong_to_their_class_and_nothing_is_skipped_silently(tmp_path):
    """``Airport/more/x.jpg`` is an airport image (read, its sub-folder noted); extensions match
    whatever their case; hidden folders and files beside the class folders are listed."""
    for rel in ("Airport/a1.jpg", "Airport/more/x.jpg", "Airport/more/deeper/y.PNG",
                "Airport/A2.JPG", "Airport/.ipynb_checkpoints/a1-checkpoint.jpg",
                "Forest/f1.jpg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(tmp_path / rel, format="PNG" if rel.endswith("PNG")
                                      else "JPEG")
    (tmp_path / "README.md").write_text("x")
    res = ds.read_scene_folders(tmp_path)
    airport = sorted(r.image_id for r in res if r.label == "Airport")
    assert airport == ["Airport/A2", "Airport/a1", "Airport/more/deeper/y", "Airport/more/x"]
    assert res.report.files == len(res) == 5
    assert res.report.counts() == {"nested_folder": 2, "skipped_folder": 1, "not_in_class": 1}
    where = {Path(p.file).name: p.kind for p in res.report.problems}
    assert where == {"more": "nested_folder", "deeper": "nested_folder",
                     ".ipynb_checkpoints": "skipped_folder", "README.md": "not_in_class"}
    # the 8:2 split counts the nested images: 4 airport images -> 3 train, 1 test
    assert Counter(r.split for r in res if r.label == "Airport") == {"train": 3, "test": 1}


def test_upper_case_label_extension_is_read(tmp_path):
    """A label file ``P2.TXT`` is a label file, as ``P1.txt`` is; any other file in the label
    folder is listed, not passed over."""
    labels = tmp_path / "labelTxt"
    labels.mkdir()
    (labels / "P1.txt").write_text("10 10 20 10 20 20 10 20 plane 0\n")
    (labels / "P2.TXT").write_text("10 10 20 10 20 20 10 20 ship 0\n")
    (labels / "notes.md").write_text("x")
    res = ds.read_dota(labels, tmp_path / "images", strict=False)
    assert sorted(r.image_id for r in res) == ["P1", "P2"]
    assert res.report.files == 2
    assert res.report.counts().get("other_file") == 1
    lists = tmp_path / "classes"
    lists.mkdir()
    (lists / "Airport.TXT").write_text("airport_1.jpg\n")
    assert [r.label for r in ds.read_rsicd_class_lists(lists)] == ["Airport"]
