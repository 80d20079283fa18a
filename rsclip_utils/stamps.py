"""Stamps: what made a stage output, written beside it, so that it is reused only when the same
thing would be made again.

Introduced in notebook 02 (the first stage output a later notebook reads). A stamp is a small
JSON file ``<output>.stamp.json``::

    {"stage": "b2c", "params": {...}, "inputs": {"m2b": "<digest>", ...},
     "profile": "default", "seed": 0, "data_root": null, "version": "0.1.0", "digest": "..."}

``inputs`` holds the digests of the stamps of the outputs the stage read, so a change anywhere
upstream changes every stamp downstream of it. :mod:`rsclip_utils.pipeline` compares the stamp a
stage would write with the one on disk and reuses, rebuilds or refuses.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__

CONTEXT_KEYS = ("profile", "seed", "data_root", "version")


class StaleOutputError(RuntimeError):
    """A stage output cannot be reused and rebuilding it would discard work (made by hand, or a
    long training run); the message names the file and what differs."""


def _plain(value):
    """``value`` as JSON gives it back (tuples become lists), so equal things compare equal."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def digest_of(stamp: dict) -> str:
    """The SHA-256 of a stamp's content (everything but its own digest), hex, 16 characters."""
    body = {k: v for k, v in stamp.items() if k != "digest"}
    text = json.dumps(_plain(body), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_stamp(stage: str, params: dict, inputs: dict[str, str], profile: str, seed: int,
               data_root: str | None) -> dict:
    """The stamp of ``stage`` run with ``params`` on inputs whose stamps have the given digests."""
    stamp = {"stage": stage, "params": _plain(params), "inputs": dict(sorted(inputs.items())),
             "profile": profile, "seed": seed,
             "data_root": str(Path(data_root).resolve()) if data_root else None,
             "version": __version__}
    stamp["digest"] = digest_of(stamp)
    return stamp


def stamp_path(output: str | Path) -> Path:
    """Where the stamp of ``output`` lives: beside it, ``<name>.stamp.json``."""
    output = Path(output)
    return output.with_name(output.name + ".stamp.json")


def read_stamp(output: str | Path) -> dict | None:
    """The stamp written beside ``output``; None when there is none or it does not parse (a
    stamp whose digest does not match its content counts as none)."""
    path = stamp_path(output)
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("digest") != digest_of(stamp):
        return None
    return stamp


def write_stamp(output: str | Path, stamp: dict) -> Path:
    """Write ``stamp`` beside ``output`` (after the output itself is complete)."""
    path = stamp_path(output)
    path.write_text(json.dumps(stamp, indent=1, sort_keys=True) + "\n")
    return path


def differences(old: dict, new: dict) -> list[str]:
    """What differs between two stamps, one line each: parameters by name, inputs by name, and
    the run's profile, seed, data root and package version."""
    out = []
    for key in ("stage", *CONTEXT_KEYS):
        if old.get(key) != new.get(key):
            out.append(f"{key}: {old.get(key)!r} -> {new.get(key)!r}")
    a, b = old.get("params", {}), new.get("params", {})
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            out.append(f"parameter {name}: {a.get(name, '(unset)')!r} -> "
                       f"{b.get(name, '(unset)')!r}")
    a, b = old.get("inputs", {}), new.get("inputs", {})
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            out.append(f"input {name} changed (stamp {a.get(name)} -> {b.get(name)})")
    return out


__all__ = ["StaleOutputError", "differences", "digest_of", "make_stamp", "read_stamp",
           "stamp_path", "write_stamp"]
