"""Evaluation protocols against hand-computed cases and brute-force definitions."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rsclip_utils import datasets as ds
from rsclip_utils.evaluation import (
    class_name,
    counting_scores,
    counting_variants,
    few_shot,
    knn_accuracy,
    knn_classify,
    linear_probe,
    retrieval_metrics,
    zero_shot_scores,
)


def test_retrieval_hand_computed_with_several_captions_and_ties():
    # 2 images, 4 captions: captions 0, 1 belong to image 0; 2, 3 to image 1
    sim = np.array([[0.9, 0.1, 0.9, 0.2],     # image 0: caption 0 ties with caption 2 (lower
                    [0.5, 0.5, 0.4, 0.3]])    # index first: caption 0, its own, ranks first)
    owner = [0, 0, 1, 1]
    m = retrieval_metrics(sim, owner, ks=(1, 2))
    # image 0: ranking 0, 2, 3, 1 -> own at rank 0; image 1: ranking 0, 1, 2, 3 -> own at rank 2
    assert m["i2t_R@1"] == 50.0 and m["i2t_R@2"] == 50.0
    # text 0: images 0 (0.9) > 1 -> hit; text 1: 0.1 vs 0.5 -> image 1 first -> miss at 1
    # text 2: 0.9 vs 0.4 -> image 0 first -> miss; text 3: 0.2 vs 0.3 -> image 1 -> hit
    assert m["t2i_R@1"] == 50.0 and m["t2i_R@2"] == 100.0
    assert m["mR"] == pytest.approx((50 + 50 + 50 + 100) / 4)


def test_retrieval_tie_between_two_images_for_one_text():
    sim = np.array([[0.5], [0.5]])  # one caption, owned by image 1, scored equally
    with pytest.raises(ValueError, match="without any caption"):
        retrieval_metrics(sim, [1])
    sim = np.array([[0.5, 0.1], [0.5, 0.9]])
    m = retrieval_metrics(sim, [1, 0], ks=(1,))
    assert m["t2i_R@1"] == 0.0  # text 0 ties 0.5/0.5: image 0 (lower index) first, owner is 1


def brute_retrieval(sim, owner, k):
    n_img, n_txt = sim.shape
    i2t = []
    for i in range(n_img):
        order = sorted(range(n_txt), key=lambda t: (-sim[i, t], t))[:k]
        i2t.append(any(owner[t] == i for t in order))
    t2i = []
    for t in range(n_txt):
        order = sorted(range(n_img), key=lambda i: (-sim[i, t], i))[:k]
        t2i.append(owner[t] in order)
    return 100 * np.mean(i2t), 100 * np.mean(t2i)


@given(st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**32 - 1), st.booleans())
@settings(max_examples=120)
def test_retrieval_equals_brute_force(n_img, per, seed, coarse):
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(n_img), per)
    rng.shuffle(owner)
    sim = rng.random((n_img, len(owner)))
    if coarse:
        sim = np.round(sim, 1)  # many ties
    m = retrieval_metrics(sim, owner)
    for k in (1, 5, 10):
        i2t, t2i = brute_retrieval(sim, owner, k)
        assert m[f"i2t_R@{k}"] == pytest.approx(i2t) and m[f"t2i_R@{k}"] == pytest.approx(t2i)


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
    shots = few_shot(x, y, xt, yt, shots=(1, 4), seeds=(0, 1))
    assert shots[4]["mean"] == 1.0 and shots[1]["std"] >= 0


def test_knn_weighted_votes_hand_case():
    train = np.array([[1.0, 0.0], [0.99, 0.14], [0.0, 1.0]])
    labels = np.array([0, 0, 1])
    test = np.array([[0.2, 0.98]])  # nearest is class 1; two class-0 neighbours are farther
    assert knn_classify(train, labels, test, k=3, temperature=0.07)[0] == 1
    assert knn_classify(train, labels, test, k=3, temperature=100.0)[0] == 0  # flat weights


def test_counting_variants_and_scores():
    v = counting_variants("there are three planes in the picture .")
    assert v[0] == "there are one planes in the picture ." and v[9].startswith("there are ten")
    with pytest.raises(ValueError):
        counting_variants("many planes")
    # image n is closest to the variant n: a constructed perfect model, and one always saying 1
    counts = np.array([1, 3, 10, 3])
    feats = np.eye(10)
    images = feats[counts - 1]
    variants = np.tile(feats, (4, 1, 1))
    s = counting_scores(images, variants, counts)
    assert s["top1"] == 1.0 and s["confusion"][2][2] == 1.0
    always_one = np.tile(feats[0], (4, 1))
    s = counting_scores(always_one, variants, counts)
    assert s["top1"] == 0.25 and s["top10"] == 1.0
    assert s["confusion"][2][0] == 1.0  # every 3 predicted as 1


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
