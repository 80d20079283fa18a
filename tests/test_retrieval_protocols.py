"""The published retrieval protocols side by side: how each turns caption lists into queries, the
model-free ceiling on real caption sets, and token-equal captions tying exactly."""

from itertools import permutations

import numpy as np
import open_clip
import pytest

from rsclip_utils.datasets.caption_sets import read_precomp
from rsclip_utils.retrieval_protocols import (
    PROTOCOLS,
    ceiling,
    protocol_metrics,
    recall_with_ties,
    token_groups,
)
from rsclip_utils.text import model_tokens

TOKENIZER = open_clip.get_tokenizer("ViT-B-32")


def tokenize(texts):
    return np.asarray(TOKENIZER(texts))


CAPTIONS = [["A green field.", "a road ."],          # image 0
            ["a green field .", "Two planes."],      # image 1: its first caption is token-equal
            ["a road .", "many trees"]]               # image 2: "a road ." is image 0's too


def test_each_protocol_builds_its_own_queries():
    texts, owners = PROTOCOLS["remoteclip"].queries(CAPTIONS)
    assert texts[0] == "A green field." and texts[3] == "Two planes." and len(texts) == 6
    assert texts[1] == "A road ." and owners[1] == {0}  # capitalised, one owner per copy
    texts, owners = PROTOCOLS["clip_benchmark"].queries(CAPTIONS)
    assert texts == [c for caps in CAPTIONS for c in caps]
    texts, owners = PROTOCOLS["farslip"].queries(CAPTIONS)
    # the identical string "a road ." is one query correct for images 0 and 2; the token-equal
    # "A green field." / "a green field ." stay two strings (FarSLIP groups by text)
    assert texts == ["a satellite image. " + c for c in
                     ["A green field.", "a road .", "a green field .", "Two planes.", "many trees"]]
    assert owners[1] == {0, 2} and owners[0] == {0} and owners[2] == {1}


def test_token_equal_means_what_the_tokenizer_says():
    assert model_tokens("A green field.") == model_tokens("a green field .")
    assert model_tokens("a green field") != model_tokens("a green field .")
    groups = token_groups(tokenize(["A green field.", "a road .", "a green field ."]))
    assert groups[0] == groups[2] != groups[1]


def test_ceilings_worked_by_hand():
    """A perfect model on CAPTIONS: it scores 1 where an image holds the text's tokens."""
    c = ceiling(CAPTIONS, tokenize, PROTOCOLS["remoteclip"], ks=(1,))
    # i2t: image 0 sees 4 texts at 1 (its two, image 1's field, image 2's road): 2 own -> 1/2;
    # image 1: its field, image 0's field, its planes -> 2 of 3; image 2: road (0), road, trees
    # -> 2 of 3
    assert c["i2t_R@1"] == pytest.approx(100 * (1 / 2 + 2 / 3 + 2 / 3) / 3)
    # t2i: each shared text ties two images (1/2), the planes and the trees are found
    assert c["t2i_R@1"] == pytest.approx(100 * (4 * 0.5 + 2) / 6)
    assert c["token_equal_across_images"] == 4 and c["t2i_tied_queries"] == 4
    f = ceiling(CAPTIONS, tokenize, PROTOCOLS["farslip"], ks=(1,))
    # FarSLIP's road is one query right for both images; the two field strings still tie
    assert f["t2i_R@1"] == pytest.approx(100 * (0.5 + 1 + 0.5 + 1 + 1) / 5)
    assert f["text_queries"] == 5


def test_token_equal_captions_tie_exactly_in_protocol_metrics():
    """Token-equal captions get one embedding (encoded once), so they tie bit for bit, whatever
    the text encoder does with batch positions; an encoder that saw strings would not."""
    rng = np.random.default_rng(0)
    image_feats = rng.normal(size=(3, 8))
    seen = []

    def encode(texts):
        seen.append(list(texts))
        return np.stack([np.random.default_rng(len(t)).normal(size=8) for t in texts])

    m = protocol_metrics(image_feats, CAPTIONS, encode, tokenize, PROTOCOLS["clip_benchmark"])
    assert len(seen[0]) == 4  # six captions, four token sequences
    assert m["token_equal_across_images"] == 4 and m["text_queries"] == 6
    # the same numbers as the brute-force definition on the expanded matrix
    texts, owners = PROTOCOLS["clip_benchmark"].queries(CAPTIONS)
    groups = token_groups(tokenize(texts))
    reps = encode([texts[list(groups).index(g)] for g in range(groups.max() + 1)])
    sim = image_feats @ reps[groups].T
    for k in (1, 5):
        i2t = np.mean([np.mean([any(i in owners[t] for t in o[:k]) for o in orders(sim[i])])
                       for i in range(3)])
        assert m[f"i2t_R@{k}"] == pytest.approx(100 * i2t)


def orders(scores):
    n = len(scores)
    return [p for p in permutations(range(n))
            if all(scores[p[i]] >= scores[p[i + 1]] for i in range(n - 1))]


def test_owner_sets_and_refusals():
    sim = np.array([[0.9, 0.2], [0.8, 0.7]])
    m = recall_with_ties(sim, [frozenset({0, 1}), frozenset({1})], ks=(1,))
    assert m["t2i_R@1"] == 100.0  # text 0 is right for both images
    with pytest.raises(ValueError, match=r"caption 0 \('x'\) belongs to image none"):
        recall_with_ties(sim, [frozenset(), frozenset({1})], ks=(1,), captions=["x", "y"])
    with pytest.raises(ValueError, match="expected \\(images, texts\\)"):
        recall_with_ties(sim, [0], ks=(1,))


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["rsicd", "rsitmd", "ucm", "sydney"])
def test_real_test_splits_shared_captions_against_a_brute_force_count(realdata, name):
    """On the real RET test captions: the captions token-equal to another image's, counted by
    brute force over the raw text, equal the protocols' count; FarSLIP's distinct strings are
    its queries; a perfect model's t2i R@1 under the paper's protocol is the mean of 1 / (images
    sharing the caption), and FarSLIP's is 1 for every string no other string ties with."""
    recs = read_precomp(realdata / "captions_amfmn_precomp" / f"{name}_precomp",
                        splits=["test"]).records
    caps = [r.captions for r in recs]
    images_of: dict = {}
    for i, cs in enumerate(caps):
        for c in cs:
            images_of.setdefault(model_tokens(c), set()).add(i)
    flat = [c for cs in caps for c in cs]
    shared = sum(len(images_of[model_tokens(c)]) > 1 for c in flat)
    paper = ceiling(caps, tokenize, PROTOCOLS["remoteclip"], ks=(1,))
    assert paper["token_equal_across_images"] == shared
    assert paper["text_queries"] == len(flat)
    # each copy of a caption that g images share is found at 1 by one image in g
    want = np.mean([1 / len(images_of[model_tokens(c)]) for c in flat])
    assert paper["t2i_R@1"] == pytest.approx(100 * want)
    farslip = ceiling(caps, tokenize, PROTOCOLS["farslip"], ks=(1,))
    assert farslip["text_queries"] == len({"a satellite image. " + c for c in flat})
    assert farslip["t2i_R@1"] >= paper["t2i_R@1"]
