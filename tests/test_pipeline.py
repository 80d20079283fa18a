"""The stage chain (rsclip_utils.pipeline) on embedded smoke data: each output is built once,
stamped, reused while its stamp matches and it holds what was written, rebuilt (saying why) when
a parameter or an input changed, refused when it carries no stamp or was edited by hand; a run
folder moved elsewhere is reused where it now is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rsclip_utils.manifest import read_manifest
from rsclip_utils.pipeline import Run, StaleOutputError
from rsclip_utils.records import read_jsonl
from rsclip_utils.stamps import read_stamp, stamp_path


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("pipeline") / "run"


def test_changing_b2cs_centre_rebuilds_the_manifest_dedup_and_checkpoint(run_dir, capsys):
    run = Run(run_dir, "smoke", 0, progress=False)
    checkpoint = run.checkpoint(steps=2)  # every stage from nothing, each saying so
    built = capsys.readouterr().out
    for stage in ("embedded.json", "m2b_records.jsonl", "manifest.tsv", "manifest_dedup.tsv",
                  "train/latest.pt"):
        assert f"building {run_dir}" in built and stage in built
    chain = {p: read_stamp(p) for p in (run.m2b_path(), run.manifest_path(), run.dedup_path(),
                                        checkpoint)}
    assert chain[run.manifest_path()]["inputs"]["m2b"] == chain[run.m2b_path()]["content"]
    assert chain[run.dedup_path()]["inputs"]["manifest"] == chain[run.manifest_path()]["content"]
    assert chain[checkpoint]["inputs"]["manifest_dedup"] == chain[run.dedup_path()]["content"]
    assert chain[checkpoint]["params"]["steps"] == 2
    trained = checkpoint.stat().st_mtime_ns

    # the same request from a fresh kernel: everything reused, nothing printed
    again = Run(run_dir, "smoke", 0, progress=False)
    assert again.checkpoint() == checkpoint and checkpoint.stat().st_mtime_ns == trained
    assert capsys.readouterr().out == ""

    # notebook 03 re-run with another CENTRE, then notebook 06 asks for the checkpoint
    before = [r.title for r in read_manifest(run.manifest_path())]
    Run(run_dir, "smoke", 0, progress=False).manifest(centre=(0.3, 0.7))
    later = Run(run_dir, "smoke", 0, progress=False)
    assert later.checkpoint() == checkpoint
    said = capsys.readouterr().out
    assert "parameter centre: [0.25, 0.75] -> [0.3, 0.7]" in said
    assert f"rebuilding {run.dedup_path()}" in said and "input manifest changed" in said
    assert f"rebuilding {checkpoint}" in said and "input manifest_dedup changed" in said
    assert [r.title for r in read_manifest(run.manifest_path())] != before
    new = {p: read_stamp(p) for p in chain}
    assert new[run.m2b_path()] == chain[run.m2b_path()]  # upstream of the change: kept
    assert new[run.dedup_path()]["inputs"]["manifest"] == new[run.manifest_path()]["content"]
    assert new[checkpoint]["inputs"]["manifest_dedup"] == new[run.dedup_path()]["content"]
    assert new[checkpoint]["params"]["steps"] == 2  # 05's STEPS as it was run
    assert new[run.manifest_path()]["params"]["centre"] == [0.3, 0.7]
    assert checkpoint.stat().st_mtime_ns != trained


def test_a_parameter_not_passed_keeps_the_value_its_notebook_used(run_dir, capsys):
    Run(run_dir, "smoke", 0, progress=False).manifest_dedup(max_distance=2)
    assert "parameter max_distance: 1 -> 2" in capsys.readouterr().out
    run = Run(run_dir, "smoke", 0, progress=False)
    run.manifest_dedup()  # 05 alone: 04's MAX_DISTANCE is kept, not reset to the default
    assert read_stamp(run.dedup_path())["params"]["max_distance"] == 2
    assert capsys.readouterr().out == ""
    assert run.manifest(centre=[0.3, 0.7]) and capsys.readouterr().out == ""


def test_another_seed_in_the_same_folder_rebuilds_naming_the_seed(run_dir, capsys):
    other = run_dir.parent / "seed1"
    run = Run(other, "smoke", 0, progress=False)
    run.m2b()
    capsys.readouterr()
    Run(other, "smoke", 1, progress=False).m2b()
    said = capsys.readouterr().out
    assert "seed: 0 -> 1" in said and f"rebuilding {other / 'm2b'}" in said


def test_an_output_without_a_stamp_is_refused_naming_it(run_dir):
    run = Run(run_dir, "smoke", 0, progress=False)
    stamp_path(run.manifest_path()).unlink()  # as if written by hand
    with pytest.raises(StaleOutputError, match=r"manifest\.tsv exists without a valid stamp"):
        run.checkpoint()
    run.manifest_path().unlink()
    run.manifest(centre=[0.3, 0.7])  # removed as the message says: built again
    assert read_stamp(run.manifest_path())["params"]["centre"] == [0.3, 0.7]


def test_a_manifest_edited_by_hand_is_refused_and_nothing_downstream_uses_it(run_dir, capsys):
    run = Run(run_dir, "smoke", 0, progress=False)
    run.manifest_dedup()
    rows = run.manifest_path().read_text().splitlines(keepends=True)
    run.manifest_path().write_text("".join(rows[:-3]))  # three captions removed by hand
    capsys.readouterr()
    with pytest.raises(StaleOutputError, match=r"manifest\.tsv changed after notebook 03"):
        Run(run_dir, "smoke", 0, progress=False).manifest_dedup()
    assert run.manifest_path().read_text() == "".join(rows[:-3])  # kept, named
    run.manifest_path().write_text("".join(rows))  # put back as written: reused as it was
    assert Run(run_dir, "smoke", 0, progress=False).manifest_dedup() == run.dedup_path()
    assert "rebuilding" not in capsys.readouterr().out


def test_a_run_folder_moved_elsewhere_is_reused_there(run_dir, tmp_path, capsys):
    import shutil

    run = Run(run_dir, "smoke", 0, progress=False)
    run.checkpoint(steps=2)
    moved = tmp_path / "moved"
    shutil.copytree(run_dir, moved)  # new modification times, same bytes
    capsys.readouterr()
    there = Run(moved, "smoke", 0, progress=False)
    shutil.move(run_dir, tmp_path / "away")  # the old folder gone: nothing may point there
    try:
        assert there.checkpoint() == moved / "train" / "latest.pt"
        assert "building" not in capsys.readouterr().out  # every stage reused
        rows = read_manifest(there.dedup_path())
        assert rows and all(r.filepath.startswith(str(moved) + "/") for r in rows)
        assert "\t" in there.dedup_path().read_text().splitlines()[1]
        assert not there.dedup_path().read_text().splitlines()[1].startswith("/")
        removed = there.dedup_report()["removed_examples"]  # notebook 04 shows these images
        assert removed and all(Path(p["removed"]).is_file() and str(moved) in p["removed"]
                               for p in removed)
        isaid = [r for r in read_jsonl(there.m2b_path()) if r.extra.get("instance_mask")]
        assert isaid and all(Path(r.extra["instance_mask"]).is_file() for r in isaid)
        shutil.rmtree(moved / "data" / "embedded" / "ret")  # images gone: rebuilt, saying so
        there = Run(moved, "smoke", 0, progress=False)
        there.m2b()
        assert "ret/" in capsys.readouterr().out and (moved / "data/embedded/ret").is_dir()
    finally:
        shutil.move(tmp_path / "away", run_dir)


def test_a_long_run_made_differently_is_refused_not_retrained(tmp_path):
    run = Run(tmp_path, "smoke", 0, progress=False)
    output = tmp_path / "train" / "latest.pt"
    output.parent.mkdir()
    built = []

    def build(params):
        built.append(params)
        output.write_bytes(b"weights")

    run._ensure(output, "train", {"steps": 10}, {}, build, lambda: [output], "notebook 05")
    with pytest.raises(StaleOutputError, match="parameter steps: 10 -> 20"):
        run._ensure(output, "train", {"steps": 20}, {}, build, lambda: [output], "notebook 05",
                    precious=True)
    assert built == [{"steps": 10}] and output.read_bytes() == b"weights"


def test_a_build_that_stops_half_way_leaves_no_stamp_to_trust(tmp_path):
    run = Run(tmp_path, "smoke", 0, progress=False)
    output = tmp_path / "manifest.tsv"

    def good(params):
        output.write_text("complete\n")

    def broken(params):
        output.write_text("half")
        raise KeyboardInterrupt

    files = lambda: [output]  # noqa: E731
    run._ensure(output, "b2c", {"centre": [0.25, 0.75]}, {}, good, files, "notebook 03")
    with pytest.raises(KeyboardInterrupt):
        run._ensure(output, "b2c", {"centre": [0.3, 0.7]}, {}, broken, files, "notebook 03")
    assert read_stamp(output) is None  # the old stamp went before the build began
    with pytest.raises(StaleOutputError, match="stopped half-way"):
        run._ensure(output, "b2c", {"centre": [0.3, 0.7]}, {}, good, files, "notebook 03")


def test_shards_are_a_stamped_stage_that_a_shard_profile_trains_from(run_dir, capsys):
    from dataclasses import replace

    from rsclip_utils.config import get_profile
    from rsclip_utils.shards import read_index

    smoke = get_profile("smoke")
    profile = replace(smoke, train=replace(smoke.train, data="shards", shard_side=64))
    run = Run(run_dir, profile, 0, progress=False)
    folder = run.shards()
    index = read_index(folder)
    stamp = read_stamp(run.shards_index_path())
    assert stamp["inputs"]["manifest_dedup"] == read_stamp(run.dedup_path())["content"]
    assert stamp["params"]["shorter_side"] == 64 == index["spec"]["shorter_side"]
    assert index["images"] == len({r.filepath for r in read_manifest(run.dedup_path())})
    capsys.readouterr()
    assert Run(run_dir, profile, 0, progress=False).shards() == folder
    assert capsys.readouterr().out == ""  # reused
    checkpoint = run.checkpoint(steps=2)
    assert read_stamp(checkpoint)["inputs"] == {"shards": stamp["content"]}
    # a shard damaged in place, its size and time put back: the quick check cannot see it, a
    # content check finds it and the shard is written again (not re-stamped as it is)
    shard = folder / "shard-00000.tar"
    good, st = shard.read_bytes(), shard.stat()
    damaged = bytearray(good)
    damaged[len(good) // 2] ^= 0xFF
    shard.write_bytes(bytes(damaged))
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns))
    capsys.readouterr()
    Run(run_dir, profile, 0, progress=False, verify="content").shards()
    assert f"{shard}: content changed" in capsys.readouterr().out
    assert shard.read_bytes() == good
    # another size rebuilds the shards, saying why
    run.shards(shorter_side=48)
    assert "shorter_side" in capsys.readouterr().out
    assert read_index(folder)["spec"]["shorter_side"] == 48


def test_ablation_runs_in_two_processes_equal_one_at_a_time_and_are_reused(tmp_path, capsys):
    """The budget study's runs (notebook 06): the pool's snapshots are the weights one process
    with one thread makes, the control's stamp names both subsets, and a second call reuses."""
    import torch

    from rsclip_utils.budget import ROWS

    run = Run(tmp_path / "pooled", "smoke", 0, progress=False)
    run.manifest_dedup()
    embedded = read_stamp(tmp_path / "pooled" / "data" / "embedded" / "embedded.json")
    capsys.readouterr()
    jobs = [(ROWS[0], 0), (ROWS[3], 1)]  # RET with the run's seed, the control with another
    pooled = run.ablation_runs(jobs, [2, 3], processes=2, threads=1)
    built = capsys.readouterr().out
    assert built.count("building") >= 2 and "RET_DET_SEG_RET_matched/seed1" in built
    assert "rebuilding" not in built  # the workers read the run's stages, whatever their seed
    assert read_stamp(tmp_path / "pooled" / "data" / "embedded" / "embedded.json") == embedded
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        alone = Run(tmp_path / "alone", "smoke", 0, progress=False)
        single = {(row.label, seed): alone.ablation_run(row, seed, [2, 3]) for row, seed in jobs}
    finally:
        torch.set_num_threads(threads)
    for key, kept in pooled.items():
        assert sorted(kept) == [2, 3]
        for s, path in kept.items():
            a = torch.load(path, weights_only=True)["model"]
            b = torch.load(single[key][s], weights_only=True)["model"]
            assert all(torch.equal(a[k], b[k]) for k in a), (key, s)
    control = read_stamp(pooled[(ROWS[3].label, 1)][3].parent / "latest.pt")
    assert set(control["inputs"]) == {"manifest", "added"}
    assert control["params"]["added_batch_size"] == control["params"]["batch_size"]
    capsys.readouterr()
    assert run.ablation_runs(jobs, [2, 3], processes=2, threads=1) == pooled  # reused
    assert "building" not in capsys.readouterr().out
