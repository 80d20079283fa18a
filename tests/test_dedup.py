"""p-Hash de-duplication against its oracles: imagehash for the hash, brute force for the segment
index, connected components of the brute-force graph for the groups, the embedded set's planted
duplicates for the whole clean-up."""

import csv
import io
from pathlib import Path

import imagehash
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import write_manifest
from rsclip_utils.dedup import (
    brute_force_pairs,
    cross_pairs,
    dedup_manifest,
    duplicate_groups,
    find_duplicate_pairs,
    hamming,
    phash,
    phash_files,
    segment_dictionaries,
)
from rsclip_utils.images import to_uint8
from rsclip_utils.synth import read_ground_truth


def reference(image) -> int:
    return int(str(imagehash.phash(image)), 16)


def test_phash_equals_imagehash_on_every_real_image(realdata):
    paths = sorted(p for p in realdata.rglob("*") if p.suffix.lower() in ds.IMAGE_EXTENSIONS)
    expected = [reference(Image.open(p)) for p in paths]
    assert [phash(p) for p in paths] == expected
    result = phash_files(paths, workers=2, chunk=16, progress=False)
    assert result.ok.all() and result.hashes.tolist() == expected


def edge_case_images():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    yield "rgb", Image.fromarray(rgb)
    yield "rgba", Image.fromarray(np.dstack([rgb, rng.integers(0, 256, (40, 50), dtype=np.uint8)]))
    yield "palette", Image.fromarray(rgb).convert("P")
    yield "grey", Image.fromarray(rgb[..., 0])
    yield "16-bit", Image.fromarray(rng.integers(0, 65535, (33, 31), dtype=np.uint16))
    for v in (0, 1, 127, 255):
        yield f"constant {v}", Image.new("L", (32, 32), v)
    flat = np.full((64, 64), 100, np.uint8)
    flat[10, 10] = 101
    yield "near-flat", Image.fromarray(flat)
    yield "one column", Image.fromarray(np.tile(np.arange(64, dtype=np.uint8), (64, 1)))
    yield "tiny", Image.fromarray(rgb[:2, :3])


@pytest.mark.parametrize("name, image", list(edge_case_images()), ids=lambda x: str(x)[:20])
def test_phash_equals_imagehash_on_edge_cases(name, image, tmp_path):
    # 16-bit images are stretched to 8 bits first (rsclip_utils.images), where imagehash's
    # convert("L") saturates them: the oracle is imagehash on the stretched image
    oracle = image if image.mode != "I;16" else Image.fromarray(to_uint8(np.asarray(image)))
    assert phash(image) == reference(oracle), name
    path = tmp_path / ("x.tif" if image.mode == "I;16" else "x.png")
    image.save(path)
    assert phash_files([path], workers=1, progress=False).hashes[0] == reference(oracle)


def test_16_bit_tiff(tmp_path):
    arr = (np.random.default_rng(1).random((48, 48)) * 65535).astype(np.uint16)
    Image.fromarray(arr).save(tmp_path / "a.tif")
    assert phash(tmp_path / "a.tif") == reference(Image.fromarray(to_uint8(arr)))


def test_unreadable_files_are_listed_not_fatal(tmp_path):
    Image.new("RGB", (16, 16), (10, 20, 30)).save(tmp_path / "good.png")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 truncated")
    res = phash_files([tmp_path / "good.png", tmp_path / "bad.jpg", tmp_path / "gone.png"],
                      workers=1, progress=False)
    assert res.ok.tolist() == [True, False, False]
    assert [p.split("/")[-1] for p, _ in res.errors] == ["bad.jpg", "gone.png"]


@st.composite
def hash_sets(draw):
    n = draw(st.integers(2, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    planted = []
    for distance in range(1, 4):  # copies at distance 1, 2 and 3 of random hashes
        for i in rng.integers(0, n, draw(st.integers(0, 10))):
            bits = rng.choice(64, distance, replace=False).astype(np.uint64)
            planted.append(base[i] ^ np.bitwise_or.reduce(np.uint64(1) << bits))
    return np.unique(np.r_[base, np.array(planted, np.uint64)])


@given(hash_sets(), st.sampled_from([(2, 1), (4, 1), (4, 2), (4, 3), (8, 3), (4, 0), (1, 0)]))
@settings(max_examples=150)
def test_pairs_equal_brute_force(hashes, params):
    segments, d = params
    expected = brute_force_pairs(hashes, d)
    assert np.array_equal(find_duplicate_pairs(hashes, d, segments), expected)
    assert np.array_equal(find_duplicate_pairs(hashes, d, segments, merge=False), expected)


def test_refuses_settings_without_the_pigeonhole_guarantee_and_repeated_values():
    h = np.array([1, 2, 3], np.uint64)
    with pytest.raises(ValueError, match="pigeonhole"):
        find_duplicate_pairs(h, max_distance=2, segments=2)
    with pytest.raises(ValueError, match="divide 64"):
        find_duplicate_pairs(h, max_distance=1, segments=3)
    with pytest.raises(ValueError, match="distinct"):
        find_duplicate_pairs(np.array([5, 5, 7], np.uint64))


def graph_components(hashes, d):
    """Oracle: connected components of the brute-force graph over all hashes."""
    n = len(hashes)
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)
             if bin(int(hashes[i]) ^ int(hashes[j])).count("1") <= d]
    rows, cols = zip(*pairs) if pairs else ((), ())
    g = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n, n))
    return connected_components(g, directed=False)[1]


def same_partition(a, b) -> bool:
    pairs = {(x, y) for x, y in zip(a, b)}
    return len(pairs) == len(set(a)) == len(set(b))


@given(st.integers(0, 2**32 - 1), st.sampled_from([(4, 1), (2, 1), (4, 3), (8, 2)]))
@settings(max_examples=60)
def test_groups_equal_components_of_the_brute_force_graph(seed, params):
    segments, d = params
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, 60, dtype=np.uint64)
    chain = [base[0] ^ np.uint64(1 << k) for k in range(3)]  # a chain of near-duplicates
    flat = np.full(int(rng.integers(1, 200)), base[1])       # a large group of identical hashes
    hashes = rng.permutation(np.r_[base, np.array(chain, np.uint64), flat, flat ^ np.uint64(4)])
    groups = duplicate_groups(hashes, d, segments)
    assert same_partition(groups, graph_components(hashes, d))
    firsts = [int(np.flatnonzero(groups == g)[0]) for g in range(groups.max() + 1)]
    assert firsts == sorted(firsts)  # numbered in order of first appearance


def test_a_hundred_thousand_identical_hashes_cost_one():
    others = np.random.default_rng(3).integers(0, 2**63, 1000, dtype=np.uint64)
    assert brute_force_pairs(np.r_[np.uint64(7), others], 1).size == 0  # well apart
    h = np.r_[np.full(100_000, 7, np.uint64), others]
    groups = duplicate_groups(h)
    assert (groups[:100_000] == 0).all() and len(np.unique(groups)) == 1001


def test_segment_dictionaries_small_example():
    h = np.array([0xAAAA_BBBB_CCCC_DDDD, 0xAAAA_0000_CCCC_0000, 0x1111_BBBB_2222_DDDD], np.uint64)
    dicts = segment_dictionaries(h, 4)
    assert dicts[0] == {0xAAAA: [0, 1], 0x1111: [2]}
    assert dicts[1] == {0xBBBB: [0, 2], 0x0000: [1]}
    assert hamming(h[0], h[1]) == bin(0xBBBB).count("1") + bin(0xDDDD).count("1")


@pytest.fixture(scope="module")
def dedup_run(smoke_embedded, tmp_path_factory):
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    out = tmp_path_factory.mktemp("dedup")
    records = list(sets["ret"]) + list(sets["dota"]) + list(sets["voc"])
    write_manifest(records, out / "manifest.tsv", progress=False)
    evaluation = {"ret val/test": [r.image for r in sets["ret"] if r.split != "train"],
                  "cls": [r.image for r in sets["cls"]], "count": [r.image for r in sets["count"]]}
    splits = {k: {s: [r.image for r in sets[k] if r.split == s] for s in ("train", "test")}
              for k in ("cls", "eurosat", "uav")}
    report = dedup_manifest(out / "manifest.tsv", evaluation, out, workers=2, progress=False,
                            splits=splits)
    return root, sets, out, report, evaluation


def test_planted_duplicates_are_found_at_the_default_threshold(smoke_embedded):
    root, _ = smoke_embedded
    truth = read_ground_truth(root)
    paths = [m["path"] for m in truth]
    hashes = phash_files([root / p for p in paths], workers=1, progress=False).hashes
    groups = duplicate_groups(hashes)
    group_of = dict(zip(paths, groups.tolist()))
    mild = [m for m in truth if m.get("strength") == "mild"]
    assert mild and all(group_of[m["path"]] == group_of[m["duplicate_of"]] for m in mild)


def test_dedup_removes_from_training_never_from_evaluation(dedup_run):
    root, sets, out, report, evaluation = dedup_run
    truth = {m["path"]: m for m in read_ground_truth(root)}
    with (out / "manifest.tsv").open() as f:
        before = list(csv.DictReader(f, delimiter="\t"))
    with (out / "manifest_dedup.tsv").open() as f:
        after = list(csv.DictReader(f, delimiter="\t"))
    removed = {p["removed"] for p in report.pairs}
    assert {r["filepath"] for r in after} == {r["filepath"] for r in before} - removed
    eval_paths = {str(p) for paths in evaluation.values() for p in paths}
    assert not removed & eval_paths
    # every mild planted copy of an evaluation image into training is gone
    for rel, m in truth.items():
        src = m.get("duplicate_of")
        if m.get("strength") != "mild" or src is None:
            continue
        copy, original = str(root / rel), str(root / src)
        in_training = {r["filepath"] for r in before}
        if original in eval_paths and copy in in_training:
            assert copy in removed
        if copy in in_training and original in in_training:
            assert (copy in removed) != (original in removed)  # exactly one of the two is kept
    sources = report.to_dict()["sources"]
    assert sum(s["rows"] for s in sources.values()) == len(before)
    assert all(s["images"] == s["kept_images"] + sum(s["removed"].values())
               for s in sources.values())
    json_report = (out / "dedup_report.json").read_text()
    assert "contamination" in json_report


def test_dedup_report_counts_evaluation_hits(dedup_run):
    _, _, _, report, evaluation = dedup_run
    ev = report.to_dict()["evaluation"]
    assert set(evaluation) <= set(ev)
    assert sum(ev[k]["with_copies_in_training"] for k in evaluation) >= 1


def test_manifest_dedup_is_readable_like_the_manifest(dedup_run):
    _, _, out, _, _ = dedup_run
    text = (out / "manifest_dedup.tsv").read_text()
    header = next(csv.reader(io.StringIO(text), delimiter="\t"))
    assert header == ["filepath", "title", "source", "image_id", "split"]


def test_the_embedded_scene_sets_have_no_copy_across_their_split(dedup_run):
    report = dedup_run[3].to_dict()["evaluation_splits"]
    assert set(report) == {"cls", "eurosat", "uav"}
    assert all(v["pairs_across_split"] == 0 and v["train"] > v["test"] > 0
               for v in report.values())


def test_the_split_audit_finds_a_copy_across_a_split(smoke_embedded, tmp_path):
    """A scene set with a test image copied into its train part: exactly that pair."""
    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    train = [r.image for r in sets["cls"] if r.split == "train"][:10]
    test = [r.image for r in sets["cls"] if r.split == "test"][:5]
    (tmp_path / "copy.jpg").write_bytes(open(test[0], "rb").read())
    (tmp_path / "manifest.tsv").write_text("filepath\ttitle\tsource\timage_id\tsplit\n"
                                           f"{train[0]}\ta caption\ts\tx\ttrain\n")
    report = dedup_manifest(tmp_path / "manifest.tsv", {}, tmp_path, workers=1, progress=False,
                            splits={"scenes": {"train": train + [str(tmp_path / "copy.jpg")],
                                               "test": test}})
    audit = report.evaluation_splits["scenes"]
    assert audit["pairs_across_split"] == 1
    assert audit["examples"] == [{"train": str(tmp_path / "copy.jpg"), "test": test[0]}]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.integers(0, 3))
def test_cross_pairs_equals_brute_force(seed, d):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, 40, dtype=np.int64).astype(np.uint64)
    flips = np.uint64(1) << rng.integers(0, 64, 40).astype(np.uint64)
    a = base[:25]
    b = np.concatenate([base[20:], a[:5] ^ flips[:5], a[5:8]])  # near and identical copies
    expected = sorted((i, j) for i in range(len(a)) for j in range(len(b))
                      if bin(int(a[i]) ^ int(b[j])).count("1") <= d)
    got = cross_pairs(a, b, max_distance=d, segments=4 if d < 4 else 8).tolist()
    assert got == [list(p) for p in expected]


# --- the audit beyond the paper: flips, rotations, crops, a wider distance -------------------

@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=30),
       st.lists(st.integers(0, 2**64 - 1), min_size=1, max_size=30), st.integers(0, 20))
def test_within_equals_brute_force_at_any_distance(a, b, d):
    from rsclip_utils.dedup import within

    expected = [[i, j] for i in range(len(a)) for j in range(len(b))
                if bin(a[i] ^ b[j]).count("1") <= d]
    assert within(np.array(a, np.uint64), np.array(b, np.uint64), d, block=7).tolist() == expected


def _scene(seed, size=(96, 80)):
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 255, (7, 6, 3), dtype=np.uint8)).resize(
        size, Image.Resampling.BICUBIC)


def test_every_flip_and_rotation_of_an_image_is_among_its_audit_hashes():
    from rsclip_utils.copies import COPY_KINDS
    from rsclip_utils.dedup import audit_grays, hashes_from_gray

    image = _scene(3)
    variants = hashes_from_gray(audit_grays(image))
    assert variants.shape == (16,)
    for kind in ("flipped left-right", "flipped top-bottom", "rotated 90 degrees",
                 "rotated 180 degrees", "rotated 270 degrees", "cropped 2 %"):
        h = phash(COPY_KINDS[kind](image))
        assert np.bitwise_count(variants ^ np.uint64(h)).min() <= 2, kind


def test_the_audit_removes_flipped_and_rotated_copies_of_evaluation_images(tmp_path):
    from rsclip_utils.copies import COPY_KINDS
    from rsclip_utils.manifest import ManifestRow, read_manifest, write_manifest_rows

    evaluation = []
    for k in range(3):
        path = tmp_path / f"eval{k}.png"
        _scene(10 + k).save(path)
        evaluation.append(str(path))
    rows = []
    for k, kind in enumerate(("flipped left-right", "rotated 90 degrees", "cropped 2 %")):
        copy = tmp_path / f"copy{k}.png"
        COPY_KINDS[kind](Image.open(evaluation[k]).convert("RGB")).save(copy)
        rows.append(ManifestRow(str(copy), "a copy .", "copies", f"c{k}", "train"))
    unrelated = tmp_path / "other.png"
    _scene(99).save(unrelated)
    rows.append(ManifestRow(str(unrelated), "another .", "others", "o", "train"))
    write_manifest_rows(tmp_path / "m.tsv", rows)
    before = [open(p, "rb").read() for p in evaluation]
    off = dedup_manifest(tmp_path / "m.tsv", {"test": evaluation}, tmp_path / "off",
                         workers=1, progress=False, audit_distance=None)
    assert off.evaluation["test"]["with_copies_in_training"] == 0  # the paper's rule: none
    on = dedup_manifest(tmp_path / "m.tsv", {"test": evaluation}, tmp_path / "on",
                        workers=1, progress=False)
    kept = [r.filepath for r in read_manifest(tmp_path / "on" / "manifest_dedup.tsv")]
    assert kept == [str(unrelated)]
    assert on.evaluation["test"]["with_copies_in_training"] == 3
    assert all(p["reason"].startswith("contamination: copy") and p["distance"] <= 2
               for p in on.pairs)
    assert [open(p, "rb").read() for p in evaluation] == before  # evaluation never touched


def test_the_audit_on_real_images_finds_every_kind_of_copy_and_no_unrelated_image(realdata,
                                                                                  tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_audit", Path(__file__).resolve().parents[1] / "benchmarks" / "bench_audit.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    evaluation, others = bench.real_images(realdata)
    result = bench.measure(evaluation[::3], others, tmp_path)  # a third of them: test time
    kinds = result["kinds"]
    for kind, n in kinds.items():
        if kind != "unrelated":
            assert result["audit"][kind] / n >= 0.99, (kind, result["audit"][kind], n)
    assert result["audit"]["unrelated"] == 0 and result["untouched"]
    assert result["paper"]["flipped left-right"] == 0  # what the paper's rule alone misses
