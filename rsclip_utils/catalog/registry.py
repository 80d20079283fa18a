"""The dataset registry, ``data/registry.json``: one entry per dataset the paper profile reads.

Introduced in notebook 00. Each entry gives the official source, licence, citation, size, the
layout expected under ``DATA_ROOT/<key>/`` and how it is fetched (``url``: files with checksums
that :func:`rsclip_utils.catalog.download` fetches; ``manual``: a registration form or a drive link,
with instructions). An entry built from another entry's files (the RemoteCount-like counting set,
kind COUNT, from DOTA's val split) names it in ``reads``: its layout is checked under
``DATA_ROOT/<reads>/``, and what it builds goes to ``DATA_ROOT/<key>/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FormatError
from ..paths import repo_root

REGISTRY_ENV = "RSCLIP_REGISTRY"
KINDS = ("RET", "DET", "SEG", "CLS", "COUNT")


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch: where from, its checksums (None where not published) and whether it
    is an archive to unpack (``strip``: a folder inside the archive whose content is the data)."""

    name: str
    url: str
    md5: str | None = None
    sha256: str | None = None
    extract: bool = False
    strip: str | None = None


@dataclass(frozen=True)
class Dataset:
    """One registry entry (see the module docstring)."""

    key: str
    name: str
    kind: str
    roles: tuple[str, ...]
    homepage: str
    citation: str
    licence: str
    size: str
    layout: tuple[dict, ...]
    loader: str
    mode: str
    instructions: str = ""
    files: tuple[RemoteFile, ...] = field(default_factory=tuple)
    reads: str | None = None

    def folder(self, data_root: str | Path) -> Path:
        """Where this dataset's files live under a data root (those of the entry it ``reads``,
        for a set built from another one's files)."""
        return Path(data_root) / (self.reads or self.key)


_LAYOUT_TYPES = {"dir", "file", "class_folders"}


def _entry(key: str, d: dict, path: Path) -> Dataset:
    where = f"datasets.{key}"
    try:
        dl = d["download"]
        files = tuple(RemoteFile(**f) for f in dl.get("files", []))
        entry = Dataset(key=key, name=d["name"], kind=d["kind"], roles=tuple(d["roles"]),
                        homepage=d["homepage"], citation=d["citation"], licence=d["licence"],
                        size=d["size"], layout=tuple(d["layout"]), loader=d["loader"],
                        mode=dl["mode"], instructions=dl.get("instructions", ""), files=files,
                        reads=d.get("reads"))
    except (KeyError, TypeError) as e:
        raise FormatError(path, None, f"{where}: {type(e).__name__} {e}",
                          "name, kind, roles, homepage, citation, licence, size, layout, "
                          "loader and download{mode, ...}") from None
    if entry.kind not in KINDS:
        raise FormatError(path, None, f"{where}.kind {entry.kind!r}", f"one of {KINDS}")
    if entry.mode not in ("url", "manual") or (entry.mode == "url" and not files):
        raise FormatError(path, None, f"{where}.download mode {entry.mode!r} with "
                          f"{len(files)} files", "'manual', or 'url' with at least one file")
    for item in entry.layout:
        if item.get("type") not in _LAYOUT_TYPES or "path" not in item:
            raise FormatError(path, None, f"{where}.layout item {item}",
                              f"a path and a type in {sorted(_LAYOUT_TYPES)}")
    return entry


def registry_path() -> Path:
    """``$RSCLIP_REGISTRY`` if set, else ``data/registry.json`` in the repository."""
    return Path(os.environ.get(REGISTRY_ENV) or repo_root() / "data" / "registry.json")


def load_registry(path: str | Path | None = None) -> dict[str, Dataset]:
    """Every registry entry by key, in the file's order; a malformed entry raises naming it."""
    path = Path(path) if path else registry_path()
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the dataset registry is missing (expected the "
                                "repository's data/registry.json, or set $RSCLIP_REGISTRY)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise FormatError(path, e.lineno, f"JSON does not parse: {e.msg}", "the registry") from None
    entries = {k: _entry(k, v, path) for k, v in raw.get("datasets", {}).items()}
    for key, e in entries.items():
        if e.reads is not None and (e.reads not in entries or entries[e.reads].reads):
            raise FormatError(path, None, f"datasets.{key}.reads {e.reads!r}",
                              "the key of another entry, which itself reads its own folder")
    counting = [k for k, e in entries.items() if e.kind == "COUNT"]
    if len(counting) > 1:
        raise FormatError(path, None, f"{len(counting)} COUNT entries ({', '.join(counting)})",
                          "at most one counting set")
    return entries
