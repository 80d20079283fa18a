"""Every evaluation protocol of RemoteCLIP (section IV): zero-shot classification, image-text
retrieval, linear probe, few-shot, k-NN and counting. Introduced in notebook 06.

All protocols work on L2-normalised features; :func:`image_features` and :func:`text_features`
compute them in batches with a progress bar and cache them per model and input list.

- Zero-shot (Table III): the prompt "a satellite photo of {class name}." by default; with several
  templates the normalised prompt embeddings of a class are averaged (CLIP's ensemble); top-1,
  top-5 and the mean of the per-class recalls.
- Retrieval (Table II): R@1/5/10 in both directions with the "any correct in the top k" rule
  (an image has several captions), and mean recall over the six numbers. Ties in a ranking are
  broken by position (the lower index first), which makes every number deterministic.
- Linear probe and few-shot (Fig. 9, Table IV): logistic regression on frozen features, the
  inverse regularisation strength chosen on a held-out part of the training set (the paper's
  SGD recipe is replaced by L-BFGS with a small search); few-shot draws k images per class,
  several seeds, mean and standard deviation.
- k-NN: k = 20 nearest training images by cosine similarity, votes weighted by
  exp(similarity / 0.07).
- Counting (RemoteCount): each caption is rewritten with every number word one..ten; the most
  similar rewrite is the prediction; top-1..top-10 accuracy and a row-normalised confusion matrix.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from . import paper
from .images import open_rgb
from .text import NUMBER_WORDS

ZERO_SHOT_TEMPLATE = "a satellite photo of {}."
ENSEMBLE_TEMPLATES = (
    "a satellite photo of {}.", "a remote sensing image of {}.", "an aerial photo of {}.",
    "a satellite image of the {}.", "an overhead view of {}.",
)
FOLDER_NAMES = {"parking": "parking lot", "port": "port", "storagetanks": "storage tanks"}


def class_name(folder: str) -> str:
    """A readable class name from a scene folder: ``BareLand`` -> ``bare land``, ``aGrass``
    (RSSCN7) -> ``grass``, ``tennis_court`` -> ``tennis court``, ``Parking`` -> ``parking lot``."""
    name = re.sub(r"^[a-z](?=[A-Z])", "", folder)  # RSSCN7's a..g prefix
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ").lower()
    return FOLDER_NAMES.get(name.replace(" ", ""), name)


# --- features ------------------------------------------------------------------------------------

def _batched_features(kind: str, items: list[str], encode, batch_size: int, cache_dir,
                      model_key: str, progress: bool) -> np.ndarray:
    """``encode(batch_of_items)`` over all items in batches, stacked; cached as
    ``{kind}-{hash of model_key, kind, items}.npy`` under ``cache_dir`` when a key is given."""
    cache = None
    if cache_dir is not None and model_key:
        digest = hashlib.sha256("\n".join([model_key, kind, *items]).encode()).hexdigest()[:20]
        cache = Path(cache_dir) / f"{kind}-{digest}.npy"
        if cache.is_file():
            return np.load(cache)
    out = [encode(items[i:i + batch_size])
           for i in tqdm(range(0, len(items), batch_size), desc=f"{kind} features",
                         unit="batch", disable=not progress)]
    feats = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, feats)
    return feats


# preprocessed image tensors by (path, transform): every model of a comparison that shares a
# transform decodes each evaluation image once (notebook 06 evaluates thirteen models)
_PREPROCESSED: dict[tuple[str, str], torch.Tensor] = {}


@torch.no_grad()
def image_features(model, preprocess, paths: Sequence[str | Path], batch_size: int = 128,
                   device: str = "cpu", cache_dir=None, model_key: str = "",
                   progress: bool = True) -> np.ndarray:
    """L2-normalised image features (float32, one row per path), cached under ``cache_dir`` by
    (model_key, paths)."""
    model.eval()
    transform = repr(preprocess)

    def encode(batch):
        tensors = []
        for p in batch:
            key = (p, transform)
            if key not in _PREPROCESSED:
                _PREPROCESSED[key] = preprocess(open_rgb(p))
            tensors.append(_PREPROCESSED[key])
        f = model.encode_image(torch.stack(tensors).to(device), normalize=True)
        return f.float().cpu().numpy()

    return _batched_features("image", [str(p) for p in paths], encode, batch_size, cache_dir,
                             model_key, progress)


@torch.no_grad()
def text_features(model, tokenizer, texts: Sequence[str], batch_size: int = 256,
                  device: str = "cpu", cache_dir=None, model_key: str = "",
                  progress: bool = False) -> np.ndarray:
    """L2-normalised text features (float32, one row per text), cached like image features."""
    model.eval()

    def encode(batch):
        f = model.encode_text(tokenizer(batch).to(device), normalize=True)
        return f.float().cpu().numpy()

    return _batched_features("text", list(texts), encode, batch_size, cache_dir, model_key,
                             progress)


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True).clip(1e-12)


def _ranks(scores: np.ndarray) -> np.ndarray:
    """Column indices of each row from highest score to lowest, ties by lower index first."""
    return np.argsort(-scores, axis=1, kind="stable")


# --- zero-shot -----------------------------------------------------------------------------------

def class_embeddings(model, tokenizer, class_names: Sequence[str],
                     templates: Sequence[str] = (ZERO_SHOT_TEMPLATE,), device: str = "cpu",
                     ) -> np.ndarray:
    """One embedding per class: the prompts' normalised text features averaged, renormalised."""
    prompts = [t.format(name) for name in class_names for t in templates]
    f = text_features(model, tokenizer, prompts, device=device)
    return _normalise(f.reshape(len(class_names), len(templates), -1).mean(axis=1))


def zero_shot_scores(image_feats: np.ndarray, labels: Sequence[int],
                     class_feats: np.ndarray) -> dict[str, float]:
    """Top-1, top-5 and mean per-class recall of classifying images by their most similar
    class embedding."""
    labels = np.asarray(labels)
    order = _ranks(image_feats @ class_feats.T)
    top1 = order[:, 0] == labels
    top5 = (order[:, :5] == labels[:, None]).any(axis=1)
    recalls = [top1[labels == c].mean() for c in np.unique(labels)]
    return {"top1": float(top1.mean()), "top5": float(top5.mean()),
            "mean_per_class_recall": float(np.mean(recalls))}


def zero_shot(model, tokenizer, images, labels: Sequence[int], class_names: Sequence[str],
              templates: Sequence[str] = (ZERO_SHOT_TEMPLATE,), preprocess=None,
              device: str = "cpu") -> dict[str, float]:
    """Zero-shot classification; ``images`` are image features (N, D) or paths (then
    ``preprocess`` is needed)."""
    feats = np.asarray(images, dtype=np.float32) if not isinstance(images[0], (str, Path)) else \
        image_features(model, preprocess, images, device=device, progress=False)
    return zero_shot_scores(_normalise(feats), labels,
                            class_embeddings(model, tokenizer, class_names, templates, device))


# --- retrieval -----------------------------------------------------------------------------------

def retrieval_metrics(similarity: np.ndarray, image_index_of_text: Sequence[int],
                      ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Image-to-text and text-to-image recall at k (percent) and their mean ("mR").

    ``similarity`` is (images, texts); caption t belongs to image ``image_index_of_text[t]``.
    An image counts as found at k when any of its captions is in its top k."""
    sim = np.asarray(similarity)
    owner = np.asarray(image_index_of_text)
    if sim.shape[1] != len(owner):
        raise ValueError(f"{sim.shape[1]} texts in the similarity matrix, {len(owner)} owners")
    without = np.setdiff1d(np.arange(len(sim)), owner)
    if len(without):
        raise ValueError(f"images without any caption: {without[:10].tolist()}")
    out = {}
    i2t_order = _ranks(sim)            # per image: texts best first
    owners_ranked = owner[i2t_order]   # the image each ranked text belongs to
    hit_rank_i2t = np.argmax(owners_ranked == np.arange(len(sim))[:, None], axis=1)
    t2i_order = _ranks(sim.T)          # per text: images best first
    hit_rank_t2i = np.argmax(t2i_order == owner[:, None], axis=1)
    for k in ks:
        out[f"i2t_R@{k}"] = 100 * float(np.mean(hit_rank_i2t < k))
    for k in ks:
        out[f"t2i_R@{k}"] = 100 * float(np.mean(hit_rank_t2i < k))
    out["mR"] = float(np.mean([out[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in ks]))
    return out


# --- linear probe, few-shot, k-NN ---------------------------------------------------------------

def linear_probe(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray,
                 test_y: Sequence[int], cs: Sequence[float] = (0.1, 1.0, 10.0, 100.0),
                 seed: int = 0) -> dict[str, float]:
    """Accuracy of logistic regression on frozen normalised features; the inverse
    regularisation C chosen on a fifth of the training set held out (when every class has at
    least two examples), then refit on all of it."""
    from sklearn.linear_model import LogisticRegression

    train_x, test_x = _normalise(np.asarray(train_x)), _normalise(np.asarray(test_x))
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    best_c = cs[len(cs) // 2]
    counts = np.bincount(train_y)
    if len(cs) > 1 and counts[counts > 0].min() >= 2:
        rng = np.random.default_rng(seed)
        hold = np.zeros(len(train_y), bool)
        for c in np.unique(train_y):  # one fifth of each class (at least one) held out
            idx = rng.permutation(np.flatnonzero(train_y == c))
            hold[idx[:max(1, len(idx) // 5)]] = True
        scores = []
        for c in cs:
            clf = LogisticRegression(C=c, max_iter=2000).fit(train_x[~hold], train_y[~hold])
            scores.append(clf.score(train_x[hold], train_y[hold]))
        best_c = cs[int(np.argmax(scores))]
    clf = LogisticRegression(C=best_c, max_iter=2000).fit(train_x, train_y)
    return {"accuracy": float(clf.score(test_x, test_y)), "C": float(best_c)}


def few_shot(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray,
             test_y: Sequence[int], shots: Sequence[int] = (1, 4, 8, 16, 32),
             seeds: Sequence[int] = (0, 1, 2)) -> dict[int, dict[str, float]]:
    """Linear probes on k images per class (k in ``shots``, several seeds): mean and std of the
    test accuracy. Shots larger than a class has are capped at what it has."""
    train_y = np.asarray(train_y)
    out = {}
    for k in shots:
        accs = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            idx = np.concatenate([rng.permutation(np.flatnonzero(train_y == c))[:k]
                                  for c in np.unique(train_y)])
            cs = (1.0, 10.0) if k >= 4 else (10.0,)
            accs.append(linear_probe(train_x[idx], train_y[idx], test_x, test_y, cs, seed)
                        ["accuracy"])
        out[int(k)] = {"mean": float(np.mean(accs)), "std": float(np.std(accs))}
    return out


def knn_classify(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray,
                 k: int = 20, temperature: float = 0.07) -> np.ndarray:
    """Predicted labels: the k most similar training images vote with weight
    exp(similarity / temperature)."""
    train_y = np.asarray(train_y)
    sim = _normalise(np.asarray(test_x)) @ _normalise(np.asarray(train_x)).T
    k = min(k, sim.shape[1])
    nearest = _ranks(sim)[:, :k]
    weights = np.exp(np.take_along_axis(sim, nearest, axis=1) / temperature)
    votes = np.zeros((len(sim), train_y.max() + 1))
    np.add.at(votes, (np.arange(len(sim))[:, None], train_y[nearest]), weights)
    return votes.argmax(axis=1)


def knn_accuracy(train_x, train_y, test_x, test_y, k: int = 20,
                 temperature: float = 0.07) -> float:
    """k-NN accuracy (k = 20, temperature 0.07, as the paper)."""
    return float(np.mean(knn_classify(train_x, train_y, test_x, k, temperature)
                         == np.asarray(test_y)))


# --- counting ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\b(" + "|".join(NUMBER_WORDS[1:]) + r")\b", re.IGNORECASE)


def counting_variants(caption: str) -> list[str]:
    """The caption with its number word replaced by one, two, ..., ten (and the noun's number
    agreement left as it is, as RemoteCount does)."""
    if not _NUMBER.search(caption):
        raise ValueError(f"no number word (one..ten) in {caption!r}")
    return [_NUMBER.sub(NUMBER_WORDS[n], caption, count=1) for n in range(1, 11)]


def counting_scores(image_feats: np.ndarray, variant_feats: np.ndarray,
                    counts: Sequence[int]) -> dict:
    """Top-1..top-10 accuracy and the row-normalised 10x10 confusion matrix of predicting the
    count by the most similar rewritten caption. ``variant_feats`` is (N, 10, D), the rewrites
    of each image's caption with one..ten."""
    counts = np.asarray(counts)
    sims = np.einsum("nd,nkd->nk", image_feats, variant_feats)
    order = _ranks(sims) + 1  # predicted counts, best first
    topk = {f"top{k}": float(np.mean((order[:, :k] == counts[:, None]).any(axis=1)))
            for k in range(1, 11)}
    confusion = np.zeros((10, 10))
    np.add.at(confusion, (counts - 1, order[:, 0] - 1), 1)
    rows = confusion.sum(axis=1, keepdims=True)
    return {**topk, "confusion": (confusion / np.where(rows == 0, 1, rows)).tolist()}


# --- all protocols on one model ------------------------------------------------------------------

# The paper's numbers, printed beside ours in the paper profile (kept in rsclip_utils.paper).
PAPER_RETRIEVAL_MR = paper.PAPER_RETRIEVAL_MR
PAPER_ZERO_SHOT_AVERAGE = paper.PAPER_ZERO_SHOT_AVERAGE


def evaluate_all(bundle, ret_records, cls_records, count_records, device: str = "cpu",
                 cache_dir=None, model_key: str = "", shots=(1, 4, 8, 16, 32), seeds=(0, 1, 2),
                 progress: bool = True, probes: bool = True) -> dict:
    """Every protocol for one model: retrieval on ``ret_records`` (records with captions),
    zero-shot, linear probe, few-shot and k-NN on ``cls_records`` (labelled, train/test split;
    ``probes=False`` keeps zero-shot only), counting on ``count_records`` (``extra["count"]``
    and a caption with the number word)."""
    model, preprocess, tok = bundle.model, bundle.preprocess_val, bundle.tokenizer
    kw = {"device": device, "cache_dir": cache_dir, "model_key": model_key}
    out: dict = {}
    if ret_records:
        img = image_features(model, preprocess, [r.image for r in ret_records],
                             progress=progress, **kw)
        captions = [c for r in ret_records for c in r.captions]
        owner = [i for i, r in enumerate(ret_records) for _ in r.captions]
        txt = text_features(model, tok, captions, **kw)
        out["retrieval"] = retrieval_metrics(img @ txt.T, owner)
        owners: dict[str, set] = {}
        for c, i in zip(captions, owner):
            owners.setdefault(c, set()).add(i)
        # a caption shared by several test images has several correct images, which recall's
        # one-owner rule cannot credit: counted, so that a set where it happens says so
        out["retrieval"]["ambiguous_captions"] = sum(
            1 for c in captions if len(owners[c]) > 1)
    if cls_records:
        names = sorted({r.label for r in cls_records})
        index = {n: i for i, n in enumerate(names)}
        if not probes:  # zero-shot scores the test part only: the rest need not be encoded
            cls_records = [r for r in cls_records if r.split != "train"]
        feats = image_features(model, preprocess, [r.image for r in cls_records],
                               progress=progress, **kw)
        y = np.array([index[r.label] for r in cls_records])
        train = np.array([r.split == "train" for r in cls_records])
        readable = [class_name(n) for n in names]
        out["zero_shot"] = zero_shot_scores(
            feats[~train], y[~train], class_embeddings(model, tok, readable, device=device))
        out["zero_shot_ensemble"] = zero_shot_scores(
            feats[~train], y[~train],
            class_embeddings(model, tok, readable, ENSEMBLE_TEMPLATES, device=device))
        out["zero_shot"]["chance"] = 1 / len(names)
        if not probes:
            return _with_counting(out, model, preprocess, tok, count_records, progress, kw)
        out["linear_probe"] = linear_probe(feats[train], y[train], feats[~train], y[~train])
        out["few_shot"] = few_shot(feats[train], y[train], feats[~train], y[~train], shots, seeds)
        out["knn"] = {"accuracy": knn_accuracy(feats[train], y[train], feats[~train],
                                               y[~train])}
    return _with_counting(out, model, preprocess, tok, count_records, progress, kw)


def _with_counting(out, model, preprocess, tok, count_records, progress, kw) -> dict:
    if count_records:
        img = image_features(model, preprocess, [r.image for r in count_records],
                             progress=progress, **kw)
        variants = [v for r in count_records for v in counting_variants(r.captions[0])]
        txt = text_features(model, tok, variants, **kw).reshape(len(count_records), 10, -1)
        out["counting"] = counting_scores(img, txt, [r.extra["count"] for r in count_records])
    return out


def evaluate_sets(bundle, ret_sets: dict, scene_sets: dict, count_records, device: str = "cpu",
                  cache_dir=None, model_key: str = "", shots=(1, 4, 8, 16, 32),
                  seeds=(0, 1, 2), progress: bool = True, probes: bool = True) -> dict:
    """Every protocol on every set, as the paper evaluates one model on many datasets:
    retrieval per RET test split (``ret_sets``: name -> records) under ``"retrieval"``, the
    classification protocols per scene set (``scene_sets``: name -> records) under
    ``"scenes"``, counting once; means over the sets under ``"retrieval_average_mR"`` and
    ``"scene_average"`` (zero-shot top-1, linear probe, k-NN)."""
    kw = dict(device=device, cache_dir=cache_dir, model_key=model_key, shots=shots, seeds=seeds,
              progress=progress, probes=probes)
    out = evaluate_all(bundle, [], [], count_records, **kw)
    out["retrieval"] = {name: evaluate_all(bundle, list(records), [], [], **kw)["retrieval"]
                        for name, records in ret_sets.items()}
    out["scenes"] = {name: evaluate_all(bundle, [], list(records), [], **kw)
                     for name, records in scene_sets.items()}
    if out["retrieval"]:
        out["retrieval_average_mR"] = float(np.mean([r["mR"] for r in out["retrieval"].values()]))
    if out["scenes"]:
        per = list(out["scenes"].values())
        out["scene_average"] = {
            "zero_shot_top1": float(np.mean([m["zero_shot"]["top1"] for m in per]))}
        if probes:
            out["scene_average"].update(
                linear_probe=float(np.mean([m["linear_probe"]["accuracy"] for m in per])),
                knn=float(np.mean([m["knn"]["accuracy"] for m in per])))
    return out


def headline(metrics: dict) -> dict[str, float]:
    """The numbers a comparison table shows, flat (percent), from :func:`evaluate_sets`."""
    out = {}
    for name, r in metrics.get("retrieval", {}).items():
        out[f"{name} retrieval mR"] = r["mR"]
    if "retrieval_average_mR" in metrics and len(metrics["retrieval"]) > 1:
        out["retrieval average mR"] = metrics["retrieval_average_mR"]
    for name, m in metrics.get("scenes", {}).items():
        out[f"{name} zero-shot top-1"] = 100 * m["zero_shot"]["top1"]
        out[f"{name} linear probe"] = 100 * m["linear_probe"]["accuracy"]
        out[f"{name} k-NN"] = 100 * m["knn"]["accuracy"]
    if "scene_average" in metrics:
        for k, label in (("zero_shot_top1", "zero-shot"), ("linear_probe", "linear probe"),
                         ("knn", "k-NN")):
            out[f"scene-set average {label}"] = 100 * metrics["scene_average"][k]
    if "counting" in metrics:
        for k in (1, 2, 3, 5):
            out[f"counting top-{k}"] = 100 * metrics["counting"][f"top{k}"]
    return out
