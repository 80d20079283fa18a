"""The published image-text retrieval protocols, side by side. Introduced in notebook 06.

Users who compare remote-sensing CLIP models land points apart because the protocols differ in
details (shared/FACTS.md, "Evaluation protocols and oracles"):

- ``remoteclip``: RemoteCLIP's ``retrieval.py``, the paper's (Table II): every caption kept in
  its image's list, each ``str.capitalize()``-d, a hit when any correct caption (or the image)
  is in the top k, R@1/5/10 both ways, mR their mean.
- ``clip_benchmark``: LAION CLIP_benchmark's ``zeroshot_retrieval``: the same per-image caption
  lists and any-hit rule, captions as written.
- ``farslip``: FarSLIP's and SkyScript's ``tests/test_retrieval.py``: each distinct caption is
  one text query (grouped by its text), correct for every image that has it, and the prefix
  ``"a satellite image. "`` added to every caption. (They report the per-direction means of
  R@1/5/10; mR, the mean of the six, is the mean of those two.)

All three here count a tie by its exact expectation (:mod:`rsclip_utils.ranking`), so they differ
only in what the protocol itself decides; the tied queries are counted beside each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .ranking import expected_hits

KS = (1, 5, 10)


@dataclass(frozen=True)
class Protocol:
    """How a published script turns per-image caption lists into text queries."""

    name: str
    source: str
    capitalise: bool = False
    prefix: str = ""
    distinct_captions: bool = False

    def queries(self, captions_per_image: Sequence[Sequence[str]]
                ) -> tuple[list[str], list[frozenset[int]]]:
        """The text queries and, for each, the images it is correct for."""
        texts, owners = [], []
        index: dict[str, int] = {}
        for i, captions in enumerate(captions_per_image):
            for c in captions:
                text = self.prefix + (c.capitalize() if self.capitalise else c)
                if self.distinct_captions and text in index:
                    owners[index[text]] = owners[index[text]] | {i}
                    continue
                index[text] = len(texts)
                texts.append(text)
                owners.append(frozenset({i}))
        return texts, owners


PROTOCOLS = {
    "remoteclip": Protocol("RemoteCLIP retrieval.py (the paper's)",
                           "ChenDelong1999/RemoteCLIP retrieval.py", capitalise=True),
    "clip_benchmark": Protocol("CLIP_benchmark zeroshot_retrieval",
                               "LAION-AI/CLIP_benchmark 1.6.2"),
    "farslip": Protocol("FarSLIP / SkyScript test_retrieval.py",
                        "NJU-LHRS/FarSLIP tests/test_retrieval.py",
                        prefix="a satellite image. ", distinct_captions=True),
}


def check_owners(owners: Sequence[frozenset[int]] | Sequence[int], n_images: int,
                 captions: Sequence[str] | None = None) -> list[frozenset[int]]:
    """Owners as sets, refused (naming the caption) when one lies outside the images or a text
    has none, and when an image has no caption."""
    sets = [frozenset(o) if isinstance(o, (set, frozenset)) else frozenset({o}) for o in owners]
    for t, o in enumerate(sets):
        bad = [i for i in o if not (float(i).is_integer() and 0 <= i < n_images)]
        if bad or not o:
            name = f"caption {t}" + (f" ({captions[t]!r})" if captions is not None else "")
            raise ValueError(f"{name} belongs to image {bad or 'none'}, but there are "
                             f"{n_images} images (whole indices 0..{n_images - 1})")
    sets = [frozenset(int(i) for i in o) for o in sets]
    held = set().union(*sets) if sets else set()
    without = sorted(set(range(n_images)) - held)
    if without:
        raise ValueError(f"images without any caption: {without[:10]}")
    return sets


def recall_with_ties(similarity: np.ndarray, owners: Sequence[frozenset[int]] | Sequence[int],
                     ks: Sequence[int] = KS, captions: Sequence[str] | None = None) -> dict:
    """R@k both ways (percent, ties by expectation), mR and the queries that depend on a tie,
    for a (images x texts) similarity whose text t is correct for the images ``owners[t]`` (a
    set, or one index)."""
    sim = np.asarray(similarity)
    if sim.ndim != 2 or sim.shape[1] != len(owners):
        raise ValueError(f"{sim.shape} similarity matrix for {len(owners)} text owners: "
                         "expected (images, texts)")
    sets = check_owners(owners, sim.shape[0], captions)
    correct = np.zeros(sim.shape, bool)
    for t, o in enumerate(sets):
        correct[list(o), t] = True
    i2t, i2t_tied = expected_hits(sim, correct, ks)
    t2i, t2i_tied = expected_hits(sim.T, correct.T, ks)
    out = {f"i2t_R@{k}": 100 * float(i2t[k].mean()) for k in ks}
    out.update({f"t2i_R@{k}": 100 * float(t2i[k].mean()) for k in ks})
    out["mR"] = float(np.mean([out[f"{d}_R@{k}"] for d in ("i2t", "t2i") for k in ks]))
    out["i2t_tied_queries"] = int(i2t_tied.sum())
    out["t2i_tied_queries"] = int(t2i_tied.sum())
    return out


def token_groups(tokens: np.ndarray) -> np.ndarray:
    """For each row of token ids, the index of its group of identical rows (what the model
    sees: captions in one group get one embedding)."""
    tokens = np.asarray(tokens)
    if not len(tokens):
        return np.zeros(0, int)
    _, inverse = np.unique(tokens.reshape(len(tokens), -1), axis=0, return_inverse=True)
    return inverse.reshape(-1)


def shared_across_images(groups: np.ndarray, owners: Sequence[frozenset[int]]) -> int:
    """How many texts are token-equal to a text of another image (or are one text of several)."""
    images_of: dict[int, set] = {}
    for g, o in zip(groups, owners):
        images_of.setdefault(int(g), set()).update(o)
    return int(sum(1 for g in groups if len(images_of[int(g)]) > 1))


def _queries_by_tokens(captions_per_image, tokenize, protocol: Protocol):
    """The protocol's text queries, their owners, and each query's token group."""
    texts, owners = protocol.queries(captions_per_image)
    return texts, owners, token_groups(tokenize(texts))


def _scored(sim, texts, owners, groups, ks) -> dict:
    out = recall_with_ties(sim, owners, ks, texts)
    out["text_queries"] = len(texts)
    out["token_equal_across_images"] = shared_across_images(groups, owners)
    return out


def protocol_metrics(image_feats: np.ndarray, captions_per_image: Sequence[Sequence[str]],
                     encode_texts: Callable[[list[str]], np.ndarray], tokenize,
                     protocol: Protocol, ks: Sequence[int] = KS) -> dict:
    """One protocol on one model: ``encode_texts`` gives normalised text features, ``tokenize``
    the model's token ids. Token-equal texts are encoded once, so that they tie exactly."""
    texts, owners, groups = _queries_by_tokens(captions_per_image, tokenize, protocol)
    first = np.unique(groups, return_index=True)[1]  # one text per group, in group order
    sim = (np.asarray(image_feats) @ encode_texts([texts[t] for t in first]).T)[:, groups]
    return _scored(sim, texts, owners, groups, ks)


def ceiling(captions_per_image: Sequence[Sequence[str]], tokenize, protocol: Protocol,
            ks: Sequence[int] = KS) -> dict:
    """The best any model can score under a protocol on a caption set, model-free: a perfect
    model scores 1 for every text whose tokens are among an image's own and 0 otherwise, and
    still ties token-equal captions of different images. Also the set's counts."""
    texts, owners, groups = _queries_by_tokens(captions_per_image, tokenize, protocol)
    has = np.zeros((len(captions_per_image), int(groups.max(initial=-1)) + 1), bool)
    for g, o in zip(groups, owners):
        has[list(o), g] = True
    return _scored(has[:, groups].astype(float), texts, owners, groups, ks)
