"""The paper profile without a GPU or internet: it refuses to start and says what is missing; and
its code path up to the first download (registry check, every loader, Mask-to-Box, Box-to-Caption,
p-Hash de-duplication against the evaluation sets) runs on stand-in files in each official
layout."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from rsclip_utils import pipeline
from rsclip_utils.config import get_profile
from rsclip_utils.data import check_all, load_registry
from rsclip_utils.models import hub_reachable
from rsclip_utils.paths import repo_root
from rsclip_utils.run import paper_preflight

RNG = np.random.default_rng(7)


def _photo(path: Path, size=(96, 96), seed=None) -> np.ndarray:
    """A textured image no other stand-in resembles (blocks of random colour)."""
    rng = np.random.default_rng(seed) if seed is not None else RNG
    blocks = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    a = np.kron(blocks, np.ones((size[1] // 8, size[0] // 8, 1), np.uint8))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)
    return a


def _karpathy(folder: Path, json_name: str, image_dir: str, splits, ext=".jpg"):
    images = []
    for i, split in enumerate(splits):
        name = f"{folder.name.lower()}_{i}{ext}"
        _photo(folder / image_dir / name)
        images.append({"filename": name, "imgid": i, "split": split, "sentences": [
            {"raw": f"many buildings and a road near number {i} ."},
            {"raw": f"a {split} scene with trees {i} ."}]})
    (folder / json_name).write_text(json.dumps({"images": images, "dataset": folder.name}))


@pytest.fixture()
def standin(tmp_path, monkeypatch):
    """A data root with RSICD, RSITMD, UCM, DOTA, LoveDA and AID in their official layouts, and a
    registry whose minimum counts fit these few files."""
    root = tmp_path / "data"
    splits = ["train"] * 4 + ["val", "test"]
    _karpathy(root / "RSICD", "dataset_rsicd.json", "RSICD_images", splits)
    _karpathy(root / "RSITMD", "dataset_RSITMD.json", "images", splits)
    _karpathy(root / "UCM", "dataset.json", "images", splits, ext=".tif")
    for split in ("train", "val"):
        for i in range(2):
            _photo(root / "DOTA" / split / "images" / f"P{split}{i}.png", (128, 128))
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
            _photo(root / "LoveDA" / split / d / "images_png" / f"{split}{d}.png", (64, 64))
            mask = np.zeros((64, 64), np.uint8)
            mask[:, :32] = 2  # building
            mask[40:50, 40:60] = 6  # forest
            masks = root / "LoveDA" / split / d / "masks_png"
            masks.mkdir(parents=True, exist_ok=True)
            Image.fromarray(mask).save(masks / f"{split}{d}.png")
    for c in ("Airport", "Forest"):
        for i in range(5):
            _photo(root / "AID" / c / f"{c.lower()}_{i}.jpg", (64, 64))
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


def test_paper_profile_stops_at_once_offline_without_gpu_or_data(tmp_path):
    out = tmp_path / "run"
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rsclip_utils.run", "--profile", "paper",
                           "--data-root", str(tmp_path / "nowhere"), "--out", str(out)],
                          cwd=repo_root(), capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert time.perf_counter() - start < 120
    err = proc.stderr
    assert "the paper profile cannot start; nothing was run" in err
    assert f"--data-root {tmp_path / 'nowhere'} does not exist" in err
    if not __import__("torch").cuda.is_available():
        assert "no CUDA GPU" in err
    if not hub_reachable():
        assert "'openai' weights of ViT-B-32" in err and "RemoteCLIP-ViT-B-32.pt" in err
    assert not out.exists(), "nothing is written when the preflight fails"


def test_preflight_with_the_data_present_lists_only_gpu_and_weights(standin):
    statuses = {s.key: s.state for s in check_all(load_registry(), standin)}
    assert {k for k, v in statuses.items() if v == "complete"} == {
        "RSICD", "RSITMD", "UCM", "DOTA", "LoveDA", "AID"}
    problems = paper_preflight(standin, cuda=False)
    assert problems[0].startswith("no CUDA GPU")
    assert not any("RSICD" in p or "incomplete" in p for p in problems)
    if not hub_reachable():
        assert len(problems) == 3  # GPU, OpenAI weights, RemoteCLIP weights


def test_preflight_names_a_half_present_dataset_and_a_missing_ret_set(standin):
    (standin / "VisDrone" / "VisDrone2019-DET-train" / "images").mkdir(parents=True)
    for p in (standin / "UCM" / "images").iterdir():
        p.unlink()
    problems = "\n".join(paper_preflight(standin, cuda=True))
    assert "VisDrone incomplete" in problems and "VisDrone2019-DET-train/annotations" in problems
    assert "UCM incomplete" in problems
    import shutil

    shutil.rmtree(standin / "RSITMD")
    shutil.rmtree(standin / "AID")
    problems = "\n".join(paper_preflight(standin, cuda=True))
    assert "RSITMD (needed for Table II) not found" in problems
    assert "no scene-classification set complete" in problems
    data_only = "\n".join(paper_preflight(standin, cuda=True, needs_model=False))
    assert "RSITMD" in data_only and "scene-classification" not in data_only


def test_cached_weights_pass_the_preflight(standin, tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    for repo, name in (("timm/vit_base_patch32_clip_224.openai", "open_clip_model.safetensors"),
                       ("chendelong/RemoteCLIP", "RemoteCLIP-ViT-B-32.pt")):
        folder = cache / ("models--" + repo.replace("/", "--"))
        (folder / "refs").mkdir(parents=True)
        (folder / "refs" / "main").write_text("0" * 40)
        (folder / "snapshots" / ("0" * 40)).mkdir(parents=True)
        (folder / "snapshots" / ("0" * 40) / name).write_bytes(b"stand-in weights")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(cache))
    assert paper_preflight(standin, cuda=True) == []


def test_the_paper_data_path_runs_to_the_deduplicated_manifest(standin, tmp_path):
    run_dir = tmp_path / "run"
    profile = get_profile("paper")
    sources = pipeline.run_sources(run_dir, profile, 0, standin)
    assert sources.kinds() == {"RET": ["RSICD", "RSITMD", "UCM"], "DET": ["DOTA"],
                               "SEG": ["LoveDA"]}
    assert list(sources.scenes) == ["AID"] and sources.count is None
    assert "DIOR" in sources.absent and "RSICD" not in sources.absent
    assert (run_dir / "sources" / "DOTA.jsonl").is_file()  # read once, cached for later notebooks
    assert {len(v) for v in sources.retrieval_sets().values()} == {1}
    manifest = pipeline.manifest_dedup(run_dir, profile, 0, standin)
    with manifest.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    by_source = {r["source"] for r in rows}
    assert by_source == {"RSICD", "RSITMD", "UCM", "DOTA", "LoveDA"}
    images = {Path(r["filepath"]).name for r in rows}
    assert "rsicd_0.jpg" in images and "rsicd_5.jpg" not in images  # test split never trained on
    assert "Pcopy.png" not in images  # the copy of an RSICD test image was removed
    assert "Ptrain0.png" in images
    loveda = [r["title"] for r in rows if r["source"] == "LoveDA"]
    assert loveda and any("building" in t for t in loveda)  # Mask-to-Box, then Box-to-Caption
    dota = [r["title"] for r in rows if r["source"] == "DOTA"]
    assert any("airplane" in t for t in dota)  # DOTA's "plane", in the caption vocabulary
    report = json.loads((run_dir / "dedup_report.json").read_text())
    assert report["evaluation"]["RSICD test"]["with_copies_in_training"] == 1


def test_without_a_data_root_the_paper_sources_say_so(tmp_path):
    with pytest.raises(ValueError, match="set DATA_ROOT"):
        pipeline.run_sources(tmp_path, get_profile("paper"), 0, None)


@pytest.mark.notebooks
def test_the_data_notebooks_run_in_the_paper_profile_on_a_cpu(standin, tmp_path):
    """00, 02, 03 and 04 need the data but no GPU and no weights: the preflight lets them run,
    and they build the paper manifest from the stand-in datasets."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "rsclip_utils.run", "--profile", "paper",
                           "--data-root", str(standin), "--only", "00,02,03,04", "--out",
                           str(out), "--quiet"],
                          cwd=repo_root(), capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = (out / "report.md").read_text()
    for nb in ("00_datasets", "02_mask_to_box", "03_box_to_caption", "04_phash_dedup"):
        assert f"| {nb}.ipynb | ok |" in report
    with (out / "manifest_dedup.tsv").open(newline="") as f:
        sources = {r["source"] for r in csv.DictReader(f, delimiter="\t")}
    assert sources == {"RSICD", "RSITMD", "UCM", "DOTA", "LoveDA"}
    boxed = {json.loads(line)["source"] for line in
             (out / "m2b" / "m2b_records.jsonl").read_text().splitlines()}
    assert boxed == {"LoveDA"}  # only the run's SEG sources are boxed for training
    executed = (out / "notebooks" / "00_datasets.ipynb").read_text()
    assert "RSICD" in executed and "complete" in executed  # section 12 checked DATA_ROOT
