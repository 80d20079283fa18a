"""Similarity maps (rsclip_utils.similarity_maps, notebook 06): the patch grid, each patch's mask
coverage against a brute-force count, the AUROC against scikit-learn's, and a whole scene scored
by a stand-in model that sees only redness, on a mask written in LoveDA's format."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from sklearn.metrics import roc_auc_score

from rsclip_utils import similarity_maps as sm
from rsclip_utils.records import Record


@given(st.integers(1, 300), st.integers(1, 300), st.integers(1, 10))
def test_the_grid_is_square_patches_inside_the_scene(width, height, per_side):
    rows, cols, side = sm.patch_grid(width, height, per_side)
    assert side >= 1 and rows * side <= height and cols * side <= width
    assert side == max(1, min(width, height) // per_side)
    assert min(rows, cols) >= min(per_side, width, height)  # at least per_side on the short side
    assert height - rows * side < side and width - cols * side < side  # as many as fit


@settings(max_examples=100)
@given(st.integers(0, 10**6))
def test_coverage_counts_each_patchs_pixels(seed):
    rng = np.random.default_rng(seed)
    h, w = rng.integers(8, 60, size=2)
    labels = rng.integers(0, 3, size=(h, w))
    rows, cols, side = sm.patch_grid(w, h, int(rng.integers(1, 6)))
    got = sm.patch_coverage(labels, 1, rows, cols, side)
    for r in range(rows):
        for c in range(cols):
            patch = labels[r * side:(r + 1) * side, c * side:(c + 1) * side]
            assert got[r, c] == pytest.approx(np.count_nonzero(patch == 1) / side ** 2)


@settings(max_examples=200)
@given(st.integers(0, 10**6), st.booleans())
def test_auroc_equals_scikit_learns_on_covered_against_empty_patches(seed, ties):
    rng = np.random.default_rng(seed)
    coverage = rng.choice([0.0, 0.2, 0.5, 0.9, 1.0], size=30)
    scores = rng.normal(size=30)
    if ties:
        scores = np.round(scores, 0)
    keep = (coverage >= 0.5) | (coverage == 0)
    y = coverage[keep] >= 0.5
    ours = sm.auroc(scores, coverage)
    if y.all() or not y.any():
        assert ours is None
    else:
        assert ours == pytest.approx(roc_auc_score(y, scores[keep]))


def test_auroc_by_hand():
    assert sm.auroc(np.array([3.0, 2.0, 1.0]), np.array([1.0, 0.0, 0.0])) == 1.0
    assert sm.auroc(np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])) == 0.0
    assert sm.auroc(np.array([1.0, 1.0, 0.0]), np.array([1.0, 0.0, 0.3])) == 0.5  # a tie
    assert sm.auroc(np.array([1.0, 2.0]), np.array([0.0, 0.0])) is None  # no covered patch


class Redness(torch.nn.Module):
    """A stand-in CLIP: an image's embedding is (redness, 1 - redness), every prompt's (1, 0)."""

    def encode_image(self, images, normalize=True):
        red = images[:, 0].mean(dim=(1, 2)) - images[:, 1:].mean(dim=(1, 2, 3))
        f = torch.stack([red, 1 - red], 1)
        return torch.nn.functional.normalize(f, dim=1) if normalize else f

    def encode_text(self, tokens, normalize=True):
        return torch.tensor([[1.0, 0.0]]).repeat(len(tokens), 1)


class Bundle:
    def __init__(self):
        import torchvision.transforms as T

        self.model = Redness()
        self.preprocess_val = T.Compose([T.Resize((8, 8)), T.ToTensor()])
        self.tokenizer = lambda texts: torch.zeros(len(texts), 4, dtype=torch.long)


def test_a_scene_whose_buildings_are_red_gets_a_perfect_map(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 60, size=(64, 96, 3), dtype=np.uint8)  # dark noise
    mask = np.ones((64, 96), np.uint8)  # LoveDA: 1 background, 2 building, 3 road
    mask[8:24, 16:40] = 2
    image[8:24, 16:40] = (230, 20, 20)  # the buildings are red
    mask[40:64, 0:96] = 3  # the road is as dark as the rest
    Image.fromarray(image).save(tmp_path / "scene.png")
    Image.fromarray(mask).save(tmp_path / "scene_mask.png")
    record = Record(image=str(tmp_path / "scene.png"), source="t", image_id="scene",
                    split="train", width=96, height=64, mask=str(tmp_path / "scene_mask.png"),
                    mask_format="loveda")
    maps = sm.scene_maps("test", record, {"redness": Bundle()}, per_side=8)
    by_class = {m.label: m for m in maps}
    assert set(by_class) == {"building", "road"}  # background is no class to name
    building, road = by_class["building"], by_class["road"]
    assert (building.rows, building.cols, building.side) == (8, 12, 8)
    assert building.positives == 6 and building.auroc["redness"] == 1.0
    assert road.auroc["redness"] < 0.5  # the road is not red: covered patches score lower
    summary = sm.summarise(maps)
    assert summary["test"]["redness"]["pairs"] == 2
    assert summary["test"]["redness"]["above_half"] == 1


def test_a_mask_of_another_size_is_refused_naming_both(tmp_path):
    Image.fromarray(np.zeros((10, 10, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.ones((12, 10), np.uint8)).save(tmp_path / "a_mask.png")
    record = Record(image=str(tmp_path / "a.png"), source="t", image_id="a", split="train",
                    width=10, height=10, mask=str(tmp_path / "a_mask.png"), mask_format="loveda")
    with pytest.raises(ValueError, match="a_mask.png.*does not match its image.*a.png"):
        sm.scene_maps("test", record, {"redness": Bundle()})


def test_the_prompt_is_the_zero_shot_template():
    assert sm.prompt("water") == "a satellite photo of water."
    assert sm.PROMPT.replace("{class}", "{}").format("x") == sm.prompt("x")
