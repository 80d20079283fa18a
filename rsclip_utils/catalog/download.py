"""Fetching files by URL: resume, checksums, progress bars, safe unpacking.

Introduced in notebook 00 (paper profile). :func:`download` continues a ``.part`` file with an
HTTP ``Range`` request, checks the sha256 (and the md5 where a publisher gives only that), and
records the sha256 of a file that had none pinned in ``SHA256SUMS`` beside it, so that every later
download of it is checked against the first. Offline, it fails at once with :class:`OfflineError`
saying what to fetch and where to put it. :func:`fetch_dataset` does this for a registry entry
and explains the manual steps of datasets behind a registration form.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from .registry import Dataset

CHUNK = 1 << 20
SUMS_FILE = "SHA256SUMS"


class DownloadError(RuntimeError):
    """A download that cannot be completed or whose bytes are not the expected ones."""


class OfflineError(DownloadError):
    """The host cannot be reached (no network, DNS failure, connection refused, timeout)."""


class ManualDownloadRequired(DownloadError):
    """The dataset sits behind a form or a drive link: the message says what to do."""


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def read_sums(folder: Path) -> dict[str, str]:
    """``SHA256SUMS`` in ``folder`` (``<hex>  <name>`` lines) as name -> sha256."""
    path = folder / SUMS_FILE
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            out[name.strip().lstrip("*")] = digest
    return out


def _record_sum(folder: Path, name: str, digest: str) -> None:
    sums = read_sums(folder)
    sums[name] = digest
    (folder / SUMS_FILE).write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))


def _open(url: str, start: int, timeout: float):
    request = urllib.request.Request(url, headers={"User-Agent": "rsclip-utils"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - URLs from the registry
    except urllib.error.HTTPError as e:
        if e.code == 416 and start:  # the .part file already holds everything
            return None
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise OfflineError(f"cannot reach {url} ({reason})") from None


def download(
    url: str,
    dest: str | Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``url`` to ``dest`` (resuming ``dest.part``), check it, return ``dest``.

    A file already at ``dest`` with the right checksum is not fetched again. The sha256 expected
    is ``sha256``, else the one recorded in ``SHA256SUMS`` beside ``dest`` by an earlier download;
    when there is neither, the computed one is recorded there. A mismatch keeps the bytes as
    ``dest.bad`` and raises with both digests.
    """
    from tqdm.auto import tqdm

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    expected = sha256 or read_sums(dest.parent).get(dest.name)
    if dest.is_file() and _matches(dest, expected, md5):
        return dest
    part = dest.with_name(dest.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    try:
        response = _open(url, start, timeout)
    except OfflineError as e:
        raise OfflineError(f"{e}. Fetch it on a machine with internet and put it at {dest} "
                           f"(a partial download may be left as {part} to resume)") from None
    if response is not None:
        with response:
            resumed = start and response.status == 206
            if not resumed:
                start = 0  # the server ignored the Range header: start over
            length = response.headers.get("Content-Length")
            total = start + int(length) if length else None
            with part.open("ab" if resumed else "wb") as f, tqdm(
                total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
                desc=dest.name, disable=not progress,
            ) as bar:
                try:
                    for block in iter(lambda: response.read(CHUNK), b""):
                        f.write(block)
                        bar.update(len(block))
                except (TimeoutError, OSError) as e:
                    raise OfflineError(f"{url}: connection lost after {f.tell()} bytes ({e}); "
                                       f"run again to resume from {part}") from None
    got = file_digest(part)
    if expected and got != expected or md5 and file_digest(part, "md5") != md5:
        bad = dest.with_name(dest.name + ".bad")
        part.replace(bad)
        want = f"sha256 {expected}" if expected else f"md5 {md5}"
        raise DownloadError(f"{url}: checksum mismatch, expected {want}, got sha256 {got} "
                            f"(md5 {file_digest(bad, 'md5')}); the bytes are kept in {bad}")
    part.replace(dest)
    if not expected:
        _record_sum(dest.parent, dest.name, got)
    return dest


def _matches(path: Path, sha256: str | None, md5: str | None) -> bool:
    if sha256 and file_digest(path) != sha256:
        return False
    if md5 and file_digest(path, "md5") != md5:
        return False
    return bool(sha256 or md5)


def _safe_members(names: list[str], dest: Path, archive: Path) -> None:
    root = dest.resolve()
    for name in names:
        target = (dest / name).resolve()
        if target != root and root not in target.parents:
            raise DownloadError(f"{archive}: member {name!r} would be written outside {dest}")


def extract(archive: str | Path, dest: str | Path, strip: str | None = None) -> Path:
    """Unpack a zip or tar archive into ``dest`` (members that would land outside it are refused);
    with ``strip``, the content of that folder inside the archive is moved up into ``dest``."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            _safe_members(z.namelist(), dest, archive)
            z.extractall(dest)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            _safe_members(t.getnames(), dest, archive)
            t.extractall(dest, filter="data")
    else:
        raise DownloadError(f"{archive}: neither a zip nor a tar archive")
    if strip:
        inner = dest / strip
        if not inner.is_dir():
            raise DownloadError(f"{archive}: no folder {strip!r} inside to move up")
        for child in inner.iterdir():
            shutil.move(str(child), dest / child.name)
        inner.rmdir()
    return dest


def fetch_dataset(entry: Dataset, data_root: str | Path, progress: bool = True) -> Path:
    """Download and unpack a ``url`` dataset into ``DATA_ROOT/<key>/`` (archives are kept in
    ``DATA_ROOT/downloads/``); a ``manual`` one raises :class:`ManualDownloadRequired`."""
    folder = entry.folder(data_root)
    if entry.mode == "manual":
        raise ManualDownloadRequired(
            f"{entry.name} cannot be fetched automatically. {entry.instructions}\n"
            f"  source:  {entry.homepage}\n  licence: {entry.licence}\n  put it in: {folder}\n"
            f"  then check it: python -m rsclip_utils.catalog check {data_root} --only {entry.key}")
    archives = Path(data_root) / "downloads" / entry.key
    for f in entry.files:
        path = download(f.url, archives / f.name, sha256=f.sha256, md5=f.md5, progress=progress)
        if f.extract:
            extract(path, folder, f.strip)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / f.name)
    return folder
