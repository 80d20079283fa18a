"""Ranking metrics with ties counted fairly: the exact expectation over uniformly random orders
of tied items, in closed form. Introduced in notebook 06 (retrieval); zero-shot, counting and
k-NN use it too.

Why: two captions that the tokenizer turns into the same tokens get the same embedding, so they
tie exactly, and a ranking that breaks ties by position (``argsort``, ``torch.topk``) credits
whichever item comes first in the file. Here a query's outcome at k is the probability that a
correct item is among the top k when tied items are shuffled:

- ``above``: items scored higher than the best correct item (all wrong, by definition);
- the tie group at that score: ``c`` correct and ``w`` wrong items, ``n = c + w``;
- with ``r = k - above`` places left (0 <= r <= n), the first r items of the shuffled group are
  all wrong with probability C(w, r) / C(n, r), so P(hit at k) = 1 - C(w, r) / C(n, r).

A query "depends on a tie" when that probability is strictly between 0 and 1 for some k.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from math import comb

import numpy as np


def expected_hits(scores: np.ndarray, correct: np.ndarray,
                  ks: Sequence[int]) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Per query (row), the probability that a correct item is among the top k, for each k, and
    whether any of them depends on a tie. ``scores`` and ``correct`` (bool) are (queries, items);
    every query needs at least one correct item."""
    scores = np.asarray(scores)
    correct = np.asarray(correct, bool)
    if scores.shape != correct.shape:
        raise ValueError(f"scores {scores.shape} and correct {correct.shape} differ in shape")
    if len(scores) and not correct.any(axis=1).all():
        raise ValueError(f"queries without a correct item: "
                         f"{np.flatnonzero(~correct.any(axis=1))[:10].tolist()}")
    best = np.where(correct, scores, -np.inf).max(axis=1, keepdims=True)
    above = (scores > best).sum(axis=1)
    at = scores == best
    c = (at & correct).sum(axis=1)
    w = (at & ~correct).sum(axis=1)
    n = c + w
    out, tied = {}, np.zeros(len(scores), bool)
    for k in ks:
        r = np.clip(k - above, 0, n)
        miss = np.ones(len(scores))  # C(w, r) / C(n, r) as a product of r factors
        for i in range(int(r.max(initial=0))):
            step = i < r  # here n - i >= 1
            miss[step] *= np.maximum(w[step] - i, 0) / (n[step] - i)
        p = 1.0 - miss
        out[int(k)] = p
        tied |= (p > 0) & (p < 1)
    return out, tied


def expected_top1_confusion(scores: np.ndarray, truth: Sequence[int],
                            n_classes: int) -> np.ndarray:
    """The expected (truth x prediction) count matrix of predicting the top-scored class, a
    tie for the top splitting its row's one count equally among the tied classes."""
    scores = np.asarray(scores)
    top = scores == scores.max(axis=1, keepdims=True)
    out = np.zeros((n_classes, n_classes))
    np.add.at(out, np.asarray(truth), top / top.sum(axis=1, keepdims=True))
    return out


def knn_expected_correct(sim: np.ndarray, train_y: np.ndarray, test_y: np.ndarray, k: int,
                         temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Per test row, the probability that the weighted k-NN vote names the true class, and
    whether it depends on a tie. Two ties can decide it: training items tied at the k-th
    similarity (which of them fill the last places: every choice equally likely, so the labels
    drawn follow a multivariate hypergeometric law, enumerated exactly) and classes tied for
    the most votes (each equally likely)."""
    n_classes = int(max(train_y.max(), test_y.max())) + 1
    k = min(k, sim.shape[1])
    probs = np.zeros(len(sim))
    for q, row in enumerate(sim):
        kth = np.partition(row, -k)[-k]
        inside = row > kth
        group = np.flatnonzero(row == kth)
        slots = k - int(inside.sum())
        votes = np.zeros(n_classes)
        np.add.at(votes, train_y[inside], np.exp(row[inside] / temperature))
        labels, sizes = np.unique(train_y[group], return_counts=True)
        weight = np.exp(kth / temperature)
        total = comb(len(group), slots)
        p = 0.0
        for take in product(*(range(min(s, slots) + 1) for s in sizes)):
            if sum(take) != slots:
                continue
            ways = np.prod([comb(int(s), t) for s, t in zip(sizes, take)])
            v = votes.copy()
            v[labels] += np.array(take) * weight
            best = np.flatnonzero(v == v.max())
            p += ways / total * (test_y[q] in best) / len(best)
        probs[q] = p
    return probs, (probs > 1e-12) & (probs < 1 - 1e-12)
