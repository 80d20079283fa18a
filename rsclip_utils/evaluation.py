"""Every evaluation protocol of RemoteCLIP (section IV): zero-shot classification, image-text
retrieval, linear probe, few-shot, k-NN and counting. Introduced in notebook 06.

All protocols work on L2-normalised features; :func:`image_features` and :func:`text_features`
compute them in batches with a progress bar and cache them per model and input list.

- Zero-shot (Table III): the prompt "a satellite photo of {class name}." by default; with several
  templates the normalised prompt embeddings of a class are averaged (CLIP's ensemble); top-1,
  top-5 and the mean of the per-class recalls.
- Retrieval (Table II): R@1/5/10 in both directions with the "any correct in the top k" rule
  (an image has several captions), and mean recall over the six numbers, under each published
  protocol (:mod:`rsclip_utils.retrieval_protocols`; the paper's first).
- Ties (two token-equal captions get one embedding) count by their exact expectation over random
  orders of the tied items (:mod:`rsclip_utils.ranking`), never by position, in every protocol
  below; the queries whose outcome depends on a tie are counted beside each metric.
- Linear probe and few-shot (Fig. 9, Table IV): logistic regression on frozen features, the
  inverse regularisation strength chosen on a held-out part of the training set (the paper's
  SGD recipe is replaced by L-BFGS with a small search); few-shot draws k images per class,
  several seeds, mean and sample standard deviation (ddof=1); a shot count that reaches a
  class's whole training split is flagged (it is then no longer a few-shot draw).
- k-NN: k = 20 nearest training images by cosine similarity, votes weighted by
  exp(similarity / 0.07).
- Counting (RemoteCount): each caption is rewritten with every number word one..ten; the most
  similar rewrite is the prediction; top-1..top-10 accuracy and a row-normalised confusion matrix.
  Counts outside 1..10 and captions with no, two or compound numbers are refused, naming them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from . import paper
from .atomic import atomic_path
from .images import open_rgb
from .progress import tqdm
from .ranking import expected_hits, expected_top1_confusion, knn_expected_correct
from .retrieval_protocols import KS, PROTOCOLS, protocol_metrics, recall_with_ties
from .stamps import listing
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


def class_names(folders: Sequence[str]) -> list[str]:
    """:func:`class_name` of each folder, refused when two folders give one name (the prompts
    would be the same, and the class listed later would lose every tie)."""
    names = [class_name(f) for f in folders]
    seen: dict[str, str] = {}
    for folder, name in zip(folders, names):
        if name in seen:
            raise ValueError(f"classes {seen[name]!r} and {folder!r} both read as {name!r}: "
                             "zero-shot needs one prompt per class; rename one folder")
        seen[name] = folder
    return names


# --- features ------------------------------------------------------------------------------------

def _batched_features(kind: str, items: list[str], encode, batch_size: int, cache_dir,
                      model_key: str, progress: bool) -> np.ndarray:
    """``encode(batch_of_items)`` over all items in batches, stacked; cached as
    ``{kind}-{hash}.npy`` under ``cache_dir`` when a key is given. The hash covers the model's
    key (a checkpoint's content digest in notebook 06), the kind and the items, and for images
    what each file holds as :func:`rsclip_utils.stamps.listing` sees it (size and modification
    time): images made again under the same paths (another ``SEED``) are encoded again. A cache
    file that does not load with one row per item is encoded again and replaced."""
    cache = None
    if cache_dir is not None and model_key:
        held = listing(items) if kind == "image" else ""
        digest = hashlib.sha256("\n".join([model_key, kind, held, *items]).encode()).hexdigest()
        cache = Path(cache_dir) / f"{kind}-{digest[:20]}.npy"
        try:
            feats = np.load(cache)
            if feats.ndim == 2 and len(feats) == len(items):
                return feats
        except (OSError, ValueError, EOFError):
            pass
    out = [encode(items[i:i + batch_size])
           for i in tqdm(range(0, len(items), batch_size), desc=f"{kind} features",
                         unit="batch", disable=not progress)]
    feats = np.concatenate(out) if out else np.zeros((0, 0), np.float32)
    if cache is not None:
        with atomic_path(cache) as tmp, tmp.open("wb") as f:
            np.save(f, feats)
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


def _onehot(labels: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(labels), n), bool)
    out[np.arange(len(labels)), labels] = True
    return out


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
    class embedding (ties by expectation; ``tied_queries`` counts the images a tie decides)."""
    labels = np.asarray(labels)
    if len(labels) and not 0 <= labels.min() <= labels.max() < len(class_feats):
        raise ValueError(f"labels range {labels.min()}..{labels.max()} for "
                         f"{len(class_feats)} classes")
    scores = image_feats @ class_feats.T
    hits, tied = expected_hits(scores, _onehot(labels, len(class_feats)),
                               (1, min(5, len(class_feats))))
    top1, top5 = hits[1], hits[min(5, len(class_feats))]
    recalls = [top1[labels == c].mean() for c in np.unique(labels)]
    return {"top1": float(top1.mean()), "top5": float(top5.mean()),
            "mean_per_class_recall": float(np.mean(recalls)), "tied_queries": int(tied.sum())}


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
                      ks: Sequence[int] = KS, captions: Sequence[str] | None = None,
                      ) -> dict[str, float]:
    """Image-to-text and text-to-image recall at k (percent) and their mean ("mR").

    ``similarity`` is (images, texts); caption t belongs to image ``image_index_of_text[t]``.
    An image counts as found at k when any of its captions is in its top k; a tie counts by its
    expectation (``i2t_tied_queries``, ``t2i_tied_queries``: how many queries a tie decides).
    An owner outside the images is refused, naming the caption (``captions``: their texts)."""
    return recall_with_ties(similarity, list(image_index_of_text), ks, captions)


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
             seeds: Sequence[int] = (0, 1, 2)) -> dict[int, dict]:
    """Linear probes on k images per class (k in ``shots``, several seeds): mean and sample
    standard deviation (ddof=1; None with one seed) of the test accuracy. A class with no more
    than k training images gives all it has: ``whole_split`` says when that happens for some
    class (every seed then draws the same images of it), ``whole_classes`` for how many of the
    ``classes``, ``smallest_class`` the smallest class's size."""
    train_y = np.asarray(train_y)
    sizes = np.bincount(train_y)[np.unique(train_y)]
    smallest = int(sizes.min())
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
        out[int(k)] = {"mean": float(np.mean(accs)),
                       "std": float(np.std(accs, ddof=1)) if len(accs) > 1 else None,
                       "whole_split": bool(k >= smallest), "smallest_class": smallest,
                       "whole_classes": int((sizes <= k).sum()), "classes": len(sizes)}
    return out


def knn_classify(train_x: np.ndarray, train_y: Sequence[int], test_x: np.ndarray,
                 k: int = 20, temperature: float = 0.07) -> np.ndarray:
    """Predicted labels: the k most similar training images vote with weight
    exp(similarity / temperature) (a tie goes to the first; :func:`knn_accuracy` counts ties
    by their expectation)."""
    train_y = np.asarray(train_y)
    sim = _normalise(np.asarray(test_x)) @ _normalise(np.asarray(train_x)).T
    k = min(k, sim.shape[1])
    nearest = np.argsort(-sim, axis=1, kind="stable")[:, :k]
    weights = np.exp(np.take_along_axis(sim, nearest, axis=1) / temperature)
    votes = np.zeros((len(sim), train_y.max() + 1))
    np.add.at(votes, (np.arange(len(sim))[:, None], train_y[nearest]), weights)
    return votes.argmax(axis=1)


def knn_scores(train_x, train_y, test_x, test_y, k: int = 20,
               temperature: float = 0.07) -> dict[str, float]:
    """k-NN accuracy (k = 20, temperature 0.07, as the paper), a tie at the k-th neighbour or
    in the vote counted by its expectation; ``tied_queries``: the test images a tie decides."""
    sim = _normalise(np.asarray(test_x)) @ _normalise(np.asarray(train_x)).T
    p, tied = knn_expected_correct(sim, np.asarray(train_y), np.asarray(test_y), k, temperature)
    return {"accuracy": float(p.mean()), "tied_queries": int(tied.sum())}


def knn_accuracy(train_x, train_y, test_x, test_y, k: int = 20,
                 temperature: float = 0.07) -> float:
    """k-NN accuracy (ties by expectation), as :func:`knn_scores`."""
    return knn_scores(train_x, train_y, test_x, test_y, k, temperature)["accuracy"]


# --- counting ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\b(" + "|".join(NUMBER_WORDS[1:]) + r")\b", re.IGNORECASE)
# words that make a number word part of a larger number ("twenty-one", "one hundred") or are
# numbers of their own that the rewrite cannot replace ("eleven", "12")
_OTHER_NUMBER = re.compile(
    r"\b(zero|eleven|twelve|\w+teen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundreds?|thousands?|dozens?|\d+)\b", re.IGNORECASE)


def counting_variants(caption: str) -> list[str]:
    """The caption with its number word replaced by one, two, ..., ten (and the noun's number
    agreement left as it is, as RemoteCount does). A caption must hold exactly one number, a
    word one..ten: none, two ("three cars and two trucks"), a compound ("twenty-one") or another
    number ("12 cars") is refused, naming the caption."""
    words = _NUMBER.findall(caption)
    other = _OTHER_NUMBER.findall(caption)
    if other:
        raise ValueError(f"{caption!r}: holds {other[0]!r}, a number the rewrite one..ten "
                         "cannot replace (or part of a compound number)")
    if len(words) != 1:
        what = "no number word" if not words else f"{len(words)} number words {words}"
        raise ValueError(f"{caption!r}: {what}; a counting caption holds exactly one of "
                         "one..ten")
    return [_NUMBER.sub(NUMBER_WORDS[n], caption, count=1) for n in range(1, 11)]


def check_counts(counts: Sequence[int], names: Sequence[str] | None = None) -> np.ndarray:
    """Counts as an array, refused (naming the record) outside 1..10, the range the rewrite
    covers."""
    counts = np.asarray(counts)
    bad = np.flatnonzero((counts < 1) | (counts > 10))
    if len(bad):
        i = int(bad[0])
        name = names[i] if names is not None else f"record {i}"
        raise ValueError(f"{name}: count {counts[i]} outside 1..10 ({len(bad)} such records); "
                         "the counting protocol rewrites one..ten only")
    return counts


def counting_scores(image_feats: np.ndarray, variant_feats: np.ndarray,
                    counts: Sequence[int], names: Sequence[str] | None = None) -> dict:
    """Top-1..top-10 accuracy and the row-normalised 10x10 confusion matrix of predicting the
    count by the most similar rewritten caption (ties by expectation; ``tied_queries``).
    ``variant_feats`` is (N, 10, D), the rewrites of each image's caption with one..ten."""
    counts = check_counts(counts, names)
    sims = np.einsum("nd,nkd->nk", image_feats, variant_feats)
    hits, tied = expected_hits(sims, _onehot(counts - 1, 10), range(1, 11))
    topk = {f"top{k}": float(hits[k].mean()) for k in range(1, 11)}
    confusion = expected_top1_confusion(sims, counts - 1, 10)
    rows = confusion.sum(axis=1, keepdims=True)
    return {**topk, "tied_queries": int(tied.sum()),
            "confusion": (confusion / np.where(rows == 0, 1, rows)).tolist()}


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
        captions = [list(r.captions) for r in ret_records]

        def encode(texts):
            return text_features(model, tok, texts, **kw)

        def tokenize(texts):
            return np.asarray(tok(texts))

        per = {key: protocol_metrics(img, captions, encode, tokenize, protocol)
               for key, protocol in PROTOCOLS.items()}
        out["retrieval_protocols"] = per
        # the paper's protocol is the headline; a caption token-equal to another image's has
        # several images that look right to the model, which one-owner recall cannot credit:
        # counted, so that a set where it happens says so (ties decide those queries)
        out["retrieval"] = {**per["remoteclip"],
                            "ambiguous_captions": per["remoteclip"]["token_equal_across_images"]}
    if cls_records:
        names = sorted({r.label for r in cls_records})
        index = {n: i for i, n in enumerate(names)}
        if not probes:  # zero-shot scores the test part only: the rest need not be encoded
            cls_records = [r for r in cls_records if r.split != "train"]
        feats = image_features(model, preprocess, [r.image for r in cls_records],
                               progress=progress, **kw)
        y = np.array([index[r.label] for r in cls_records])
        train = np.array([r.split == "train" for r in cls_records])
        readable = class_names(names)
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
        out["knn"] = knn_scores(feats[train], y[train], feats[~train], y[~train])
    return _with_counting(out, model, preprocess, tok, count_records, progress, kw)


def _with_counting(out, model, preprocess, tok, count_records, progress, kw) -> dict:
    if count_records:  # every record checked before any image is encoded
        names = [r.image for r in count_records]
        counts = check_counts([r.extra["count"] for r in count_records], names)
        variants = []
        for r in count_records:
            try:
                variants += counting_variants(r.captions[0])
            except ValueError as e:
                raise ValueError(f"{r.image}: {e}") from None
        img = image_features(model, preprocess, [r.image for r in count_records],
                             progress=progress, **kw)
        txt = text_features(model, tok, variants, **kw).reshape(len(count_records), 10, -1)
        out["counting"] = counting_scores(img, txt, counts, names)
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
    ret = {name: evaluate_all(bundle, list(records), [], [], **kw)
           for name, records in ret_sets.items()}
    out["retrieval"] = {name: m["retrieval"] for name, m in ret.items()}
    out["retrieval_protocols"] = {name: m["retrieval_protocols"] for name, m in ret.items()}
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
