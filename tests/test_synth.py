"""The embedded datasets: determinism, the round trip generator -> real-format readers, captions,
planted duplicates (checked with imagehash as the independent oracle)."""

import hashlib
import os
from collections import Counter
from pathlib import Path

import imagehash
import numpy as np
import open_clip
import pytest
from PIL import Image
from scipy import ndimage

from rsclip_utils import datasets as ds
from rsclip_utils.config import get_profile
from rsclip_utils.dedup import brute_force_pairs, hamming
from rsclip_utils.synth import (
    EUROSAT_CLASSES,
    SCENE_CLASSES,
    UAV_CLASSES,
    ensure_embedded,
    generate_embedded,
    read_ground_truth,
)
from rsclip_utils.synth.generate import choose_ret_captions, plan_jobs
from rsclip_utils.text import model_tokens

SMOKE = get_profile("smoke").synth


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file except the timings and stamps (which hold times)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "timings.json" and not p.name.endswith(".stamp.json")
    }


def test_same_seed_same_bytes_whatever_the_worker_count(smoke_embedded, tmp_path):
    root, _ = smoke_embedded
    generate_embedded(tmp_path / "again", SMOKE, seed=0, workers=1, progress=False)
    assert digests(root) == digests(tmp_path / "again")


def test_another_seed_other_images(smoke_embedded, tmp_path):
    root, _ = smoke_embedded
    generate_embedded(tmp_path / "other", SMOKE, seed=1, workers=2, progress=False)
    a, b = digests(root), digests(tmp_path / "other")
    images = [k for k in a if k.endswith((".jpg", ".png")) and k in b]
    assert images and sum(a[k] != b[k] for k in images) == len(images)


def test_profiles_size_the_sets():
    assert len(plan_jobs(SMOKE, 0).jobs) < 300
    n_default = len(plan_jobs(get_profile("default").synth, 0).jobs)
    assert 2000 <= n_default <= 5000  # "a few thousand images"


def test_ensure_reuses_a_complete_set_rebuilds_a_changed_one_and_refuses_foreign_folders(
        tmp_path, capsys):
    root = tmp_path / "embedded"
    stamp = ensure_embedded(root, SMOKE, seed=0, workers=2, progress=False)
    assert stamp["params"]["seed"] == 0 and "ground_truth.jsonl" in stamp["outputs"]
    made = (root / "ground_truth.jsonl").stat().st_mtime_ns
    capsys.readouterr()
    assert ensure_embedded(root, SMOKE, seed=0) == stamp
    assert (root / "ground_truth.jsonl").stat().st_mtime_ns == made
    assert capsys.readouterr().out == ""
    # an image damaged in place (same size, new bytes): found by its content, regenerated
    image = sorted((root / "ret" / "images").iterdir())[0]
    data = bytearray(image.read_bytes())
    data[-3] ^= 0xFF
    image.write_bytes(bytes(data))
    again = ensure_embedded(root, SMOKE, seed=0, workers=2, progress=False)
    assert f"{image}: content changed" in capsys.readouterr().out
    def made(s):  # what was generated (the timings are not part of it)
        return {k: v["sha256"] for k, v in s["outputs"].items()}
    assert "timings.json" not in stamp["outputs"] and (root / "timings.json").is_file()
    assert made(again) == made(stamp) and again["content"] == stamp["content"]  # deterministic
    # a file of the user's put in the generator's folder: named, nothing deleted, on a new seed
    (root / "ret" / "my_notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match=r"did not write \(ret/my_notes.txt\)"):
        ensure_embedded(root, SMOKE, seed=1, workers=2, progress=False)
    assert (root / "ret" / "my_notes.txt").read_text() == "keep me" and image.is_file()
    (root / "ret" / "my_notes.txt").unlink()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("keep me")
    with pytest.raises(FileExistsError, match="thesis.tex"):
        ensure_embedded(tmp_path / "mine", SMOKE, seed=0)
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "keep me"


@pytest.fixture(scope="module")
def loaded(smoke_embedded):
    root, summary = smoke_embedded
    truth = read_ground_truth(root)
    by_path = {m["path"]: m for m in truth}
    return root, ds.load_embedded(root), truth, by_path


def rel(root, path):
    return os.path.relpath(path, root)


def test_readers_read_every_written_image_without_problems(loaded):
    root, sets, truth, _ = loaded
    expected = Counter(m["subset"] for m in truth)
    for name, result in sets.items():
        assert len(result) == expected[name], name
        kinds = set(result.report.counts()) - {"no_objects"}
        assert not kinds, (name, result.report.problems[:3])


def test_voc_boxes_equal_the_drawn_pixels_exactly(loaded):
    root, sets, _, by_path = loaded
    for r in sets["voc"]:
        m = by_path[rel(root, r.image)]
        assert [(o.label, list(o.box)) for o in r.objects] == [
            (o["label"], o["box"]) for o in m["objects"]
        ]
        assert r.split == m["split"]


def test_dota_polygons_hold_the_drawn_pixels(loaded):
    root, sets, _, by_path = loaded
    for r in sets["dota"]:
        m = by_path[rel(root, r.image)]
        slack = 2 if "duplicate_of" in m else 0  # copies: resized masks move by a pixel or two
        assert [o.label for o in r.objects] == [o["label"] for o in m["objects"]]
        for o, e in zip(r.objects, m["objects"]):
            assert o.polygon == [e["polygon"]] and o.difficult == e["difficult"]
            t = e["box"]
            assert o.box[0] <= t[0] + slack and o.box[1] <= t[1] + slack
            assert o.box[2] >= t[2] - slack and o.box[3] >= t[3] - slack


def test_loveda_masks_round_trip(loaded):
    root, sets, _, by_path = loaded
    for r in sets["loveda"]:
        m = by_path[rel(root, r.image)]
        lm = ds.decode_mask(r.mask, "loveda")
        assert lm.unknown == {}
        values, counts = np.unique(lm.labels, return_counts=True)
        assert dict(zip(map(str, values.tolist()), counts.tolist())) == m["class_pixels"]
        assert r.split == m["split"] and r.extra["domain"] == m["scene"]
        nodata = lm.labels == 0
        assert (ds.load_rgb(r.image)[nodata] == 0).all()  # no-data pixels are black


def test_isaid_masks_round_trip(loaded):
    root, sets, _, by_path = loaded
    for r in sets["isaid"]:
        m = by_path[rel(root, r.image)]
        classes = ds.decode_mask(r.mask, "isaid_color")
        ids = ds.decode_mask(r.extra["instance_mask"], "isaid_id").labels
        assert classes.unknown == {}
        got = []
        for inst in np.unique(ids[ids > 0]):
            where = ids == inst
            values = np.unique(classes.labels[where])
            assert len(values) == 1  # one class per instance
            ys, xs = np.nonzero(where)
            got.append(
                (
                    classes.classes[int(values[0])],
                    int(inst),
                    int(where.sum()),
                    [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())],
                )
            )
        boxes = {o["instance"]: o["box"] for o in m["objects"]}
        expected = [(i["label"], i["id"], i["pixels"]) for i in m["instances"]]
        assert sorted(g[:3] for g in got) == sorted(expected)
        assert sorted(g[3] for g in got) == sorted(boxes.values())


@pytest.mark.parametrize("key, classes, pixels", [("cls", SCENE_CLASSES, 128),
                                                   ("eurosat", list(EUROSAT_CLASSES), 64),
                                                   ("uav", list(UAV_CLASSES), 128)])
def test_scene_sets(loaded, key, classes, pixels):
    root, sets, _, by_path = loaded
    assert {r.label for r in sets[key]} == set(classes)
    for r in sets[key]:
        assert by_path[rel(root, r.image)]["label"] == r.label
        assert r.width == r.height == pixels
    n = Counter(r.label for r in sets[key])
    for label, k in n.items():
        train = sum(r.split == "train" for r in sets[key] if r.label == label)
        assert train == int(0.8 * k + 1e-9)
    # the first 80 % by name are the first 80 % drawn (zero-padded names)
    first = sorted((r for r in sets[key] if r.label == classes[0]), key=lambda r: r.image)
    n_train = sum(r.split == "train" for r in first)
    assert [r.split for r in first] == ["train"] * n_train + ["test"] * (len(first) - n_train)


def test_no_planted_copy_in_or_across_a_scene_set_split(loaded):
    """Issue: copies inside CLS straddled its own 8:2 split; now no copy lands in a scene set,
    and imagehash (the oracle) finds no near-duplicate pair across any scene set's split."""
    root, sets, truth, _ = loaded
    scene_folders = ("cls/", "cls_eurosat/", "cls_uav/")
    assert not [m for m in truth if "duplicate_of" in m and m["path"].startswith(scene_folders)]
    for key in ("cls", "eurosat", "uav"):
        train = [r.image for r in sets[key] if r.split == "train"]
        test = [r.image for r in sets[key] if r.split == "test"]
        a, b = hashes(root, train), hashes(root, test)
        assert not [(x, y) for x in a for y in b if bin(x ^ y).count("1") <= 2], key


def test_scene_sets_vary_within_a_class(loaded):
    """Nuisance variation: images of one class differ in mean colour more than by noise."""
    root, sets, _, by_path = loaded
    for key in ("cls", "eurosat", "uav"):
        river = [r for r in sets[key] if r.label == "River"]  # a class of all three sets
        means = np.array([ds.load_rgb(r.image).reshape(-1, 3).mean(0) for r in river])
        assert means.std(axis=0).max() > 4, key
        rotations = {by_path[rel(root, r.image)]["conditions"]["rotate"] for r in sets[key]}
        assert len(rotations) > 1, key


def test_training_shares_follow_table_one():
    """Table I: RET-3 8 %, DET-10 67 %, SEG-4 25 % of the training images (default profile)."""
    spec = get_profile("default").synth
    plan = plan_jobs(spec, 0)
    ret = len(plan.of("ret", "train"))
    det = len(plan.of("dota")) + len(plan.of("voc"))
    seg = len(plan.of("loveda")) + len(plan.of("isaid"))
    total = ret + det + seg
    assert 0.06 < ret / total < 0.10 and 0.62 < det / total < 0.72 and 0.2 < seg / total < 0.3


def test_count_set(loaded):
    root, sets, _, by_path = loaded
    for r in sets["count"]:
        m = by_path[rel(root, r.image)]
        assert (r.extra["count"], r.extra["category"]) == (m["count"], m["category"])
        assert 1 <= r.extra["count"] <= 10
        # the ground truth keeps one box per counted object, inside the image
        assert len(m["boxes"]) == m["count"]
        assert all(0 <= b[0] <= b[2] < m["width"] and 0 <= b[1] <= b[3] < m["height"]
                   for b in m["boxes"])


def test_count_images_hold_exactly_the_count(smoke_embedded):
    """Independent check of the drawn counts: regenerate a COUNT scene and label its objects."""
    from rsclip_utils.synth.renderers import render_count_scene

    for n in range(1, 11):
        scene = render_count_scene("storage tank", n, np.random.default_rng(n), 128)
        _, components = ndimage.label(scene.inst_mask > 0)
        assert len(scene.things) == n and components == n


def test_ret_captions_are_five_varied_sentences(loaded):
    _, sets, _, _ = loaded
    ret = sets["ret"]
    assert all(len(r.captions) == 5 and len(set(r.captions)) == 5 for r in ret)
    test = [c for r in ret if r.split == "test" for c in r.captions]
    # each test caption has exactly one correct image, as the model sees it: the tokens of
    # open_clip's tokenizer (the model's own, truncation included), not the strings
    tokens = np.asarray(open_clip.get_tokenizer("ViT-B-32")(test))
    assert len(np.unique(tokens, axis=0)) == len(test)
    assert len({model_tokens(c) for c in test}) == len(test)
    captions = [c for r in ret for c in r.captions]
    starts = Counter(" ".join(c.lower().split()[:2]) for c in captions)
    assert len(set(captions)) > 0.8 * len(captions)
    assert len(starts) > 40 and starts.most_common(1)[0][1] < 0.1 * len(captions)
    assert any(c.endswith(" .") for c in captions) and any(c[0].isupper() for c in captions)


def test_choose_ret_captions_compares_captions_by_their_tokens():
    ret = [{"name": "a", "split": "test", "captions": ["A field.", "x one", "x two"]},
           {"name": "b", "split": "test", "captions": ["a field .", "y one", "y two", "y three"]},
           {"name": "c", "split": "test", "captions": ["A field.", "a field ."]}]
    moved = choose_ret_captions(ret, n=2)
    assert ret[0]["captions"] == ["A field.", "x one"]
    assert ret[1]["captions"] == ["y one", "y two"]  # "a field ." is a's first caption
    # both of c's captions are a's first to the model: none is fresh, so c moves to val
    assert ret[2]["split"] == "val" and moved == {"ret_test_images_moved_to_val": 1}


def test_ret_captions_say_what_the_image_holds(smoke_embedded):
    from rsclip_utils.synth.captions import scene_captions
    from rsclip_utils.synth.renderers import render_scene

    scene = render_scene("Port", np.random.default_rng(3), 128)
    n = scene.counts()["ship"]
    text = " ".join(scene_captions(scene, np.random.default_rng(0), 128, n=5)).lower()
    assert "ship" in text or "boat" in text
    words = {1: ["a ", "one "], 2: ["two", "2 ", "a few", "several"]}
    if n in words:
        assert any(w in text for w in words[n])


def hashes(root: Path, paths: list[str]) -> list[int]:
    return [int(str(imagehash.phash(Image.open(root / p))), 16) for p in paths]


def test_planted_duplicates_match_imagehash(loaded):
    root, _, truth, by_path = loaded
    dups = [m for m in truth if "duplicate_of" in m]
    assert len(dups) == SMOKE.planted_duplicates
    assert {d["subset"] for d in dups} >= {"ret", "dota", "voc"}
    assert any(d["duplicate_of"].split("/")[0] != d["path"].split("/")[0] for d in dups)
    assert any(
        by_path[d["duplicate_of"]]["split"] in ("val", "test")
        and d["split"] in ("train", "trainval")
        for d in dups
    )  # evaluation -> training
    for d in dups:
        a, b = hashes(root, [d["duplicate_of"], d["path"]])
        distance = bin(a ^ b).count("1")
        assert distance == d["phash_distance"]
        if d["strength"] == "mild":
            assert distance <= 1  # the paper: a duplicate is "less than the threshold of 2"
    rows = (root / "duplicates.tsv").read_text().splitlines()
    assert len(rows) == 1 + len(dups)


def test_no_unplanted_near_duplicates(loaded):
    root, _, truth, _ = loaded
    paths = [m["path"] for m in truth]
    hs = hashes(root, paths)
    assert [f"{h:016x}" for h in hs] == [m["phash"] for m in truth]
    planted = {frozenset((m["duplicate_of"], m["path"])) for m in truth if "duplicate_of" in m}
    found = {frozenset((paths[i], paths[j])) for i, j in brute_force_pairs(hs, 1).tolist()}
    mild = {frozenset((m["duplicate_of"], m["path"])) for m in truth if m.get("strength") == "mild"}
    assert mild <= found <= planted


def test_the_generators_pair_search_equals_python_brute_force_with_repeated_hashes():
    rng = np.random.default_rng(0)
    hs = [int(v) for v in rng.integers(0, 2**63, 300, dtype=np.int64)]
    hs += [hs[5] ^ 1, hs[7] ^ 6, hs[9]]
    brute = sorted(
        (i, j, bin(hs[i] ^ hs[j]).count("1"))
        for i in range(len(hs))
        for j in range(i + 1, len(hs))
        if bin(hs[i] ^ hs[j]).count("1") <= 2
    )
    found = [(i, j, hamming(hs[i], hs[j])) for i, j in brute_force_pairs(hs, 2).tolist()]
    assert found == brute and len(brute) >= 3
