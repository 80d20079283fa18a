"""LAION CLIP_benchmark 1.6.2 as an independent oracle for the project's zero-shot and retrieval
metrics, on a trained checkpoint (the shipped base model) and the smoke embedded set.

CLIP_benchmark encodes images through its own DataLoader loop and ranks with ``torch.topk``; the
project encodes with :func:`rsclip_utils.evaluation.image_features` / ``text_features`` and
ranks in NumPy. The same numbers from both say that the project's metrics follow the protocols
the RS-CLIP papers report with (RemoteCLIP's ``retrieval.py`` calls CLIP_benchmark's
``recall_at_k``).

Tolerance. The two encode in different batch compositions, so their features differ in the last
bits (about 6e-8 measured here); such differences can flip only a decision whose margin is as
small. For each query the *decision margin* at k is the gap between the score of its best
correct item and the k-th best wrong one. An exact tie (margin 0) is asserted absent, since the
two tools break ties differently (``torch.topk``'s order against the project's rule). The numbers
must then be equal, except that each query whose margin is under ``NEAR`` (1e-4, over a thousand
times the float differences) may flip: one query's worth of tolerance per such query (none on the
current smoke set, so the comparison is exact there), plus float32 rounding of
CLIP_benchmark's retrieval means.
"""

from __future__ import annotations

import builtins

import numpy as np
import pytest
import torch

from rsclip_utils import datasets as ds
from rsclip_utils.evaluation import (
    ZERO_SHOT_TEMPLATE,
    class_embeddings,
    class_name,
    image_features,
    retrieval_metrics,
    text_features,
    zero_shot_scores,
)
from rsclip_utils.images import open_rgb
from rsclip_utils.models import TINY, create_model

pytest.importorskip(
    "clip_benchmark",
    reason="CLIP_benchmark is absent: pip install --no-deps clip-benchmark==1.6.2 (as make setup "
           "does; the modules used here need only torch, tqdm, torchvision and scikit-learn)",
)
from clip_benchmark.datasets.builder import get_dataset_collate_fn  # noqa: E402
from clip_benchmark.metrics import zeroshot_classification as cb_zs  # noqa: E402
from clip_benchmark.metrics import zeroshot_retrieval as cb_ret  # noqa: E402

NEAR = 1e-4  # a decision margin below this may flip between batch compositions
SCENE_SETS = ("cls", "eurosat", "uav")
RECALL_KS = (1, 5, 10)


@pytest.fixture(scope="module")
def base():
    bundle = create_model(TINY, "base")
    bundle.model.eval()  # CLIP_benchmark does not switch the model to eval mode itself
    return bundle


def decision_margins(scores: np.ndarray, positive: np.ndarray, ks) -> np.ndarray:
    """(queries, len(ks)): per query (a row of ``scores``) the gap between its best positive
    score and its k-th best negative one; a hit at k exactly when that negative is lower. inf
    where there are fewer than k negatives (always a hit)."""
    out = np.full((len(scores), len(ks)), np.inf)
    for q, (row, pos) in enumerate(zip(scores, positive)):
        best = row[pos].max()
        negatives = np.sort(row[~pos])[::-1]
        for j, k in enumerate(ks):
            if k <= len(negatives):
                out[q, j] = abs(best - negatives[k - 1])
    return out


def assert_no_deciding_ties(margins: np.ndarray, what: str) -> None:
    tied = np.argwhere(margins == 0)
    assert not len(tied), f"{what}: exact ties decide recall for (query, k index) {tied[:5]}"


# --- zero-shot -----------------------------------------------------------------------------------

class SceneImages(torch.utils.data.Dataset):
    """What CLIP_benchmark's classification expects: ``classes`` and (image, target) items."""

    def __init__(self, paths, labels, classes, preprocess):
        self.paths, self.labels, self.classes, self.preprocess = paths, labels, classes, preprocess

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.preprocess(open_rgb(self.paths[i])), self.labels[i]


def _float_numpy1(x):
    return x.item() if isinstance(x, np.ndarray) and x.size == 1 else builtins.float(x)


def unbalanced(records, folders):
    """The whole set with class c cut to its first 1 + c % 4 images (by path): unequal class
    sizes, so that mean per-class recall is not top-1 again (the smoke set is balanced)."""
    out = []
    for c, folder in enumerate(folders):
        members = sorted((r for r in records if r.label == folder), key=lambda r: r.image)
        out += members[:1 + c % 4]
    return out


def test_zero_shot_matches_clip_benchmark(smoke_embedded, base, monkeypatch):
    # CLIP_benchmark 1.6.2's accuracy() ends with float() on a one-element array
    # (`.sum(0, keepdim=True).cpu().numpy()`), which NumPy 2 refuses. Its code runs unchanged
    # here; only the `float` its module looks up takes such an array as NumPy 1 did.
    monkeypatch.setattr(cb_zs, "float", _float_numpy1, raising=False)
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    model, _, preprocess, tokenizer = base
    rows, pooled_hits, pooled_chance, mpcr_differs = [], 0.0, 0.0, []
    for name in SCENE_SETS:
        records = list(sets[name])
        folders = sorted({r.label for r in records})
        classes = [class_name(f) for f in folders]
        selections = {"test": [r for r in records if r.split == "test"],
                      "unbalanced": unbalanced(records, folders)}
        for part, chosen in selections.items():
            paths = [r.image for r in chosen]
            labels = np.array([folders.index(r.label) for r in chosen])
            feats = image_features(model, preprocess, paths, progress=False)
            class_feats = class_embeddings(model, tokenizer, classes)
            ours = zero_shot_scores(feats, labels, class_feats)

            loader = torch.utils.data.DataLoader(
                SceneImages(paths, labels.tolist(), classes, preprocess), batch_size=7)
            theirs = cb_zs.evaluate(model, loader, tokenizer, classes,
                                    [ZERO_SHOT_TEMPLATE.replace("{}", "{c}")],
                                    device="cpu", amp=False)

            scores = feats @ class_feats.T
            positive = labels[:, None] == np.arange(len(classes))[None, :]
            margins = decision_margins(scores, positive, (1, 5))
            assert_no_deciding_ties(margins, f"{name} {part}")
            near = margins < NEAR
            n = len(labels)
            per_class = np.bincount(labels, minlength=len(classes))
            present = (per_class > 0).sum()
            tol = {"top1": near[:, 0].sum() / n, "top5": near[:, 1].sum() / n,
                   "mean_per_class_recall": float(
                       (1 / (present * per_class[labels[near[:, 0]]])).sum())}
            pairs = [("top1", "acc1"), ("mean_per_class_recall", "mean_per_class_recall")]
            if len(classes) >= 5:
                pairs.append(("top5", "acc5"))
            for ours_key, their_key in pairs:
                assert ours[ours_key] == pytest.approx(theirs[their_key],
                                                       abs=tol[ours_key] + 1e-12), \
                    f"{name} {part} {ours_key}: ours {ours[ours_key]}, CLIP_benchmark " \
                    f"{theirs[their_key]} (tolerance {tol[ours_key]})"
            rows.append((name, part, n, ours, theirs))
            pooled_hits += ours["top1"] * n
            pooled_chance += n / len(classes)
            if part == "unbalanced":
                mpcr_differs.append(ours["top1"] != ours["mean_per_class_recall"])
    for name, part, n, ours, theirs in rows:
        print(f"{name:8s} {part:10s} n={n:3d}  top1 {ours['top1']:.4f} / {theirs['acc1']:.4f}"
              f"  top5 {ours['top5']:.4f} / {theirs['acc5']:.4f}  mpcr "
              f"{ours['mean_per_class_recall']:.4f} / {theirs['mean_per_class_recall']:.4f}")
    # the comparisons could fail: the numbers are not all trivially 0 or 1, the base model is
    # above chance (pooled top-1 hits against their expectation under random guessing), and
    # the unbalanced selection makes mean per-class recall a number of its own
    values = [r[3][k] for r in rows for k in ("top1", "top5", "mean_per_class_recall")]
    assert any(0 < v < 1 for v in values)
    assert pooled_hits > pooled_chance, (pooled_hits, pooled_chance)
    assert any(mpcr_differs)


# --- retrieval -----------------------------------------------------------------------------------

class CaptionedImages(torch.utils.data.Dataset):
    """What CLIP_benchmark's retrieval expects: (image, list of the image's captions) items."""

    def __init__(self, paths, captions, preprocess):
        self.paths, self.captions, self.preprocess = paths, captions, preprocess

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        return self.preprocess(open_rgb(self.paths[i])), self.captions[i]


def token_unique_captions(records, tokenizer):
    """Per test image its captions whose token ids no other image's caption shares (two
    captions that the tokenizer makes equal get equal embeddings: a tie between images that the
    two tools break differently); images left without a caption are dropped."""
    test = [r for r in records if r.split == "test"]
    ids = [[tuple(t.tolist()) for t in tokenizer(list(r.captions))] for r in test]
    owners: dict[tuple, set] = {}
    for i, seqs in enumerate(ids):
        for s in seqs:
            owners.setdefault(s, set()).add(i)
    kept = [[c for c, s in zip(r.captions, seqs) if len(owners[s]) == 1]
            for r, seqs in zip(test, ids)]
    return [(r.image, caps) for r, caps in zip(test, kept) if caps]


def test_retrieval_matches_clip_benchmark(smoke_embedded, base):
    root, _ = smoke_embedded
    model, _, preprocess, tokenizer = base
    items = token_unique_captions(ds.load_embedded(root)["ret"], tokenizer)
    paths = [p for p, _ in items]
    captions = [c for _, caps in items for c in caps]
    owner = np.array([i for i, (_, caps) in enumerate(items) for _ in caps])
    assert len(paths) >= 10 and len(captions) >= 2 * len(paths)

    img = image_features(model, preprocess, paths, progress=False)
    txt = text_features(model, tokenizer, captions)
    sim = img @ txt.T
    ours = retrieval_metrics(sim, owner, RECALL_KS)

    loader = torch.utils.data.DataLoader(
        CaptionedImages(paths, [caps for _, caps in items], preprocess), batch_size=8,
        collate_fn=get_dataset_collate_fn("mscoco_captions"))
    theirs = cb_ret.evaluate(model, loader, tokenizer, device="cpu", amp=False,
                             recall_k_list=list(RECALL_KS))

    positive = owner[None, :] == np.arange(len(paths))[:, None]  # (images, texts)
    near = {}
    for direction, scores, pos in (("i2t", sim, positive), ("t2i", sim.T, positive.T)):
        margins = decision_margins(scores, pos, RECALL_KS)
        assert_no_deciding_ties(margins, direction)
        near[direction] = (margins < NEAR).sum(axis=0) * 100 / len(scores)  # percent per k
    # CLIP_benchmark: image_retrieval = text -> image, text_retrieval = image -> text, fractions
    # (float32 means, hence the 1e-4 percent beside the near-tie tolerance)
    for j, k in enumerate(RECALL_KS):
        for direction, their_key in (("i2t", f"text_retrieval_recall@{k}"),
                                     ("t2i", f"image_retrieval_recall@{k}")):
            key = f"{direction}_R@{k}"
            print(f"{key:9s} ours {ours[key]:7.3f}  CLIP_benchmark {100 * theirs[their_key]:7.3f}")
            assert ours[key] == pytest.approx(100 * theirs[their_key],
                                              abs=near[direction][j] + 1e-4), key
    # the comparison could fail: not all 0 or 100, and R@1 above chance both ways (an image's
    # chance of a hit at 1 is its share of the captions; a caption's is 1 / images)
    values = [ours[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in RECALL_KS]
    assert any(0 < v < 100 for v in values)
    chance_i2t = 100 * np.mean(np.bincount(owner) / len(owner))
    assert ours["i2t_R@1"] > chance_i2t and ours["t2i_R@1"] > 100 / len(paths)


def test_token_equal_captions_of_different_images_are_dropped(base):
    from rsclip_utils.records import Record

    def rec(name, captions, split="test"):
        return Record(image=name, source="s", image_id=name, split=split, captions=captions)

    records = [rec("a", ["A red roof .", "a long river."]),   # tokenised like b's first caption
               rec("b", ["a red roof.", "a red roof."]),      # both token-equal to a's: none left
               rec("c", ["a long river."], split="train")]    # other splits do not count
    assert token_unique_captions(records, base.tokenizer) == [("a", ["a long river."])]
