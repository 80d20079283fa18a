"""Stamps: what made a stage output and what it holds, written beside it, so that an output is
reused only when the same thing would be made again *and* it still holds what was made.

Introduced in notebook 02 (the first stage output a later notebook reads). The one reuse rule of
the package: every stage output and every cache (:mod:`rsclip_utils.pipeline`'s stages, the
real datasets read in the paper profile, the RemoteCount-like set, the evaluation's feature
cache, the shards' source images) is checked here. A stamp is a small JSON file
``<output>.stamp.json``::

    {"stage": "b2c", "params": {...}, "inputs": {"m2b": "<content digest>", ...},
     "profile": "default", "seed": 0, "data_root": null, "version": "0.1.0",
     "digest": "<what was asked>",
     "outputs": {"manifest.tsv": {"bytes": ..., "mtime_ns": ..., "sha256": ...}, ...},
     "content": "<what was made>", "check": "<the stamp's own integrity>"}

- ``digest`` hashes what was asked (stage, parameters, the inputs' content digests, the run's
  profile, seed, data root and package version): equal digests mean the same build.
- ``outputs`` lists every file the stage wrote, relative to the stamp's folder (a run folder
  moved or copied elsewhere keeps its stamps valid), with its size, modification time and
  SHA-256 taken once, at write. ``content`` hashes those SHA-256s: it is what a later stage
  records as its input, so a change of what an output *holds* reaches everything downstream.
- On reuse, :func:`check_outputs` compares each file's size and modification time with the
  stamp (a ``stat``, cheap), and hashes the file only when they differ or when asked
  (``content=True``): a file edited by hand, damaged or replaced is found, a file merely copied
  (new modification time, same bytes) is not mistaken for a changed one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .atomic import build_lock, write_text

CONTEXT_KEYS = ("profile", "seed", "data_root", "version")
IDENTITY_KEYS = ("stage", "params", "inputs", *CONTEXT_KEYS)
FORMAT = 2
CHUNK = 1 << 20


class StaleOutputError(RuntimeError):
    """A stage output cannot be reused and rebuilding it would discard work (made or edited by
    hand, or a long training run); the message names the file and what differs."""


def _plain(value):
    """``value`` as JSON gives it back (tuples become lists), so equal things compare equal."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _hash(value) -> str:
    text = json.dumps(_plain(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def digest_of(stamp: dict) -> str:
    """What was asked: the SHA-256 of a stamp's stage, parameters, inputs and context, hex, 16
    characters (equal digests: the same build)."""
    return _hash({k: stamp.get(k) for k in IDENTITY_KEYS})


def _check_of(stamp: dict) -> str:
    return _hash({k: v for k, v in stamp.items() if k != "check"})


def make_stamp(stage: str, params: dict, inputs: dict[str, str], profile: str, seed: int,
               data_root: str | None) -> dict:
    """The stamp of ``stage`` run with ``params`` on inputs of the given content digests (the
    outputs are added by :func:`seal` once they are written)."""
    stamp = {"format": FORMAT, "stage": stage, "params": _plain(params),
             "inputs": dict(sorted(inputs.items())), "profile": profile, "seed": seed,
             "data_root": str(Path(data_root).resolve()) if data_root else None,
             "version": __version__}
    stamp["digest"] = digest_of(stamp)
    return stamp


# --- content --------------------------------------------------------------------------------

def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, hex, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def fingerprint(path: str | Path) -> dict:
    """A file's size, modification time (ns) and SHA-256: what a stamp records of it."""
    path = Path(path)
    st = path.stat()
    return {"bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(path)}


def same_file(path: str | Path, recorded: dict, content: bool = False) -> str | None:
    """None when ``path`` still holds what ``recorded`` (a :func:`fingerprint`) says, else why
    not ("missing", "N bytes, was M", "content changed (sha256 a -> b)"). Size and modification
    time first; the bytes are hashed only when the time differs or ``content`` is asked."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return "missing"
    if not path.is_file():
        return "not a file"
    if st.st_size != recorded.get("bytes"):
        return f"{st.st_size:,} bytes, was {recorded.get('bytes'):,}"
    if st.st_mtime_ns == recorded.get("mtime_ns") and not content:
        return None
    sha = file_sha256(path)
    if sha != recorded.get("sha256"):
        return f"content changed (sha256 {str(recorded.get('sha256'))[:12]} -> {sha[:12]})"
    recorded["mtime_ns"] = st.st_mtime_ns  # same bytes, new time (a copy): remembered
    return None


def listing(paths: list[str | Path], base: str | Path | None = None) -> str:
    """A digest of files by their path (relative to ``base`` when given), size and modification
    time: ``stat`` calls, no reading. What a cache of many large files records of them (the
    evaluation's features, a real dataset's folder); a missing file counts as size -1."""
    h = hashlib.sha256()
    for p in paths:
        try:
            st = Path(p).stat()
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, 0
        name = Path(p).relative_to(base).as_posix() if base is not None else str(p)
        h.update(f"{name}\0{size}\0{mtime}\n".encode())
    return h.hexdigest()[:16]


def files_under(folder: str | Path) -> list[Path]:
    """Every file under ``folder`` that is an output (not a stamp, a lock or a temporary file),
    sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and not _bookkeeping(p))


def _bookkeeping(path: Path) -> bool:
    name = path.name
    return name.endswith((".stamp.json", ".tmp", ".partial"))


def seal(stamp: dict, files: list[str | Path], base: str | Path) -> dict:
    """``stamp`` with the fingerprints of the ``files`` a stage wrote (relative to ``base``, the
    stamp's folder) and the digest of their content."""
    base = Path(base)
    outputs = {Path(f).resolve().relative_to(base.resolve()).as_posix(): fingerprint(f)
               for f in files}
    stamp = {k: v for k, v in stamp.items() if k not in ("outputs", "content", "check")}
    stamp["outputs"] = dict(sorted(outputs.items()))
    stamp["content"] = _hash({k: v["sha256"] for k, v in stamp["outputs"].items()})
    return stamp


def check_outputs(stamp: dict, base: str | Path, content: bool = False) -> list[str]:
    """What no longer holds of the files ``stamp`` recorded (relative to ``base``), one line
    each naming the file; empty: every file is as it was written. Files found equal under a new
    modification time are remembered in ``stamp`` (write it back to skip the hash next time)."""
    base = Path(base)
    problems = []
    for rel, recorded in stamp.get("outputs", {}).items():
        why = same_file(base / rel, recorded, content)
        if why:
            problems.append(f"{base / rel}: {why}")
    return problems


# --- the stamp file -------------------------------------------------------------------------

def stamp_path(output: str | Path) -> Path:
    """Where the stamp of ``output`` lives: beside it, ``<name>.stamp.json``."""
    output = Path(output)
    return output.with_name(output.name + ".stamp.json")


def read_stamp(output: str | Path) -> dict | None:
    """The stamp written beside ``output``; None when there is none, it does not parse, it is
    of an older format, or it does not match its own checks (a stamp edited by hand)."""
    path = stamp_path(output)
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if (not isinstance(stamp, dict) or stamp.get("format") != FORMAT
            or stamp.get("digest") != digest_of(stamp) or stamp.get("check") != _check_of(stamp)):
        return None
    return stamp


def write_stamp(output: str | Path, stamp: dict) -> Path:
    """Write ``stamp`` beside ``output`` (after the output itself is complete), atomically."""
    stamp = {k: v for k, v in stamp.items() if k != "check"}
    stamp["check"] = _check_of(stamp)
    return write_text(stamp_path(output), json.dumps(stamp, indent=1, sort_keys=True) + "\n")


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
            out.append(f"input {name} changed (content {a.get(name)} -> {b.get(name)})")
    return out


# --- the rule -------------------------------------------------------------------------------

def ensure(output: str | Path, want: dict, build: Callable[[dict], None],
           files: Callable[[], list[Path]], made_by: str, cache: bool = False,
           checks_owner: bool = False, precious: bool = False, verify: str = "quick",
           needs: Callable[[], list[str]] | None = None) -> dict:
    """Reuse, build or refuse ``output``, whose stamp would be ``want`` (:func:`make_stamp`);
    returns the stamp on disk. The rule:

    - missing: ``build(params)``, then the ``files()`` it wrote are fingerprinted into the stamp;
    - same stamp digest and every recorded file unchanged (``verify="content"``: hashed, else
      size and modification time first): reused, after ``needs()`` (what the output refers to
      that is gone) comes back empty, else ``FileNotFoundError`` naming them;
    - different digest: rebuilt, naming what differs; ``precious`` (hours of training): refused;
    - a recorded file changed since it was written: a ``cache`` is rebuilt naming the file; any
      other output (a file people edit) is refused naming it, and kept;
    - the output there without a valid stamp (none, an older format, edited): refused, naming
      it, unless ``checks_owner`` (the builder itself refuses to delete what it did not write).

    The build runs under :func:`~rsclip_utils.atomic.build_lock`: a second builder waits, then
    finds the output built."""
    output = Path(output)
    with build_lock(output):
        have = read_stamp(output)
        changed = (check_outputs(have, output.parent, verify == "content")
                   if have is not None else [])
        if output.exists() and have is not None and have["digest"] == want["digest"]:
            if not changed:
                gone = needs() if needs else []
                if gone:
                    raise FileNotFoundError(
                        f"{output} refers to files that are not there ({len(gone)}, e.g. "
                        + "; ".join(gone[:3]) + "): was the run folder moved without its data, "
                        f"or the data root changed? Restore them, or remove {output} to rebuild "
                        "it")
                if have != read_stamp(output):  # files found equal under a new time
                    write_stamp(output, have)
                return have
        if output.exists() and have is None:
            if not checks_owner:
                raise StaleOutputError(
                    f"{output} exists without a valid stamp (made by hand, by an older version "
                    "of rsclip_utils, or by a build that stopped half-way), so what made it is "
                    f"unknown; it is kept. Remove it to have {made_by} rebuild it")
            print(f"checking {output} (no valid stamp)")
        elif output.exists():
            why = changed or differences(have, want)
            if changed and not cache:
                raise StaleOutputError(
                    f"{output} changed after {made_by} wrote it (" + "; ".join(why[:3])
                    + "); it is kept, and nothing downstream uses it. Remove it to rebuild it, "
                    "or put back what was written")
            if precious:
                raise StaleOutputError(
                    f"{output} was made differently and rebuilding it would discard a long run: "
                    + "; ".join(why) + f". Remove {output.parent} to retrain, or use another "
                    "RUN_DIR")
            print(f"rebuilding {output} ({made_by}): " + "; ".join(why[:5]))
        else:
            print(f"building {output} ({made_by})")
        stamp_path(output).unlink(missing_ok=True)  # a build that stops leaves no valid stamp
        build(want["params"])
        write_stamp(output, seal(want, files(), output.parent))
        return read_stamp(output)


__all__ = ["StaleOutputError", "check_outputs", "differences", "digest_of", "ensure", "file_sha256",
           "files_under", "fingerprint", "listing", "make_stamp", "read_stamp", "same_file", "seal",
           "stamp_path", "write_stamp"]
