"""Where a CLIP model finds a class in a scene: the similarity maps of RemoteCLIP section IV-D
(Fig. 10), measured against the segmentation mask. Introduced in notebook 06.

A scene is cut into a grid of square patches; each patch, resized to the model's input, is
scored by the cosine similarity of its image embedding with the text embedding of a prompt for
one class, the zero-shot prompt of notebook 06 ("a satellite photo of building.", the paper's
Table III template). The map is those scores on the grid. How well it follows the mask is
one number per (scene, class): the AUROC of the patch scores between the patches the class
covers (at least ``POSITIVE`` of their pixels) and the patches without a pixel of it; patches
partly covered are left out of the AUROC (shown in the map). 0.5 is a map that does not follow
the mask at all, 1.0 one that ranks every covered patch above every empty one.

The paper shows maps, not a number; the AUROC is this course's way to read them without
choosing the pictures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from .datasets.segmentation import decode_mask
from .evaluation import ZERO_SHOT_TEMPLATE
from .images import open_rgb

POSITIVE = 0.5  # a patch is the class's when at least this share of its pixels is
PER_SIDE = 8  # patches along the shorter side of a scene
MIN_PATCHES = 2  # a (scene, class) pair is scored with at least this many patches each way
PROMPT = "a satellite photo of {class}."  # the zero-shot template: prompt()
SKIP_CLASSES = ("background", "clutter")  # no one thing to name


@dataclass
class PatchMap:
    """One scene and one class: the grid of patch scores and of mask coverage, and the AUROC."""

    source: str
    image: str
    label: str
    rows: int
    cols: int
    side: int
    coverage: np.ndarray  # (rows, cols), share of each patch's pixels of the class
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # model -> (rows, cols)
    auroc: dict[str, float | None] = field(default_factory=dict)

    @property
    def positives(self) -> int:
        """Patches the class covers (at least :data:`POSITIVE` of their pixels)."""
        return int((self.coverage >= POSITIVE).sum())

    @property
    def negatives(self) -> int:
        """Patches without a pixel of the class."""
        return int((self.coverage == 0).sum())


def patch_grid(width: int, height: int, per_side: int = PER_SIDE) -> tuple[int, int, int]:
    """(rows, cols, side): square patches of ``side`` pixels, ``per_side`` along the shorter side
    of the scene, as many as fit along the longer; the grid starts at the top-left corner."""
    side = max(1, min(width, height) // per_side)
    return height // side, width // side, side


def patch_coverage(labels: np.ndarray, value: int, rows: int, cols: int,
                   side: int) -> np.ndarray:
    """The share of each grid patch's pixels whose mask value is ``value``."""
    hit = labels[:rows * side, :cols * side] == value
    return hit.reshape(rows, side, cols, side).mean(axis=(1, 3))


def auroc(scores: np.ndarray, coverage: np.ndarray, positive: float = POSITIVE) -> float | None:
    """The AUROC of ``scores`` between patches with coverage >= ``positive`` and patches with
    none (a tie counts half: the Mann-Whitney statistic); None without both kinds."""
    scores, coverage = np.ravel(scores), np.ravel(coverage)
    pos, neg = scores[coverage >= positive], scores[coverage == 0]
    if not len(pos) or not len(neg):
        return None
    above = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(above / (len(pos) * len(neg)))


def _patch_features(model, preprocess, image, rows: int, cols: int, side: int,
                    device: str) -> np.ndarray:
    crops = [image.crop((c * side, r * side, (c + 1) * side, (r + 1) * side))
             for r in range(rows) for c in range(cols)]
    out = []
    with torch.no_grad():
        for k in range(0, len(crops), 256):
            batch = torch.stack([preprocess(c) for c in crops[k:k + 256]]).to(device)
            out.append(model.encode_image(batch, normalize=True).float().cpu().numpy())
    return np.concatenate(out).reshape(rows, cols, -1)


def prompt(name: str) -> str:
    """The prompt for a class: the zero-shot template, "a satellite photo of water." (one template
    for every class, mass nouns too, which "a {class}" would get wrong)."""
    return ZERO_SHOT_TEMPLATE.format(name)


def _prompt_features(model, tokenizer, names: Sequence[str], device: str) -> np.ndarray:
    with torch.no_grad():
        tokens = tokenizer([prompt(n) for n in names]).to(device)
        return model.encode_text(tokens, normalize=True).float().cpu().numpy()


def scene_maps(source: str, record, models: dict, per_side: int = PER_SIDE,
               device: str = "cpu") -> list[PatchMap]:
    """Every class of one segmentation record (``image``, ``mask``, ``mask_format``) that covers
    at least :data:`MIN_PATCHES` patches and leaves as many empty, scored by each model of
    ``models`` (name -> an open_clip bundle: model, preprocess_val, tokenizer)."""
    from .evaluation import class_name

    label_map = decode_mask(record.mask, record.mask_format)
    image = open_rgb(record.image)
    labels = label_map.labels
    if labels.shape != (image.height, image.width):
        raise ValueError(f"{record.mask}: mask {labels.shape[1]} x {labels.shape[0]} does not "
                         f"match its image {record.image} ({image.width} x {image.height})")
    rows, cols, side = patch_grid(image.width, image.height, per_side)
    maps = []
    for value, name in sorted(label_map.classes.items()):
        if name.lower() in SKIP_CLASSES:
            continue
        cover = patch_coverage(labels, value, rows, cols, side)
        m = PatchMap(source, str(record.image), class_name(name), rows, cols, side, cover)
        if m.positives >= MIN_PATCHES and m.negatives >= MIN_PATCHES:
            maps.append(m)
    if not maps:
        return []
    for model_name, bundle in models.items():
        model = bundle.model.eval()
        feats = _patch_features(model, bundle.preprocess_val, image, rows, cols, side, device)
        prompts = _prompt_features(model, bundle.tokenizer, [m.label for m in maps], device)
        for m, prompt in zip(maps, prompts):
            m.scores[model_name] = feats @ prompt
            m.auroc[model_name] = auroc(m.scores[model_name], m.coverage)
    return maps


def summarise(maps: list[PatchMap]) -> dict:
    """Per source and model: the mean AUROC over its (scene, class) pairs, their count, and how
    many of them score above 0.5."""
    out: dict = {}
    for m in maps:
        for model_name, value in m.auroc.items():
            if value is None:
                continue
            entry = out.setdefault(m.source, {}).setdefault(model_name, [])
            entry.append(value)
    return {source: {model: {"mean_auroc": float(np.mean(v)), "pairs": len(v),
                             "above_half": int(sum(x > 0.5 for x in v))}
                     for model, v in per.items()}
            for source, per in out.items()}
