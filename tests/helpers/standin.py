"""Stand-in files of the paper profile's datasets in their official layouts (tests only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from rsclip_utils.paths import repo_root

RNG = np.random.default_rng(7)


def photo(path: Path, size=(96, 96), seed=None) -> np.ndarray:
    """A textured image no other stand-in resembles (blocks of random colour)."""
    rng = np.random.default_rng(seed) if seed is not None else RNG
    blocks = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    a = np.kron(blocks, np.ones((size[1] // 8, size[0] // 8, 1), np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)
    return a


def karpathy_folder(folder: Path, json_name: str, image_dir: str, splits, ext=".jpg"):
    images = []
    for i, split in enumerate(splits):
        name = f"{folder.name.lower()}_{i}{ext}"
        photo(folder / image_dir / name)
        images.append({"filename": name, "imgid": i, "split": split, "sentences": [
            {"raw": f"many buildings and a road near number {i} ."},
            {"raw": f"a {split} scene with trees {i} ."}]})
    (folder / json_name).write_text(json.dumps({"images": images, "dataset": folder.name}))


def build_standin(tmp_path, monkeypatch):
    """A data root with RSICD, RSITMD, UCM, DOTA, LoveDA and AID in their official layouts, and a
    registry whose minimum counts fit these few files."""
    root = tmp_path / "data"
    splits = ["train"] * 4 + ["val", "test"]
    karpathy_folder(root / "RSICD", "dataset_rsicd.json", "RSICD_images", splits)
    karpathy_folder(root / "RSITMD", "dataset_RSITMD.json", "images", splits)
    karpathy_folder(root / "UCM", "dataset.json", "images", splits, ext=".tif")
    for split in ("train", "val"):
        for i in range(2):
            photo(root / "DOTA" / split / "images" / f"P{split}{i}.png", (128, 128))
            (root / "DOTA" / split / "labelTxt" / f"P{split}{i}.txt").parent.mkdir(
                parents=True, exist_ok=True)
            (root / "DOTA" / split / "labelTxt" / f"P{split}{i}.txt").write_text(
                "imagesource:GoogleEarth\ngsd:0.5\n10 10 40 10 40 30 10 30 plane 0\n"
                "60 60 70 60 70 75 60 75 small-vehicle 1\n")
    # an RSICD test image copied (re-encoded, larger) into DOTA's training images: contamination
    test_image = Image.open(root / "RSICD" / "RSICD_images" / "rsicd_5.jpg")
    test_image.resize((192, 192)).save(root / "DOTA" / "train" / "images" / "Pcopy.png")
    (root / "DOTA" / "train" / "labelTxt" / "Pcopy.txt").write_text(
        "5 5 50 5 50 50 5 50 storage-tank 0\n")
    for split, domains in (("Train", ("Urban", "Rural")), ("Val", ("Urban", "Rural"))):
        for d in domains:
            photo(root / "LoveDA" / split / d / "images_png" / f"{split}{d}.png", (64, 64))
            mask = np.zeros((64, 64), np.uint8)
            mask[:, :32] = 2  # building
            mask[40:50, 40:60] = 6  # forest
            masks = root / "LoveDA" / split / d / "masks_png"
            masks.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask).save(masks / f"{split}{d}.png")
    for c in ("Airport", "Forest"):
        for i in range(5):
            photo(root / "AID" / c / f"{c.lower()}_{i}.jpg", (64, 64))
    raw = json.loads((repo_root() / "data" / "registry.json").read_text())
    for entry in raw["datasets"].values():
        for item in entry["layout"]:
            item["min_count"] = 1
            if item["type"] == "class_folders":
                item["min_classes"] = 2
    registry = tmp_path / "registry.json"
    registry.write_text(json.dumps(raw))
    monkeypatch.setenv("RSCLIP_REGISTRY", str(registry))
    return root
