"""Stamps (rsclip_utils.stamps): equal content, equal digest; any change names itself; the one
reuse rule (``ensure``) reuses only what still holds what was written, refuses what people
changed, and lets two builders of one output meet safely."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time

import pytest

from rsclip_utils.stamps import (
    StaleOutputError,
    differences,
    ensure,
    make_stamp,
    read_stamp,
    stamp_path,
    write_stamp,
)


def stamp(**kw):
    args = {"stage": "b2c", "params": {"centre": (0.25, 0.75), "number_words": True},
            "inputs": {"m2b": "abc"}, "profile": "smoke", "seed": 0, "data_root": None}
    args.update(kw)
    return make_stamp(**args)


def test_equal_content_gives_equal_digests_tuples_and_lists_alike():
    a = stamp()
    b = stamp(params={"number_words": True, "centre": [0.25, 0.75]})
    assert a["digest"] == b["digest"] and len(a["digest"]) == 16
    assert differences(a, b) == []


def test_every_kind_of_change_is_named():
    a = stamp()
    assert differences(a, stamp(params={"centre": (0.3, 0.7), "number_words": True})) == [
        "parameter centre: [0.25, 0.75] -> [0.3, 0.7]"]
    assert differences(a, stamp(inputs={"m2b": "def"})) == [
        "input m2b changed (content abc -> def)"]
    assert differences(a, stamp(seed=1)) == ["seed: 0 -> 1"]
    changed = stamp(profile="default", params={"centre": (0.25, 0.75)})
    assert differences(a, changed) == ["profile: 'smoke' -> 'default'",
                                       "parameter number_words: True -> '(unset)'"]
    assert a["digest"] != changed["digest"]


def test_a_stamp_is_read_back_and_a_tampered_one_counts_as_none(tmp_path):
    output = tmp_path / "manifest.tsv"
    output.write_text("x")
    assert read_stamp(output) is None
    write_stamp(output, stamp())
    assert stamp_path(output).name == "manifest.tsv.stamp.json"
    assert {k: v for k, v in read_stamp(output).items() if k != "check"} == stamp()
    edited = json.loads(stamp_path(output).read_text())
    edited["params"]["centre"] = [0.3, 0.7]  # edited by hand: the digest no longer matches
    stamp_path(output).write_text(json.dumps(edited))
    assert read_stamp(output) is None


def _writer(folder, text="made\n", log=None):
    """A build that writes ``out.txt`` and ``side.json`` (and notes each call in ``log``)."""
    out = folder / "out.txt"

    def build(params):
        if log is not None:
            log.append(params)
        out.write_text(text)
        (folder / "side.json").write_text("{}")
    return out, build, lambda: [out, folder / "side.json"]


def test_ensure_builds_reuses_and_rebuilds_on_a_new_parameter(tmp_path, capsys):
    log = []
    out, build, files = _writer(tmp_path, log=log)
    first = ensure(out, stamp(), build, files, "notebook 03")
    assert sorted(first["outputs"]) == ["out.txt", "side.json"]  # relative to the stamp
    assert ensure(out, stamp(), build, files, "notebook 03") == first and len(log) == 1
    again = ensure(out, stamp(params={"centre": [0.3, 0.7]}), build, files, "notebook 03")
    assert len(log) == 2 and again["content"] == first["content"]  # same bytes made
    assert "parameter centre" in capsys.readouterr().out


def test_an_output_edited_by_hand_is_refused_naming_it_and_kept(tmp_path):
    out, build, files = _writer(tmp_path)
    ensure(out, stamp(), build, files, "notebook 03")
    out.write_text("edited\n")  # another size
    with pytest.raises(StaleOutputError, match=r"out\.txt.*changed after notebook 03"):
        ensure(out, stamp(), build, files, "notebook 03")
    assert out.read_text() == "edited\n"
    out.write_text("mad3\n")  # same size, new bytes: found by the hash the new time asks for
    with pytest.raises(StaleOutputError, match="content changed"):
        ensure(out, stamp(), build, files, "notebook 03")


def test_a_changed_cache_is_rebuilt_and_a_touched_one_reused(tmp_path, capsys):
    log = []
    out, build, files = _writer(tmp_path, log=log)
    ensure(out, stamp(), build, files, "a cache", cache=True)
    os.utime(out, ns=(1, 1))  # a copy: new time, same bytes
    ensure(out, stamp(), build, files, "a cache", cache=True)
    assert len(log) == 1
    assert read_stamp(out)["outputs"]["out.txt"]["mtime_ns"] == 1  # remembered: no hash again
    (tmp_path / "side.json").write_text("[]")
    ensure(out, stamp(), build, files, "a cache", cache=True)
    assert len(log) == 2 and "side.json: content changed" in capsys.readouterr().out


def test_content_verification_finds_an_edit_that_kept_size_and_time(tmp_path):
    out, build, files = _writer(tmp_path)
    ensure(out, stamp(), build, files, "notebook 03")
    st = out.stat()
    out.write_text("mad3\n")
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
    ensure(out, stamp(), build, files, "notebook 03")  # the quick test cannot see it
    with pytest.raises(StaleOutputError, match="content changed"):
        ensure(out, stamp(), build, files, "notebook 03", verify="content")


def test_unstamped_old_format_and_forged_stamps_are_refused(tmp_path):
    out, build, files = _writer(tmp_path)
    out.write_text("by hand\n")
    with pytest.raises(StaleOutputError, match="without a valid stamp"):
        ensure(out, stamp(), build, files, "notebook 03")
    old = {k: v for k, v in stamp().items() if k != "format"}  # written by version 1
    stamp_path(out).write_text(json.dumps(old))
    with pytest.raises(StaleOutputError, match="without a valid stamp"):
        ensure(out, stamp(), build, files, "notebook 03")
    assert out.read_text() == "by hand\n"


def test_a_moved_folder_keeps_valid_stamps(tmp_path):
    here = tmp_path / "a"
    here.mkdir()
    out, build, files = _writer(here)
    made = ensure(out, stamp(), build, files, "notebook 03")
    shutil.copytree(here, tmp_path / "b")  # new times, same bytes
    shutil.rmtree(here)
    moved, build2, files2 = _writer(tmp_path / "b")
    assert ensure(moved, stamp(), build2, files2, "notebook 03")["content"] == made["content"]


def test_what_an_output_needs_is_checked_on_reuse(tmp_path):
    out, build, files = _writer(tmp_path)
    ensure(out, stamp(), build, files, "notebook 03")
    with pytest.raises(FileNotFoundError, match="moved without its data"):
        ensure(out, stamp(), build, files, "notebook 03", needs=lambda: ["/gone/x.jpg"])


def _slow_builder(folder, started, results):
    """One of two processes building the same output (tests below)."""
    log = []
    out = folder / "out.txt"

    def build(params):
        log.append(os.getpid())
        started.set()
        time.sleep(1.5)
        with open(out, "w") as f:
            f.write(f"made by {os.getpid()}\n")
    try:
        s = ensure(out, stamp(), build, lambda: [out], "a slow stage")
        results.put(("ok", len(log), s["content"]))
    except Exception as e:  # noqa: BLE001 - reported to the test
        results.put(("error", repr(e), ""))


def test_two_builders_of_one_output_meet_safely(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    started, results = ctx.Event(), ctx.Queue()
    first = ctx.Process(target=_slow_builder, args=(tmp_path, started, results))
    first.start()
    assert started.wait(60)
    second = ctx.Process(target=_slow_builder, args=(tmp_path, started, results))
    second.start()
    outcomes = [results.get(timeout=120) for _ in range(2)]
    first.join(), second.join()
    assert [o[0] for o in outcomes] == ["ok", "ok"], outcomes
    assert sorted(o[1] for o in outcomes) == [0, 1]  # one built, the other reused it
    assert outcomes[0][2] == outcomes[1][2] == read_stamp(tmp_path / "out.txt")["content"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_two_names_of_one_folder_share_its_lock(tmp_path):
    from rsclip_utils.atomic import lock_path

    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert lock_path(tmp_path / "link" / "out.txt") == lock_path(tmp_path / "real" / "out.txt")
    assert lock_path(tmp_path / "real" / "a.txt") != lock_path(tmp_path / "real" / "out.txt")
