"""Decode-once shards (rsclip_utils.shards): read back by webdataset itself (the oracle), the
same bytes from the same inputs with any number of processes, resumed after a crash, bad images
skipped and listed; the loop's ShardDataset over them."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import open_clip
import pytest
import webdataset as wds
from PIL import Image

from rsclip_utils.manifest import read_manifest, write_manifest_rows
from rsclip_utils.shards import (
    ShardSpec,
    distinct_images,
    read_index,
    scan_shard,
    shard_urls,
    shards_of_rank,
    write_shards,
)
from rsclip_utils.train_data import ShardDataset


@pytest.fixture(scope="module")
def images_manifest(tmp_path_factory):
    """A manifest of 7 images (two large, one 16-bit, one damaged), 1 to 3 captions each."""
    tmp = tmp_path_factory.mktemp("shard_inputs")
    rng = np.random.default_rng(0)
    rows = []
    sizes = [(1500, 1200), (640, 1080), (200, 150), (256, 256), (300, 900), (90, 90)]
    for k, (w, h) in enumerate(sizes):
        path = tmp / f"im{k}.{'png' if k % 2 else 'jpg'}"
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
        rows += [(str(path), f"caption {j} of image {k}", "dota", f"im{k}", "train")
                 for j in range(1 + k % 3)]
    deep = tmp / "deep.png"
    Image.fromarray((rng.integers(0, 4000, (64, 64))).astype(np.uint16)).save(deep)
    rows.append((str(deep), "a 16-bit tile", "isaid", "deep", "train"))
    bad = tmp / "cut.jpg"
    bad.write_bytes((tmp / "im0.jpg").read_bytes()[:3000])
    rows.append((str(bad), "a file cut short", "dota", "cut", "train"))
    manifest = tmp / "manifest.tsv"
    write_manifest_rows(manifest, rows)
    return manifest


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_shards_read_back_by_webdataset(images_manifest, tmp_path):
    spec = ShardSpec(shorter_side=256, samples_per_shard=3)
    report = write_shards(images_manifest, tmp_path, spec, workers=1, progress=False)
    images = distinct_images(images_manifest)
    assert report["images"] == 8 and report["samples"] == 7 and len(report["shards"]) == 3
    assert [s["filepath"].endswith("cut.jpg") for s in report["skipped"]] == [True]
    assert "cannot decode" in report["skipped"][0]["reason"]
    assert json.loads((tmp_path / "sizes.json").read_text()) == {
        "shard-00000.tar": 3, "shard-00001.tar": 3, "shard-00002.tar": 1}
    seen = {}
    for sample in wds.WebDataset(shard_urls(tmp_path), shardshuffle=False).decode("pil"):
        seen[sample["__key__"]] = sample
    assert sorted(seen) == [f"{k:08d}" for k in range(7)]  # the damaged 8th is not there
    for k, entry in enumerate(images[:7]):
        s = seen[f"{k:08d}"]
        assert s["json"]["captions"] == entry["captions"] and s["txt"] in entry["captions"]
        original = Image.open(entry["filepath"]).size
        assert min(s["jpg"].size) == min(256, min(original))
        assert abs(s["jpg"].size[0] / s["jpg"].size[1] - original[0] / original[1]) < 0.01
    assert np.asarray(seen["00000006"]["jpg"]).std() > 20  # the 16-bit tile, stretched


def test_same_inputs_same_bytes_with_any_workers_and_after_a_crash(images_manifest, tmp_path):
    spec = ShardSpec(samples_per_shard=2)
    a = write_shards(images_manifest, tmp_path / "a", spec, workers=1, progress=False)
    b = write_shards(images_manifest, tmp_path / "b", spec, workers=2, progress=False)
    assert [s["sha256"] for s in a["shards"]] == [s["sha256"] for s in b["shards"]]
    assert [sha(tmp_path / "a" / s["name"]) for s in a["shards"]] == [
        s["sha256"] for s in a["shards"]]
    # a crash: one shard half-written, one whose record was written but not the shard (the
    # record comes first), one damaged after
    (tmp_path / "a" / "shard-00001.tar").rename(tmp_path / "a" / "shard-00001.tar.partial")
    (tmp_path / "a" / "shard-00002.tar").rename(tmp_path / "a" / ".shard-00002.tar.host.1.tmp")
    with open(tmp_path / "a" / "shard-00003.tar", "ab") as f:
        f.write(b"junk")
    again = write_shards(images_manifest, tmp_path / "a", spec, workers=1, progress=False)
    assert again["reused_shards"] == 1 and again["shards"] == a["shards"]
    assert not list((tmp_path / "a").glob("*.partial"))
    # another spec remakes every shard
    other = write_shards(images_manifest, tmp_path / "a", ShardSpec(samples_per_shard=2,
                         shorter_side=128), workers=1, progress=False)
    assert other["reused_shards"] == 0 and other["shards"] != a["shards"]


def test_bad_specs_are_refused():
    for bad in (ShardSpec(shorter_side=8), ShardSpec(image_format="gif"),
                ShardSpec(quality=0), ShardSpec(samples_per_shard=0)):
        with pytest.raises(ValueError):
            bad.check()


def test_each_process_reads_its_own_shards_and_every_image_once(images_manifest, tmp_path):
    write_shards(images_manifest, tmp_path, ShardSpec(samples_per_shard=2), workers=1,
                 progress=False)
    assert shards_of_rank(tmp_path, 0, 2) == ["shard-00000.tar", "shard-00002.tar"]
    with pytest.raises(ValueError, match="4 shards for 5 processes"):
        shards_of_rank(tmp_path, 0, 5)
    tokenizer = open_clip.get_tokenizer("RN50")
    mean, std = (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)
    parts = [ShardDataset(tmp_path, 32, mean, std, tokenizer, seed=3, rank=r, world=2)
             for r in (0, 1)]
    keys = [{p.samples[i][1]["key"] for i in range(len(p))} for p in parts]
    assert not keys[0] & keys[1] and len(keys[0] | keys[1]) == 7
    assert parts[0].steps_per_epoch(1, 2) == parts[1].steps_per_epoch(1, 2) == 3
    batches = parts[0].local_batches(0, 1, 0, 2)
    assert len(batches) == 3 and len({b[0] for b in batches}) == 3
    assert parts[0].local_batches(1, 1, 0, 2) != batches or len(parts[0]) == 1
    x, tokens, i = parts[0][0]
    assert x.shape == (3, 32, 32) and tokens.shape == (77,)
    # the offsets from the tar headers give the bytes webdataset reads
    for entry in scan_shard(tmp_path / "shard-00000.tar"):
        image = parts[0].image([e["key"] for _, e in parts[0].samples].index(entry["key"]))
        assert min(image.size) <= 256
    # captions: one of the image's, the same for the same (seed, epoch, key)
    d = parts[0]
    for epoch in range(3):
        d.epoch = epoch
        for i in range(len(d)):
            assert d.caption(i) in d.samples[i][1]["meta"]["captions"]
    d.epoch = 1
    first = [d.caption(i) for i in range(len(d))]
    assert first == [d.caption(i) for i in range(len(d))]


def test_a_damaged_shard_is_named_before_training(images_manifest, tmp_path):
    write_shards(images_manifest, tmp_path, ShardSpec(samples_per_shard=4), workers=1,
                 progress=False)
    d = ShardDataset(tmp_path, 32, (0, 0, 0), (1, 1, 1), open_clip.get_tokenizer("RN50"))
    d.check_images()
    data = (tmp_path / "shard-00001.tar").read_bytes()
    (tmp_path / "shard-00001.tar").write_bytes(data[:100] + b"x" + data[101:])
    with pytest.raises(ValueError, match="shard-00001.tar"):
        d.check_images()
    assert read_index(tmp_path)["images"] == 8
    with pytest.raises(FileNotFoundError, match="not a folder written by"):
        read_index(images_manifest.parent)
    assert len(read_manifest(images_manifest)) == 14


def test_the_command_writes_resumes_and_names_what_it_skipped(images_manifest, tmp_path, capsys):
    from rsclip_utils.shards import main

    assert main(["--manifest", str(images_manifest), "--out", str(tmp_path), "--quiet",
                 "--samples-per-shard", "4", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "8 images -> 7 samples in 2 shards" in out and "skipped " in out and "cut.jpg" in out
    assert "--train-data '" + str(tmp_path) + "/shard-{00000..00001}.tar'" in out
    assert main(["--manifest", str(images_manifest), "--out", str(tmp_path), "--quiet",
                 "--samples-per-shard", "4", "--workers", "1"]) == 0
    assert "2 reused" in capsys.readouterr().out
    assert main(["--manifest", str(tmp_path / "none.tsv"), "--out", str(tmp_path / "x"),
                 "--quiet"]) == 2
    assert "none.tsv" in capsys.readouterr().err
    assert main(["--manifest", str(images_manifest), "--out", str(tmp_path / "y"), "--quiet",
                 "--shorter-side", "4"]) == 2
    assert "shorter_side 4" in capsys.readouterr().err


def test_what_a_checkpoint_records_is_the_content_not_how_it_was_written(images_manifest,
                                                                          tmp_path):
    import pickle

    from rsclip_utils.shards import content_digest

    spec = ShardSpec(samples_per_shard=3)
    write_shards(images_manifest, tmp_path / "a", spec, workers=1, progress=False)
    first = content_digest(tmp_path / "a")
    (tmp_path / "a" / "shard-00001.tar").unlink()
    again = write_shards(images_manifest, tmp_path / "a", spec, workers=1, progress=False)
    assert again["reused_shards"] == 2 and content_digest(tmp_path / "a") == first
    write_shards(images_manifest, tmp_path / "b", ShardSpec(samples_per_shard=3, quality=80),
                 workers=1, progress=False)
    assert content_digest(tmp_path / "b") != first
    # a dataset that has read samples still goes to spawned workers (no open files in it)
    d = ShardDataset(tmp_path / "a", 32, (0, 0, 0), (1, 1, 1), open_clip.get_tokenizer("RN50"))
    x = d[0][0]
    copy = pickle.loads(pickle.dumps(d))
    assert (copy[0][0] == x).all()


def test_an_image_replaced_at_the_same_path_is_not_served_from_a_reused_shard(tmp_path):
    rng = np.random.default_rng(1)
    paths = []
    for k in range(4):
        paths.append(tmp_path / f"im{k}.png")
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(paths[-1])
    manifest = tmp_path / "m.tsv"
    write_manifest_rows(manifest, [(str(p), f"image {k}", "dota", str(k), "train")
                                   for k, p in enumerate(paths)])
    spec = ShardSpec(samples_per_shard=2, image_format="png")
    first = write_shards(manifest, tmp_path / "s", spec, workers=1, progress=False)
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(paths[3])  # same path, new pixels
    again = write_shards(manifest, tmp_path / "s", spec, workers=1, progress=False)
    assert again["reused_shards"] == 1
    assert again["shards"][0] == first["shards"][0] and again["shards"][1] != first["shards"][1]
    served = {s["key"]: s for s in scan_shard(tmp_path / "s" / "shard-00001.tar")}
    with open(tmp_path / "s" / "shard-00001.tar", "rb") as f:
        offset, size = served["00000003"]["image"]
        f.seek(offset)
        import io
        assert np.asarray(Image.open(io.BytesIO(f.read(size)))).max() == 0


def test_a_damaged_shard_of_the_same_size_is_rewritten(images_manifest, tmp_path):
    spec = ShardSpec(samples_per_shard=4)
    first = write_shards(images_manifest, tmp_path, spec, workers=1, progress=False)
    shard = tmp_path / "shard-00001.tar"
    data = bytearray(shard.read_bytes())
    data[700] ^= 0xFF  # same size, one byte flipped
    shard.write_bytes(bytes(data))
    again = write_shards(images_manifest, tmp_path, spec, workers=1, progress=False)
    assert again["reused_shards"] == 1 and again["shards"] == first["shards"]
    assert sha(shard) == first["shards"][1]["sha256"]


def test_an_out_folder_of_other_files_is_refused_listing_them(images_manifest, tmp_path, capsys):
    from rsclip_utils.shards import main

    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "shard-00000.tar").write_bytes(b"another tool's tar")
    (theirs / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="notes.txt.*shard-00000.tar"):
        write_shards(images_manifest, theirs, ShardSpec(), workers=1, progress=False)
    assert main(["--manifest", str(images_manifest), "--out", str(theirs), "--quiet"]) == 2
    assert "shard-00000.tar" in capsys.readouterr().err
    assert (theirs / "shard-00000.tar").read_bytes() == b"another tool's tar"
    assert sorted(p.name for p in theirs.iterdir()) == ["notes.txt", "shard-00000.tar"]


def test_a_tar_dropped_among_our_shards_is_named_not_deleted(images_manifest, tmp_path):
    """Every shard's record is written before the shard takes its name, so a shard-named tar
    without one is another tool's, even in a folder of ours, beyond the shards it needs or not."""
    out = tmp_path / "shards"
    write_shards(images_manifest, out, ShardSpec(samples_per_shard=2), workers=1, progress=False)
    assert all((out / (p.name + ".json")).is_file() for p in out.glob("shard-*.tar"))
    (out / "shard-00099.tar").write_bytes(b"another tool's tar")
    with pytest.raises(FileExistsError, match=r"did not write \(shard-00099.tar\)"):
        write_shards(images_manifest, out, ShardSpec(samples_per_shard=2), workers=1,
                     progress=False)
    assert (out / "shard-00099.tar").read_bytes() == b"another tool's tar"
