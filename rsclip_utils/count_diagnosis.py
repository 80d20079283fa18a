"""Counting diagnosed: why a model's count can stay at chance, measured piece by piece.
Introduced in notebook 06 (the counting protocol itself, RemoteCount's rewrite of the number
word one..ten, is :func:`rsclip_utils.evaluation.counting_scores`).

Each function measures one link of the chain a count has to pass through:

- the words: how often each number word appears in the training captions
  (:func:`number_word_counts`);
- the training pictures: how often the paper's random crop leaves a count in a caption true
  (:func:`crop_keeps_counts`), and how large the counted objects are at the model's input
  (:func:`input_sides`);
- the image tower: whether a linear probe on its frozen features recovers the count
  (:func:`count_probe`);
- the text tower: whether it tells the ten rewrites of a caption apart (:func:`rewrite_similarity`).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence

import numpy as np

from .text import NUMBER_WORDS
from .train_data import CROP_SCALE, crop_box

_WORDS = {w: re.compile(rf"\b{w}\b", re.IGNORECASE) for w in NUMBER_WORDS[1:11]}
_DIGITS = re.compile(r"\b([1-9]|10)\b")


def number_word_counts(captions: Iterable[str]) -> dict[str, int]:
    """How many captions hold each number word one..ten (a caption counts once per word), and
    how many hold a count written in digits 1..10 (``"digits"``)."""
    out = dict.fromkeys([*_WORDS, "digits"], 0)
    for caption in captions:
        for word, pattern in _WORDS.items():
            out[word] += bool(pattern.search(caption))
        out["digits"] += bool(_DIGITS.search(caption))
    return out


def crop_keeps_counts(records, draws: int = 20, seed: int = 0,
                      scale: tuple[float, float] = CROP_SCALE) -> dict:
    """How often the paper's random crop (:func:`~rsclip_utils.train_data.crop_box`) keeps a
    count true: over ``draws`` crops of every record with objects, each class's objects are
    counted as kept when their box centre lies inside the crop; a class's count stays true
    when all of its objects are kept. Returns the share of (image, class, crop) whose count
    stays true, overall and for classes with 1, 2-5 and more than 5 objects."""
    rng = random.Random(seed)
    kept: dict[str, list[bool]] = {"all": [], "1": [], "2-5": [], ">5": []}
    for r in records:
        by_class: dict[str, list] = {}
        for o in r.objects:
            by_class.setdefault(o.label, []).append(o.box)
        if not by_class or not r.width or not r.height:
            continue
        for _ in range(draws):
            x, y, cw, ch = crop_box(r.width, r.height, rng, scale)
            for boxes in by_class.values():
                inside = sum(x <= (b[0] + b[2]) / 2 < x + cw and y <= (b[1] + b[3]) / 2 < y + ch
                             for b in boxes)
                ok = inside == len(boxes)
                n = len(boxes)
                kept["all"].append(ok)
                kept["1" if n == 1 else "2-5" if n <= 5 else ">5"].append(ok)
    return {k: (float(np.mean(v)) if v else None) for k, v in kept.items()} | {
        "pairs": len(kept["all"])}


def input_sides(boxes: Sequence[Sequence[float]], image_sides: Sequence[int],
                input_size: int) -> np.ndarray:
    """Each box's shorter side in pixels once its image (shorter side ``image_sides[i]``) is
    resized to the model's ``input_size`` (the whole image, as evaluation sees it)."""
    out = [min(b[2] - b[0] + 1, b[3] - b[1] + 1) * input_size / side
           for b, side in zip(boxes, image_sides)]
    return np.asarray(out, dtype=float)


def count_probe(image_features: np.ndarray, counts: Sequence[int]) -> dict:
    """Whether a linear probe on frozen image features recovers the count: logistic regression
    (:func:`~rsclip_utils.evaluation.linear_probe`) trained on every other image of each count
    and scored on the rest. Chance is one over the number of counts."""
    from .evaluation import linear_probe

    counts = np.asarray(counts)
    train = np.zeros(len(counts), bool)
    for c in np.unique(counts):
        train[np.flatnonzero(counts == c)[::2]] = True
    result = linear_probe(image_features[train], counts[train], image_features[~train],
                          counts[~train])
    return {**result, "chance": 1 / len(np.unique(counts)), "train": int(train.sum()),
            "test": int((~train).sum())}


def rewrite_similarity(variant_features: np.ndarray, image_features: np.ndarray,
                       seed: int = 0) -> dict:
    """How far apart the text tower puts the ten rewrites of each caption (``variant_features``,
    (N, 10, D), normalised): their mean cosine similarity matrix, its mean off the diagonal, and
    two ranges of an image's similarity (max - min, averaged over the images), each over ten
    captions so that they compare: over its own ten rewrites (``rewrite_range``: a change of the
    number only), and over the captions of ten other images drawn at random (``caption_range``,
    the first rewrite of each: a change of the whole caption). Needs at least 11 captions."""
    n, k = variant_features.shape[:2]
    if n <= k:
        raise ValueError(f"rewrite_similarity needs more than {k} captions to draw {k} other "
                         f"images' captions from, got {n}")
    sims = np.einsum("nid,njd->ij", variant_features, variant_features) / n
    off = sims[~np.eye(len(sims), dtype=bool)]
    to_image = np.einsum("nd,nkd->nk", image_features, variant_features)
    across = image_features @ variant_features[:, 0].T  # each image against every caption
    rng = np.random.default_rng(seed)
    others = np.array([rng.choice(np.delete(np.arange(n), i), k, replace=False)
                       for i in range(n)])
    drawn = np.take_along_axis(across, others, axis=1)
    return {"matrix": sims.tolist(), "off_diagonal_mean": float(off.mean()),
            "rewrite_range": float((to_image.max(1) - to_image.min(1)).mean()),
            "caption_range": float((drawn.max(1) - drawn.min(1)).mean())}


__all__ = ["count_probe", "crop_keeps_counts", "input_sides", "number_word_counts",
           "rewrite_similarity"]
