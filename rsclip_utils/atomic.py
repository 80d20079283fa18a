"""Writing files so that a reader never sees half of one, and two builders never share one.

Introduced in notebook 02 (the first stage output). Every file a stage writes goes through
:func:`atomic_path`: the bytes go to a temporary file named for this process beside the target
and replace it in one step (``os.replace``), so a crash or a second builder leaves either the old
file or the new one, never a mixture. :func:`build_lock` keeps two builders of one output apart:
the second waits, saying who holds it, and then finds the output built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout


def temporary_name(path: str | Path) -> Path:
    """A temporary file beside ``path`` that no other process uses: ``.<name>.<host>.<pid>.tmp``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{socket.gethostname()}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path``'s new content to; on a clean exit it replaces ``path``
    at once, on an error it is removed and ``path`` is left as it was."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | Path, value, indent: int | None = 1) -> Path:
    """Write ``value`` as JSON to ``path`` atomically."""
    return write_text(path, json.dumps(value, indent=indent, ensure_ascii=False) + "\n")


def lock_path(output: str | Path) -> Path:
    """The lock file of ``output``: in the machine's temporary folder, named by the output's
    real path (links followed: two names of one folder share its lock). A lock beside the output
    would be deleted with a folder being rebuilt, and nothing is added to the run folder.
    Builders on one machine see the same lock; two machines sharing a network folder do not."""
    key = hashlib.sha256(os.path.realpath(output).encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "rsclip_utils-locks" / f"{Path(output).name}.{key}.lock"


def _holder(lock: Path) -> str:
    """Who holds ``lock``, as its holder wrote it (host, pid, since when)."""
    try:
        info = json.loads(lock.with_name(lock.name + ".json").read_text())
        return (f"pid {info['pid']} on {info['host']}, since "
                f"{time.strftime('%H:%M:%S', time.localtime(info['since']))}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process"


QUIET_WAIT = 2.0  # seconds a builder waits for a lock before it says so


@contextlib.contextmanager
def build_lock(output: str | Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of ``output`` while building it. A second builder waits (printing who holds
    it) up to ``wait`` seconds (None: as long as it takes), then raises ``TimeoutError`` naming
    the output and the holder. The lock goes with its holder's process (an OS file lock), so a
    build that was killed never leaves the output locked."""
    output = Path(output)
    lock = lock_path(output)
    lock.parent.mkdir(parents=True, exist_ok=True)
    guard = FileLock(str(lock))
    quiet = QUIET_WAIT if wait is None else min(QUIET_WAIT, wait)
    try:
        guard.acquire(timeout=quiet)  # a reuse check by another process: over in a moment
    except Timeout:
        print(f"waiting for {output}: another build holds it ({_holder(lock)}; {lock})",
              flush=True)
        try:
            guard.acquire(timeout=-1 if wait is None else max(0.0, wait - quiet))
        except Timeout:
            raise TimeoutError(f"{output} is being built by {_holder(lock)}: gave up after "
                               f"{wait:g} s (lock {lock})") from None
    try:
        write_json(lock.with_name(lock.name + ".json"),
                   {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        yield
    finally:
        lock.with_name(lock.name + ".json").unlink(missing_ok=True)
        guard.release()


__all__ = ["atomic_path", "build_lock", "lock_path", "temporary_name", "write_json",
           "write_text"]
