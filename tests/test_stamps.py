"""Stamps (rsclip_utils.stamps): equal content, equal digest; any change names itself."""

from __future__ import annotations

import json

from rsclip_utils.stamps import differences, make_stamp, read_stamp, stamp_path, write_stamp


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
        "input m2b changed (stamp abc -> def)"]
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
    assert read_stamp(output) == stamp()
    edited = json.loads(stamp_path(output).read_text())
    edited["params"]["centre"] = [0.3, 0.7]  # edited by hand: the digest no longer matches
    stamp_path(output).write_text(json.dumps(edited))
    assert read_stamp(output) is None
