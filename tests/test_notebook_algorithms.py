"""Each notebook's own version of its algorithm (the cells that teach it) against the package's
fast version and against an independent oracle: Suzuki-Abe and Moore tracing (01) against
OpenCV, Mask-to-Box (02) against connected components, Box-to-Caption (03) against the package,
p-Hash and the segment search (04) against imagehash and brute force, InfoNCE and one AMP step
(05) against open_clip's ClipLoss and the training loop, recall@k and the budget study's
saturation rule (06) against hand-checked cases and the package. The notebooks' definitions are
loaded without running the notebooks."""

import random

import cv2
import numpy as np
import pytest
from helpers.notebook_defs import load_definitions, notebook_sources
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rsclip_utils import b2c, m2b
from rsclip_utils import contours as sa

ALGORITHMS = {  # notebook -> the functions it writes out
    "01_suzuki_contours": ("follow_border", "suzuki_abe", "opencv_order", "moore_trace",
                           "square_trace"),
    "02_mask_to_box": ("m2b_boxes",),
    "03_box_to_caption": ("in_centre", "count_phrase", "group_phrase", "five_captions"),
    "04_phash_dedup": ("phash_by_hand", "segment_search"),
    "05_amp_infonce_training": ("infonce", "amp_step", "learning_rate", "epoch_order",
                                "train_loop", "model_card"),
    "06_evaluation": ("recall_at_k", "retrieval_recalls", "saturation_budget", "class_prompts",
                      "zero_shot_predict", "linear_probe_by_hand", "knn_predict"),
}


@pytest.fixture(scope="module")
def nb():
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = load_definitions(name)
        return cache[name]

    return get


def test_no_notebook_prints_package_source_and_each_writes_its_algorithm(nb):
    for name, source in notebook_sources().items():
        assert "getsource" not in source, f"{name} prints package code instead of writing it"
    for name, functions in ALGORITHMS.items():
        defs = nb(name)
        for f in functions:
            assert callable(getattr(defs, f, None)), f"{name} defines {f} in its own cells"


masks = arrays(np.uint8, st.tuples(st.integers(1, 14), st.integers(1, 14)),
               elements=st.sampled_from([0, 1]))


@settings(max_examples=300, deadline=None)
@given(masks)
def test_notebook_01_suzuki_abe_equals_opencv_and_the_package(nb, mask):
    defs = nb("01_suzuki_contours")
    ours, hierarchy = defs.opencv_order(defs.suzuki_abe(mask))
    for theirs, their_h in (cv2.findContours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE),
                            sa.find_contours(mask, cv2.RETR_TREE, cv2.CHAIN_APPROX_NONE)):
        assert len(ours) == len(theirs)
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs))
        assert (hierarchy is None and their_h is None) or np.array_equal(hierarchy, their_h)


@settings(max_examples=200, deadline=None)
@given(masks)
def test_notebook_01_moore_trace_finds_the_first_objects_outline_only(nb, mask):
    defs = nb("01_suzuki_contours")
    if not mask.any():
        return
    outline = defs.moore_trace(mask)
    first = defs.suzuki_abe(mask)[0]
    assert not first[1] and set(outline) == set(first[0])
    n, labels = cv2.connectedComponents(mask, connectivity=8)
    x, y = outline[0]
    assert {labels[py, px] for px, py in outline} == {labels[y, x]}  # one object, nothing else



@settings(max_examples=200, deadline=None)
@given(masks)
def test_notebook_01_square_trace_follows_a_4_connected_blob(nb, mask):
    defs = nb("01_suzuki_contours")
    if not mask.any():
        return
    ys, xs = np.nonzero(mask)
    _, labels4 = cv2.connectedComponents(mask, connectivity=4)
    blob = (labels4 == labels4[ys[0], xs[0]]).astype(np.uint8)  # the first pixel's 4-component
    visited = set(defs.square_trace(blob))
    outer, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    padded = np.pad(blob, 1)
    # every pixel of OpenCV's outer border, and only pixels of the blob that touch the background
    # (square tracing also steps on the corner pixels of concave corners, which 8-connected
    # tracing cuts across)
    assert {tuple(p) for p in outer[0].reshape(-1, 2).tolist()} <= visited
    assert all(blob[y, x] and not padded[y:y + 3, x:x + 3].all() for x, y in visited)
    rectangle = np.pad(np.ones(mask.shape, np.uint8), 1)  # no concave corner: exactly the border
    outer, _ = cv2.findContours(rectangle, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    assert set(defs.square_trace(rectangle)) == {tuple(p) for p in outer[0].reshape(-1, 2).tolist()}
    # on any mask it stays on the 8-connected object of the first pixel
    _, labels8 = cv2.connectedComponents(mask, connectivity=8)
    assert {labels8[y, x] for x, y in defs.square_trace(mask)} == {labels8[ys[0], xs[0]]}


def test_notebook_01_square_trace_misses_pixels_of_a_diagonal_object(nb):
    defs = nb("01_suzuki_contours")
    diagonal = np.zeros((3, 5), np.uint8)
    diagonal[0, 1] = diagonal[1, 2] = diagonal[1, 3] = 1  # 8-connected, joined at a corner
    assert set(defs.square_trace(diagonal)) == {(1, 0)}  # (2, 1) and (3, 1) are missed
    assert set(defs.moore_trace(diagonal)) == {(1, 0), (2, 1), (3, 1)}
    outer, _ = cv2.findContours(diagonal, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    assert {tuple(p) for p in outer[0].reshape(-1, 2).tolist()} == {(1, 0), (2, 1), (3, 1)}


@settings(max_examples=150, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 20), st.integers(1, 20)),
              elements=st.integers(0, 3)))
def test_notebook_02_m2b_equals_the_package_and_connected_components(nb, label_map):
    defs = nb("02_mask_to_box")
    classes = {1: "building", 2: "road", 3: "water"}
    ours = defs.m2b_boxes(label_map, classes, ignore=(2,))
    assert ours == m2b.mask_to_boxes(label_map, classes, ignore=(2,))
    expected = []
    for value in (1, 3):
        n, _, stats, _ = cv2.connectedComponentsWithStats((label_map == value).astype(np.uint8),
                                                          connectivity=8)
        boxes = sorted((y, x, y + h - 1, x + w - 1) for x, y, w, h, _ in stats[1:].tolist())
        expected += [(classes[value], [x0, y0, x1, y1]) for y0, x0, y1, x1 in boxes]
    assert ours == expected


boxes_st = st.lists(
    st.tuples(st.sampled_from(["ship", "small-vehicle", "storagetank", "plane", "harbor",
                               "Ground_Track_Field", "tennis-court"]),
              st.tuples(st.integers(0, 200), st.integers(0, 200), st.integers(1, 50),
                        st.integers(1, 50))),
    min_size=1, max_size=40)


@settings(max_examples=400, deadline=None)
@given(boxes_st, st.integers(0, 10**6), st.sampled_from([(0.25, 0.75), (0.1, 0.9), (0.4, 0.6)]),
       st.booleans())
def test_notebook_03_five_captions_equal_the_packages(nb, objects, seed, centre, words):
    defs = nb("03_box_to_caption")
    objects = [(label, [x, y, x + w, y + h]) for label, (x, y, w, h) in objects]
    ours = defs.five_captions(objects, 256, 256, seed=seed, centre=centre, number_words=words)
    config = b2c.B2CConfig(centre=centre, number_words=words)
    assert ours == b2c.box_to_captions(objects, 256, 256, seed=seed, config=config)
    assert len(set(ours)) == 5


def test_notebook_03_count_rules_by_hand(nb):
    defs = nb("03_box_to_caption")
    rng = random.Random(0)
    assert defs.count_phrase("airplane", 1, rng) == "an airplane"
    assert defs.count_phrase("ship", 3, rng) == "3 ships"
    assert defs.count_phrase("ship", 10, rng, number_words=True) == "ten ships"
    assert defs.count_phrase("ship", 11, rng).endswith(" ships")
    assert defs.count_phrase("ship", 11, rng).split(" ships")[0] in b2c.DEFAULT_CONFIG.quantifiers
    assert defs.in_centre([100, 100, 150, 150], 256, 256) and not defs.in_centre([0, 0, 9, 9],
                                                                                   256, 256)


def _image(tmp_path, seed, size=(48, 40)):
    from PIL import Image

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, (6, 5, 3)).astype(np.uint8)  # smooth: a resized coarse pattern
    path = tmp_path / f"{seed}.png"
    Image.fromarray(base).resize(size, Image.Resampling.BICUBIC).save(path)
    return path


def test_notebook_04_phash_by_hand_equals_imagehash_and_the_package(nb, tmp_path):
    import imagehash
    from PIL import Image

    from rsclip_utils import dedup

    defs = nb("04_phash_dedup")
    for seed in range(12):
        path = _image(tmp_path, seed, size=(48 + 7 * seed, 40 + 3 * seed))
        theirs = int(str(imagehash.phash(Image.open(path))), 16)
        assert defs.phash_by_hand(path) == theirs == dedup.phash(path)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=2, max_size=40), st.integers(0, 3),
       st.data())
def test_notebook_04_segment_search_equals_brute_force_and_the_package(nb, hashes, d, data):
    from rsclip_utils import dedup

    defs = nb("04_phash_dedup")
    # near-copies, so that there are pairs to find
    for _ in range(data.draw(st.integers(0, 6))):
        i = data.draw(st.integers(0, len(hashes) - 1))
        flips = data.draw(st.lists(st.integers(0, 63), max_size=4, unique=True))
        hashes.append(hashes[i] ^ sum(1 << b for b in flips))
    ours = [list(p) for p in defs.segment_search(hashes, max_distance=d)]
    brute = [[i, j] for i in range(len(hashes)) for j in range(i + 1, len(hashes))
             if bin(hashes[i] ^ hashes[j]).count("1") <= d]
    assert ours == brute
    array = np.array(hashes, dtype=np.uint64)
    assert ours == dedup.brute_force_pairs(array, d).tolist()
    if len(set(hashes)) == len(hashes):  # the package collapses identical hashes first
        assert ours == dedup.find_duplicate_pairs(array, d, 4).tolist()


def test_notebook_04_segment_search_on_the_8_bit_example(nb):
    defs = nb("04_phash_dedup")
    assert defs.segment_search([0b10101010, 0b10101011, 0b11110000], bits=8, segments=2,
                               max_distance=1) == [(0, 1)]


@pytest.mark.parametrize("n, scale", [(8, 14.3), (32, 100.0), (3, 1.0)])
def test_notebook_05_infonce_equals_open_clip_and_the_package(nb, n, scale):
    import open_clip
    import torch

    from rsclip_utils.training import infonce_loss

    defs = nb("05_amp_infonce_training")
    g = torch.Generator().manual_seed(n)
    img = torch.nn.functional.normalize(torch.randn(n, 16, generator=g), dim=1).requires_grad_()
    txt = torch.nn.functional.normalize(torch.randn(n, 16, generator=g), dim=1)
    s = torch.tensor(scale)
    ours = defs.infonce(img, txt, s)
    (grad,) = torch.autograd.grad(ours, img)
    theirs = open_clip.ClipLoss()(img, txt, s)
    (their_grad,) = torch.autograd.grad(theirs, img)
    assert abs(ours.item() - theirs.item()) <= 1e-6 * max(1.0, theirs.item())
    assert abs(ours.item() - infonce_loss(img, txt, s).item()) <= 1e-6 * max(1.0, theirs.item())
    assert torch.allclose(grad, their_grad, atol=1e-6, rtol=0)


@pytest.mark.parametrize("dtype_name", ["bfloat16", "float16"])
def test_notebook_05_amp_step_equals_the_loops_train_step(nb, dtype_name):
    import copy

    import torch

    from rsclip_utils.models import create_model
    from rsclip_utils.training import train_step

    defs = nb("05_amp_infonce_training")
    dtype = getattr(torch, dtype_name)
    torch.manual_seed(0)
    bundle = create_model("rsclip-tiny", None)
    size = bundle.model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    images = torch.randn(4, 3, size, size, generator=torch.Generator().manual_seed(1))
    texts = bundle.tokenizer(["two ships", "a harbor", "three planes", "a road"])
    results = []
    for step in (defs.amp_step, train_step):
        model = copy.deepcopy(bundle.model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)  # an update that is the gradient
        scaler = (torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=1)
                  if dtype is torch.float16 else None)
        losses = []
        for _ in range(3):
            loss, *_, stepped = step(model, optimizer, scaler, images, texts, dtype)
            losses.append((loss.item(), stepped))
        results.append((losses, model.state_dict(), scaler and scaler.get_scale()))
    (l1, w1, s1), (l2, w2, s2) = results
    # the same steps taken, the same scale; the losses and weights agree to the low precision's
    # rounding (the two write the cross-entropy differently, and float16 keeps ~3 digits)
    tolerance = 2e-3
    assert [s for _, s in l1] == [s for _, s in l2] and s1 == s2
    assert l1[0][0] == pytest.approx(l2[0][0], abs=1e-6)  # the first forward pass is the same
    assert np.allclose([x for x, _ in l1], [x for x, _ in l2], atol=tolerance)
    assert all(torch.allclose(w1[k], w2[k], atol=tolerance) for k in w1)


def test_notebook_05_schedule_and_order_equal_the_packages(nb):
    import torch

    from rsclip_utils.train_data import epoch_batches
    from rsclip_utils.training import lr_at

    defs = nb("05_amp_infonce_training")
    for total, warmup in ((250, 25), (24, 4), (10, 0), (5, 5)):
        assert [defs.learning_rate(s, total, warmup, 3e-4) for s in range(total + 2)] == \
            [lr_at(s, total, warmup, 3e-4) for s in range(total + 2)]
    assert defs.learning_rate(0, 100, 10, 1.0) == 0.1  # warm-up: (step + 1) / warmup
    assert defs.learning_rate(55, 100, 10, 1.0) == pytest.approx(0.5)  # half-way down the cosine
    for seed, epoch in ((0, 0), (3, 2)):
        order = defs.epoch_order(50, seed, epoch)
        assert sorted(order.tolist()) == list(range(50))
        assert torch.cat([torch.tensor(b) for b in epoch_batches(50, 8, seed, epoch)]).tolist() \
            == order[:48].tolist()


@pytest.mark.parametrize("pretrained", [None, "base"])
def test_notebook_05_train_loop_gives_the_packages_losses(nb, manifest, tmp_path, pretrained):
    import torch
    from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

    from rsclip_utils.models import create_model
    from rsclip_utils.recipe import TrainConfig
    from rsclip_utils.train_data import ManifestDataset
    from rsclip_utils.training import read_log, train

    defs = nb("05_amp_infonce_training")
    steps, batch, warmup, lr = 7, 8, 2, 5e-4
    lines = manifest.read_text().splitlines(keepends=True)
    manifest = manifest.with_name(f"first_rows_{pretrained}.tsv")  # beside it: the same paths
    manifest.write_text("".join(lines[:1 + 5 * batch + 3]))  # 5 batches and 3 rows an epoch
    torch.manual_seed(0)
    bundle = create_model("rsclip-tiny", pretrained)
    data = ManifestDataset(manifest, 64, OPENAI_DATASET_MEAN, OPENAI_DATASET_STD,
                           bundle.tokenizer, seed=0)
    ours = defs.train_loop(bundle.model, data, steps, batch, lr, warmup, 0)
    run = train(TrainConfig(manifest=str(manifest), out=str(tmp_path), pretrained=pretrained,
                            steps=steps, batch_size=batch, lr=lr, warmup=warmup, seed=0,
                            device="cpu", progress=False))
    theirs = read_log(run.log)["loss"]
    assert len(ours) == len(theirs) == steps
    assert ours[0] == pytest.approx(theirs[0], abs=1e-5)  # the same first batch and weights
    # the package's Adam is the fused kernel: the same update, rounded in another order
    assert np.allclose(ours, theirs, atol=1e-3, rtol=0), (ours, theirs)
    assert ours[-1] != ours[0]  # it trained


def test_notebook_05_model_card_reads_the_configs(nb):
    defs = nb("05_amp_infonce_training")
    b32 = defs.model_card("ViT-B-32")
    assert (b32["input (px)"], b32["patch (px)"], b32["image tokens"], b32["context (tokens)"]) \
        == (224, 32, 49, 77)
    assert 151_000_000 < b32["parameters"] < 152_000_000  # open_clip's ViT-B-32: 151.28M
    from rsclip_utils.models import count_parameters, create_model

    tiny = create_model("rsclip-tiny", None).model
    card = defs.model_card("rsclip-tiny", tiny)
    assert (card["input (px)"], card["patch (px)"], card["context (tokens)"]) == (64, 8, 32)
    assert card["parameters"] == count_parameters(tiny) == defs.model_card("rsclip-tiny")[
        "parameters"]


def test_notebook_06_recall_at_k_by_hand(nb):
    defs = nb("06_evaluation")
    toy = np.array([[0.9, 0.1, 0.8, 0.2], [0.7, 0.6, 0.5, 0.4]])
    assert defs.recall_at_k(toy, [0, 0, 1, 1], 1) == (50.0, 50.0)  # captions 0 and 3 hit
    assert defs.recall_at_k(toy, [0, 0, 1, 1], 2) == (50.0, 100.0)
    # a perfect diagonal: everything found at 1
    assert defs.recall_at_k(np.eye(5), list(range(5)), 1) == (100.0, 100.0)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.integers(1, 5), st.integers(0, 10**6))
def test_notebook_06_retrieval_recalls_equal_the_packages(nb, images, per_image, seed):
    from rsclip_utils import evaluation as ev

    defs = nb("06_evaluation")
    rng = np.random.default_rng(seed)
    owner = np.repeat(np.arange(images), per_image)
    sim = rng.normal(size=(images, len(owner)))
    if seed % 3 == 0:
        sim = np.round(sim, 1)  # ties: both count them by their expectation
    ours = defs.retrieval_recalls(sim, owner)
    theirs = ev.retrieval_metrics(sim, owner)
    assert set(ours) == set(theirs) - {"i2t_tied_queries", "t2i_tied_queries"}
    assert all(abs(ours[k] - theirs[k]) < 1e-9 for k in ours)


def test_notebook_06_recall_counts_a_tie_by_its_expectation(nb):
    defs = nb("06_evaluation")
    # image 0's own caption ties with image 1's: found first half the time
    sim = np.array([[0.5, 0.5], [0.1, 0.9]])
    assert defs.recall_at_k(sim, [0, 1], 1) == (75.0, 100.0)
    # three tied captions, one own: C(2,2)/C(3,2) = 1/3 of the orders miss at 2
    assert defs.hit_probability(np.array([0.7, 0.7, 0.7]), np.array([True, False, False]),
                                2) == pytest.approx(2 / 3)


def test_notebook_06_saturation_rule_by_hand(nb):
    rule = nb("06_evaluation").saturation_budget
    assert rule([20, 30, 35, 35.5, 36], 1.0) == 3  # the third doubling adds half a point
    assert rule([20, 30, 35, 35.5, 36], 0.4) == 4  # a 0.4 gain: never saturated, the largest
    assert rule([20, 30, 28, 40], 1.0) == 2  # a fall is no gain
    assert rule([10, 12, 14], 1.0) == 2  # never saturated: the largest budget


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 100, allow_nan=False), min_size=1, max_size=8))
def test_notebook_06_saturation_rule_equals_the_packages(nb, curve):
    from rsclip_utils.budget import SATURATION_GAIN, saturation

    for gain in (SATURATION_GAIN, 0.5):
        assert nb("06_evaluation").saturation_budget(curve, gain) == \
            saturation(curve, gain)["index"]


def clustered(seed, classes=4, per_class=12, dim=16, spread=1.5):
    """Features in `classes` noisy clusters, with labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(classes, dim))
    y = np.repeat(np.arange(classes), per_class)
    return centres[y] + spread * rng.normal(size=(len(y), dim)), y


def test_notebook_06_class_prompts_equal_the_packages_class_embeddings(nb):
    import torch

    from rsclip_utils import evaluation as ev
    from rsclip_utils.models import create_model

    defs = nb("06_evaluation")
    torch.manual_seed(0)
    bundle = create_model("rsclip-tiny", None)
    names = ["bare land", "sea lake", "harbor"]
    for templates in ((ev.ZERO_SHOT_TEMPLATE,), ev.ENSEMBLE_TEMPLATES):
        ours = defs.class_prompts(bundle.model, bundle.tokenizer, names, templates)
        theirs = ev.class_embeddings(bundle.model, bundle.tokenizer, names, templates)
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, atol=1e-5)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6))
def test_notebook_06_zero_shot_equals_the_packages_top1(nb, seed):
    from rsclip_utils import evaluation as ev

    defs = nb("06_evaluation")
    rng = np.random.default_rng(seed)
    x, y = clustered(seed)
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    classes = rng.normal(size=(4, x.shape[1]))
    classes /= np.linalg.norm(classes, axis=1, keepdims=True)
    ours = float(np.mean(defs.zero_shot_predict(x, classes) == y))
    theirs = ev.zero_shot_scores(x, y, classes)
    assert theirs["tied_queries"] == 0 and ours == pytest.approx(theirs["top1"], abs=1e-12)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10**6))
def test_notebook_06_linear_probe_equals_the_packages(nb, seed):
    from rsclip_utils import evaluation as ev

    defs = nb("06_evaluation")
    x, y = clustered(seed)
    test = np.random.default_rng(seed + 1).random(len(y)) < 0.3
    if len(np.unique(y[~test])) < 4:
        return
    accuracy, c = defs.linear_probe_by_hand(x[~test], y[~test], x[test], y[test], seed=seed)
    theirs = ev.linear_probe(x[~test], y[~test], x[test], y[test], seed=seed)
    assert (accuracy, c) == (theirs["accuracy"], theirs["C"])


def test_notebook_06_linear_probe_chooses_c_on_the_held_out_fifth(nb):
    defs = nb("06_evaluation")
    x, y = clustered(0, spread=0.05)  # separable: every C finds it, the first best is kept
    accuracy, c = defs.linear_probe_by_hand(x, y, x, y)
    assert accuracy == 1.0 and c == 0.1


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 25))
def test_notebook_06_knn_equals_the_packages(nb, seed, k):
    from rsclip_utils import evaluation as ev

    defs = nb("06_evaluation")
    x, y = clustered(seed)
    test = np.random.default_rng(seed + 1).random(len(y)) < 0.3
    ours = defs.knn_predict(x[~test], y[~test], x[test], k)
    assert np.array_equal(ours, ev.knn_classify(x[~test], y[~test], x[test], k))
    scores = ev.knn_scores(x[~test], y[~test], x[test], y[test], k)
    if scores["tied_queries"] == 0:
        assert float(np.mean(ours == y[test])) == pytest.approx(scores["accuracy"], abs=1e-12)


def test_notebook_06_knn_votes_by_hand(nb):
    defs = nb("06_evaluation")
    train = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]])
    labels = np.array([0, 0, 1])
    # the query is nearest the class-1 image, but two class-0 images outvote it at k = 3 ...
    query = np.array([[0.6, 0.8]])
    assert defs.knn_predict(train, labels, query, k=1)[0] == 1
    assert defs.knn_predict(train, labels, query, k=3, temperature=10.0)[0] == 0
    # ... unless the temperature is low: exp(similarity / 0.07) lets the nearest one win
    assert defs.knn_predict(train, labels, query, k=3, temperature=0.07)[0] == 1
