"""Evaluation protocols against hand-computed cases and brute-force definitions."""

from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsclip_utils import datasets as ds
from rsclip_utils.evaluation import (
    class_name,
    class_names,
    counting_scores,
    counting_variants,
    few_shot,
    knn_accuracy,
    knn_classify,
    knn_scores,
    linear_probe,
    retrieval_metrics,
    zero_shot_scores,
)


def test_retrieval_hand_computed_with_several_captions_and_ties():
    # 2 images, 4 captions: captions 0, 1 belong to image 0; 2, 3 to image 1
    sim = np.array([[0.9, 0.1, 0.9, 0.2],     # image 0: its caption 0 ties with caption 2
                    [0.5, 0.5, 0.4, 0.3]])
    owner = [0, 0, 1, 1]
    m = retrieval_metrics(sim, owner, ks=(1, 2))
    # image 0: captions 0 (own) and 2 tie for first: found at 1 half the time, at 2 always;
    # image 1: its captions rank 3rd and 4th: missed at 1 and 2
    assert m["i2t_R@1"] == 25.0 and m["i2t_R@2"] == 50.0 and m["i2t_tied_queries"] == 1
    # text 0: 0.9 > 0.5, hit; text 1: 0.1 < 0.5, miss at 1; text 2: 0.9 > 0.4, miss at 1;
    # text 3: 0.2 < 0.3, hit; no text ties two images
    assert m["t2i_R@1"] == 50.0 and m["t2i_R@2"] == 100.0 and m["t2i_tied_queries"] == 0
    assert m["mR"] == pytest.approx((25 + 50 + 50 + 100) / 4)


def test_retrieval_tie_between_two_images_for_one_text():
    sim = np.array([[0.5], [0.5]])  # one caption, owned by image 1, scored equally
    with pytest.raises(ValueError, match="without any caption"):
        retrieval_metrics(sim, [1])
    sim = np.array([[0.5, 0.1], [0.5, 0.9]])
    m = retrieval_metrics(sim, [1, 0], ks=(1,))
    assert m["t2i_R@1"] == 25.0  # text 0 ties 0.5/0.5: its image first half the time; text 1 0
    assert m["t2i_tied_queries"] == 1


@pytest.mark.parametrize("owner", [[0, 2], [0, -1], [0, 1.5]])
def test_retrieval_refuses_owners_outside_the_images(owner):
    sim = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"caption 1 \('b'\) belongs to image"):
        retrieval_metrics(sim, owner, captions=["a", "b"])


def orders(scores):
    """Every order of the items consistent with their scores (ties in any order), brute force."""
    n = len(scores)
    return [p for p in permutations(range(n))
            if all(scores[p[i]] >= scores[p[i + 1]] for i in range(n - 1))]


def brute_retrieval(sim, owner, k):
    """R@k both ways, averaged over every order of the tied items (the definition)."""
    n_img, n_txt = sim.shape
    i2t = [np.mean([any(owner[t] == i for t in o[:k]) for o in orders(sim[i])])
           for i in range(n_img)]
    t2i = [np.mean([owner[t] in o[:k] for o in orders(sim[:, t])]) for t in range(n_txt)]
    return 100 * np.mean(i2t), 100 * np.mean(t2i)


@given(st.integers(1, 4), st.integers(1, 2), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=60)
def test_retrieval_equals_brute_force_over_every_tie_order(n_img, per, seed, coarse):
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(n_img), per)
    rng.shuffle(owner)
    sim = rng.random((n_img, len(owner)))
    if coarse:
        sim = np.round(sim * 2) / 2  # many ties: three values
    m = retrieval_metrics(sim, owner, ks=(1, 2, 3))
    for k in (1, 2, 3):
        i2t, t2i = brute_retrieval(sim, owner, k)
        assert m[f"i2t_R@{k}"] == pytest.approx(i2t) and m[f"t2i_R@{k}"] == pytest.approx(t2i)


def test_planted_exact_ties_equal_the_closed_form():
    """A 3 x 6 matrix with planted exact ties, against the expectation worked by hand."""
    sim = np.array([[0.9, 0.9, 0.9, 0.1, 0.0, 0.3],   # image 0 owns 0, 3; ties 0, 1, 2 at top
                    [0.2, 0.8, 0.8, 0.8, 0.8, 0.1],   # image 1 owns 1, 4; 4 items tie, 2 own
                    [0.3, 0.3, 0.3, 0.3, 0.3, 0.3]])  # image 2 owns 2, 5; all six tie
    owner = [0, 1, 2, 0, 1, 2]
    m = retrieval_metrics(sim, owner, ks=(1, 2))
    # image 0: 1 own of 3 tied: R@1 1/3, R@2 1 - C(2,2)/C(3,2) = 2/3
    # image 1: 2 own of 4 tied: R@1 1/2, R@2 1 - C(2,2)/C(4,2) = 5/6
    # image 2: 2 own of 6 tied: R@1 1/3, R@2 1 - C(4,2)/C(6,2) = 3/5
    assert m["i2t_R@1"] == pytest.approx(100 * (1 / 3 + 1 / 2 + 1 / 3) / 3)
    assert m["i2t_R@2"] == pytest.approx(100 * (2 / 3 + 5 / 6 + 3 / 5) / 3)
    assert m["i2t_tied_queries"] == 3
    # texts (columns): 0 -> image 0 first (hit); 1 -> its image 1 second; 2 -> its image 2
    # third; 3 -> its image 0 third; 4 -> image 1 first (hit); 5 -> images 0 and 2 tie first:
    # its image 2 first half the time, always in the top 2
    assert m["t2i_R@1"] == pytest.approx(100 * (1 + 0 + 0 + 0 + 1 + 0.5) / 6)
    assert m["t2i_R@2"] == pytest.approx(100 * (1 + 1 + 0 + 0 + 1 + 1) / 6)
    assert m["t2i_tied_queries"] == 1


def test_zero_shot_on_features_built_so_the_answer_is_known():
    classes = np.eye(4)
    labels = np.array([0, 1, 2, 3, 3, 2])
    images = classes[labels] + 0.1 * np.array([[0, 1, 0, 0]] * 6)  # a nudge towards class 1
    images[5] = [0, 0.6, 0.55, 0]  # class 2 image that looks more like class 1: top-1 wrong
    s = zero_shot_scores(images / np.linalg.norm(images, axis=1, keepdims=True), labels, classes)
    assert s["top1"] == pytest.approx(5 / 6)
    assert s["top5"] == 1.0
    assert s["mean_per_class_recall"] == pytest.approx((1 + 1 + 0.5 + 1) / 4)


def separable(n_per=30, classes=3, dim=8, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim)) * 3
    y = np.repeat(np.arange(classes), n_per)
    x = centres[y] + rng.normal(size=(len(y), dim)) * 0.3
    return x, y


def test_knn_and_linear_probe_on_separable_features():
    x, y = separable()
    xt = x + np.random.default_rng(2).normal(size=x.shape) * 0.1  # a second draw, same centres
    yt = y
    assert knn_accuracy(x, y, xt, yt) == 1.0
    assert linear_probe(x, y, xt, yt)["accuracy"] == 1.0
    shots = few_shot(x, y, xt, yt, shots=(1, 4, 30), seeds=(0, 1))
    assert shots[4]["mean"] == 1.0 and shots[1]["std"] >= 0
    # 30 per class is each class's whole training split: flagged, the draws then all equal
    assert not shots[4]["whole_split"] and shots[30]["whole_split"]
    assert shots[30]["smallest_class"] == 30 and shots[30]["std"] == 0.0
    assert shots[30]["whole_classes"] == shots[30]["classes"] == 3
    assert shots[4]["whole_classes"] == 0


def test_few_shot_spread_is_the_sample_standard_deviation():
    x, y = separable(n_per=6, classes=2, dim=2, seed=3)
    xt, yt = separable(n_per=40, classes=2, dim=2, seed=4)
    xt = xt + np.random.default_rng(5).normal(size=xt.shape) * 3  # hard: seeds disagree
    out = few_shot(x, y, xt, yt, shots=(1,), seeds=(0, 1, 2))
    accs = [few_shot(x, y, xt, yt, shots=(1,), seeds=(s,))[1]["mean"] for s in (0, 1, 2)]
    assert out[1]["std"] == pytest.approx(np.std(accs, ddof=1))
    assert few_shot(x, y, xt, yt, shots=(1,), seeds=(0,))[1]["std"] is None


def test_knn_ties_count_by_expectation():
    # two training copies of one point, one of each class, tie at the first place (k = 1):
    # either may be the neighbour, so the vote is right half the time
    train = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    labels = np.array([0, 1, 1])
    test = np.array([[1.0, 0.1]])
    out = knn_scores(train, labels, test, [0], k=1)
    assert out["accuracy"] == pytest.approx(0.5) and out["tied_queries"] == 1
    # k = 2 takes both copies: the vote itself ties, each class equally likely
    assert knn_scores(train, labels, test, [0], k=2)["accuracy"] == pytest.approx(0.5)
    # k = 3: class 1 gets the copy and the far point: it wins, no tie
    out = knn_scores(train, labels, test, [1], k=3)
    assert out["accuracy"] == 1.0 and out["tied_queries"] == 0


def brute_knn(train, labels, test_row, truth, k, temperature):
    """k-NN correctness averaged over every order of tied neighbours and of tied votes."""
    sim = train @ test_row
    outcomes = []
    for order in orders(sim):
        votes = np.zeros(labels.max() + 1)
        for i in order[:k]:
            votes[labels[i]] += np.exp(sim[i] / temperature)
        best = np.flatnonzero(votes == votes.max())
        outcomes.append((truth in best) / len(best))
    return np.mean(outcomes)


@given(st.integers(2, 6), st.integers(1, 4), st.integers(0, 2**32 - 1))
@settings(max_examples=60)
def test_knn_equals_brute_force_over_every_tie_order(n_train, k, seed):
    rng = np.random.default_rng(seed)
    points = np.eye(3)[rng.integers(0, 3, n_train)]  # unit vectors: many exact ties
    labels = rng.integers(0, 3, n_train)
    test = np.eye(3)[rng.integers(0, 3, 2)] + [0.0, 0.0, 0.0]
    truth = rng.integers(0, 3, 2)
    out = knn_scores(points, labels, test, truth, k=k, temperature=1.0)
    want = np.mean([brute_knn(points, labels, t, y, min(k, n_train), 1.0)
                    for t, y in zip(test, truth)])
    assert out["accuracy"] == pytest.approx(want)


def test_zero_shot_ties_count_by_expectation():
    classes = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # classes 0 and 1 look the same
    images = np.array([[1.0, 0.0], [0.0, 1.0]])
    s = zero_shot_scores(images, [1, 2], classes)
    assert s["top1"] == pytest.approx((0.5 + 1) / 2) and s["tied_queries"] == 1
    assert s["mean_per_class_recall"] == pytest.approx((0.5 + 1) / 2)


def test_duplicate_class_names_are_refused_naming_both_folders():
    assert class_names(["BareLand", "SeaLake"]) == ["bare land", "sea lake"]
    with pytest.raises(ValueError, match="'Parking' and 'parking_lot' both read as 'parking lot'"):
        class_names(["Parking", "parking_lot"])
    with pytest.raises(ValueError, match="'forest' and 'Forest'"):
        class_names(["forest", "Forest"])


def test_knn_weighted_votes_hand_case():
    train = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])
    labels = np.array([0, 0, 1])
    test = np.array([[0.2, 0.98]])  # nearest is class 1; two class-0 neighbours are farther
    assert knn_classify(train, labels, test, k=3, temperature=0.07)[0] == 1
    assert knn_classify(train, labels, test, k=3, temperature=100.0)[0] == 0  # flat weights


def test_counting_variants_and_scores():
    v = counting_variants("there are three planes in the picture .")
    assert v[0] == "there are one planes in the picture ." and v[9].startswith("there are ten")
    # image n is closest to the variant n: a constructed perfect model, and one always saying 1
    counts = np.array([1, 3, 10, 3])
    feats = np.eye(10)
    images = feats[counts - 1]
    variants = np.tile(feats, (4, 1, 1))
    s = counting_scores(images, variants, counts)
    assert s["top1"] == 1.0 and s["confusion"][2][2] == 1.0 and s["tied_queries"] == 0
    always_one = np.tile(feats[0], (4, 1))
    s = counting_scores(always_one, variants, counts)
    assert s["top1"] == 0.25 and s["top10"] == 1.0
    assert s["confusion"][2][0] == 1.0  # every 3 predicted as 1
    # a model blind to numbers: all ten rewrites tie, every count equally likely
    blind = counting_scores(np.zeros((4, 10)), variants, counts)
    assert blind["top1"] == pytest.approx(0.1) and blind["top5"] == pytest.approx(0.5)
    assert blind["tied_queries"] == 4 and blind["confusion"][2] == pytest.approx([0.1] * 10)


@pytest.mark.parametrize("caption, says", [
    ("many planes", "no number word"),
    ("three cars and two trucks in the picture .", "2 number words"),
    ("there are twenty-one ships .", "'twenty'"),
    ("there are twenty one ships .", "'twenty'"),
    ("there are 12 cars .", "'12'"),
    ("eleven planes", "'eleven'"),
    ("one hundred boats", "'hundred'"),
])
def test_counting_refuses_captions_without_exactly_one_small_number(caption, says):
    with pytest.raises(ValueError) as e:
        counting_variants(caption)
    assert repr(caption) in str(e.value) and says in str(e.value)


@pytest.mark.parametrize("count", [0, 11, -1])
def test_counting_refuses_counts_outside_one_to_ten_naming_the_record(count):
    feats = np.eye(10)
    with pytest.raises(ValueError, match=f"b.png: count {count} outside 1..10"):
        counting_scores(feats[:2], np.tile(feats, (2, 1, 1)), [3, count], names=["a.png", "b.png"])


@pytest.mark.parametrize("folder, name", [("BareLand", "bare land"), ("aGrass", "grass"),
                                          ("StorageTanks", "storage tanks"),
                                          ("tennis_court", "tennis court"),
                                          ("Parking", "parking lot"), ("dRiverLake", "river lake")])
def test_class_names_from_folders(folder, name):
    assert class_name(folder) == name


def test_eight_two_split_on_real_scene_folders(realdata):
    for folder in ("aid_scene_subset", "rsscn7_subset"):
        res = ds.read_scene_folders(realdata / folder)
        for label in {r.label for r in res}:
            recs = sorted((r for r in res if r.label == label), key=lambda r: r.image)
            assert [r.split for r in recs] == ["train", "test"]


def test_zero_shot_alone_encodes_the_test_images_only_and_scores_the_same(smoke_embedded,
                                                                          tmp_path):
    """probes=False (the budget study's evaluation) skips the training images' features and
    gives the same zero-shot numbers as the full evaluation."""
    from rsclip_utils.evaluation import evaluate_all
    from rsclip_utils.models import create_model

    root, _ = smoke_embedded
    scenes = list(ds.load_embedded(root)["cls"])
    bundle = create_model("rsclip-tiny", "base")
    full = evaluate_all(bundle, [], scenes, [], cache_dir=tmp_path / "a", model_key="m",
                        shots=(), progress=False)
    alone = evaluate_all(bundle, [], scenes, [], cache_dir=tmp_path / "b", model_key="m",
                         shots=(), progress=False, probes=False)
    assert alone["zero_shot"] == full["zero_shot"]
    assert alone["zero_shot_ensemble"] == full["zero_shot_ensemble"]
    assert "linear_probe" not in alone
    rows = {len(np.load(f)) for f in (tmp_path / "b").glob("image-*.npy")}
    n_test = sum(r.split == "test" for r in scenes)
    assert rows == {n_test} and n_test < len(scenes)  # only the test images were encoded


def test_token_equal_captions_are_counted_and_tie_in_every_protocol(smoke_embedded, tmp_path):
    """Two test images given captions that differ only in case and spacing: the evaluation
    counts them as token-equal across images, encodes them as one (an exact tie) and credits
    each image by the tie's expectation; the paper's protocol equals CLIP_benchmark's here (the
    tokenizer lower-cases what `capitalize` changes) and FarSLIP's reads other texts."""
    from dataclasses import replace

    from rsclip_utils.evaluation import evaluate_all
    from rsclip_utils.models import create_model

    root, _ = smoke_embedded
    test = [r for r in ds.load_embedded(root)["ret"] if r.split == "test"]
    a, b = test[0], test[1]
    test[1] = replace(b, captions=[a.captions[0].upper().replace(".", " ."), *b.captions[1:]])
    bundle = create_model("rsclip-tiny", "base")
    out = evaluate_all(bundle, test, [], [], cache_dir=tmp_path, model_key="m", progress=False)
    r = out["retrieval"]
    assert r["ambiguous_captions"] == 2
    assert r["t2i_tied_queries"] == 0  # the two captions tie, but no two images do
    protocols = out["retrieval_protocols"]
    assert list(protocols) == ["remoteclip", "clip_benchmark", "farslip"]
    assert {k: v for k, v in protocols["remoteclip"].items()} == \
        {k: v for k, v in protocols["clip_benchmark"].items()}
    assert protocols["farslip"]["text_queries"] == protocols["remoteclip"]["text_queries"]
    assert protocols["farslip"]["mR"] != protocols["remoteclip"]["mR"]  # the prefix
    # the two captions are encoded once per protocol (one embedding: an exact tie)
    n = sum(len(x.captions) for x in test)
    assert sorted(len(np.load(f)) for f in tmp_path.glob("text-*.npy")) == [n - 1] * 3


def test_the_feature_cache_never_serves_features_of_images_made_again_at_the_same_paths(
        tmp_path):
    """Notebook 06 after a new SEED in the same run folder: the base model's key is the same,
    the images are new; their features must be encoded again (and a damaged cache file too)."""
    import os

    from rsclip_utils.evaluation import _batched_features

    paths = [tmp_path / f"{k}.png" for k in range(3)]
    encoded = []

    def encode(batch):  # a stand-in encoder: the features are the files' first bytes
        encoded.append(len(batch))
        return np.array([[float(open(p, "rb").read()[0])] for p in batch], np.float32)

    for k, p in enumerate(paths):
        p.write_bytes(bytes([k + 1]) * 8)
    first = _batched_features("image", [str(p) for p in paths], encode, 2, tmp_path / "c", "m",
                              False)
    again = _batched_features("image", [str(p) for p in paths], encode, 2, tmp_path / "c", "m",
                              False)
    assert encoded == [2, 1] and np.array_equal(first, again)  # reused
    for k, p in enumerate(paths):  # another seed: new images under the same names
        p.write_bytes(bytes([k + 100]) * 8)
        os.utime(p, ns=(10**18 + k, 10**18 + k))
    new = _batched_features("image", [str(p) for p in paths], encode, 2, tmp_path / "c", "m",
                            False)
    assert new[:, 0].tolist() == [100, 101, 102]
    cached = sorted((tmp_path / "c").glob("image-*.npy"))
    cached[-1].write_bytes(b"not an array")
    for c in cached:
        c.write_bytes(b"damaged")
    fresh = _batched_features("image", [str(p) for p in paths], encode, 2, tmp_path / "c", "m",
                              False)
    assert fresh[:, 0].tolist() == [100, 101, 102] and encoded == [2, 1, 2, 1, 2, 1]
