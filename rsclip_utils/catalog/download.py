"""Fetching files by URL: resume, checksums, progress bars, safe unpacking.

Introduced in notebook 00 (paper profile). :func:`download` fetches an ``http(s)://`` or
``ftp://`` URL, or copies a local file (a plain path, relative or absolute, or a ``file://`` URL:
a file fetched by hand on another machine) through the same checks. It accepts a file only when
it is complete (as many bytes as the server announced) and its checksums match: the sha256 (and
the md5 where a publisher gives only that) pinned by the registry, else the sha256 recorded in
``SHA256SUMS`` beside it by an earlier download, so that every later download of it is checked
against the first. Only a verified file is recorded there, and that file is written atomically.

A cut transfer leaves ``<name>.part`` with a sidecar ``<name>.part.json`` (the URL, its ETag or
Last-Modified, its length); the next call resumes with ``Range`` and ``If-Range``, so a server
whose file changed sends it whole again. A partial file that cannot be checked that way (no
validator and no checksum) is fetched again from the start, never appended to. Offline, it fails
at once with :class:`OfflineError` saying what to fetch and where to put it.
:func:`fetch_dataset` does this for a registry entry and explains the manual steps of datasets
behind a registration form.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import shutil
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..atomic import write_json, write_text
from ..errors import FormatError
from .registry import Dataset

CHUNK = 1 << 20
SUMS_FILE = "SHA256SUMS"
URL_SCHEMES = ("http", "https", "ftp")
_HEX = re.compile(r"[0-9a-fA-F]+")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadError(RuntimeError):
    """A download that cannot be completed or whose bytes are not the expected ones."""


class OfflineError(DownloadError):
    """The host cannot be reached (no network, DNS failure, connection refused, timeout)."""


class ManualDownloadRequired(DownloadError):
    """The dataset sits behind a form or a drive link: the message says what to do."""


class ChecksumFileError(FormatError, DownloadError):
    """A ``SHA256SUMS`` line that is not ``<64 hex digits>  <name>`` (file and line named)."""


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.new(algorithm)
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


# --- SHA256SUMS ----------------------------------------------------------------------------------


def _sums_line(path: Path, number: int, line: str) -> tuple[str, str]:
    """(name, digest) of one ``<hex>  <name>`` line (``<hex> *<name>``: sha256sum's binary mode)."""
    expected = "'<64 hex digits>  <file name>', as sha256sum writes"
    parts = line.strip().split(None, 1)
    if len(parts) < 2:
        raise ChecksumFileError(path, number, f"line {line.strip()!r} has no file name", expected)
    digest, name = parts
    if len(digest) != 64 or not _HEX.fullmatch(digest):
        raise ChecksumFileError(path, number, f"digest {digest!r} is not a sha256", expected)
    name = name[1:] if name.startswith("*") else name
    while name.startswith("./"):  # what `sha256sum ./*` writes
        name = name[2:]
    return name, digest.lower()


def read_sums(folder: str | Path) -> dict[str, str]:
    """``SHA256SUMS`` in ``folder`` as name -> sha256 (CRLF, ``*name`` and ``./name`` lines
    accepted); a malformed line, or two lines giving one file different digests, raises
    :class:`ChecksumFileError` naming the file and line."""
    path = Path(folder) / SUMS_FILE
    if not path.is_file():
        return {}
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    sums: dict[str, str] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        name, digest = _sums_line(path, number, line)
        if sums.get(name, digest) != digest:
            raise ChecksumFileError(
                path, number, f"{name} is given another digest on line {first_line[name]}",
                "one digest per file name")
        sums[name] = digest
        first_line.setdefault(name, number)
    return sums


def _record_sum(folder: Path, name: str, digest: str) -> None:
    """Add ``name``'s sha256 to ``SHA256SUMS`` (written whole to a temporary file, then renamed)."""
    sums = read_sums(folder)
    sums[name] = digest
    write_text(folder / SUMS_FILE, "".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))


def _pinned_hex(value: str | None, digits: int, what: str, url: str) -> str | None:
    """A published checksum in lower case; one that is not ``digits`` hex digits raises."""
    if value is None:
        return None
    if len(value) != digits or not _HEX.fullmatch(value):
        raise DownloadError(f"{url}: the published {what} {value!r} is not {digits} hex digits")
    return value.lower()


# --- where the bytes come from -------------------------------------------------------------------


def local_source(source: str | Path) -> Path | None:
    """The local file a source names (a plain path or a ``file://`` URL), or None for a URL to
    fetch; any other scheme raises."""
    if isinstance(source, Path):
        return source
    parsed = urllib.parse.urlsplit(source)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path))
    if parsed.scheme in URL_SCHEMES:
        return None
    if len(parsed.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(source)
    raise DownloadError(f"{source}: unsupported source (expected an http(s):// or ftp:// URL, "
                        f"a file:// URL or a local path)")


@dataclass
class _Part:
    """``dest.part`` and its sidecar: the URL, its validator and its length when it was begun."""

    path: Path
    url: str

    @property
    def sidecar(self) -> Path:
        return self.path.with_name(self.path.name + ".json")

    def size(self) -> int:
        return self.path.stat().st_size if self.path.is_file() else 0

    def meta(self) -> dict:
        try:
            meta = json.loads(self.sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) and meta.get("url") == self.url else {}

    def begin(self, validator: str | None, length: int | None) -> None:
        write_json(self.sidecar, {"url": self.url, "validator": validator, "length": length})

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
        self.sidecar.unlink(missing_ok=True)


def _validator(headers) -> str | None:
    """The strong ETag, else the Last-Modified date, that ``If-Range`` can send back."""
    etag = headers.get("ETag")
    if etag and not etag.startswith("W/"):
        return etag
    return headers.get("Last-Modified")


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _open(url: str, headers: dict, timeout: float):
    """The response to a GET of ``url``, or None for 416 (the range asked starts past the end)."""
    request = urllib.request.Request(url, headers={"User-Agent": "rsclip-utils", **headers})
    try:
        return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 - URLs from the registry
    except urllib.error.HTTPError as e:
        if e.code == 416 and "Range" in headers:
            return None
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (TimeoutError, urllib.error.URLError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise OfflineError(f"cannot reach {url} ({reason})") from None


def _resume_headers(part: _Part, pinned: bool) -> dict:
    """``Range`` (and ``If-Range``) to continue ``part``, or {} when it must start over: when
    neither a validator nor a checksum can tell its bytes are those of the file asked."""
    size, meta = part.size(), part.meta()
    validator, length = meta.get("validator"), meta.get("length")
    if not size or not (validator or pinned) or (length is not None and size > length):
        return {}
    return {"Range": f"bytes={size}-", **({"If-Range": validator} if validator else {})}


def _resumes(response, start: int, meta: dict, pinned: bool) -> bool:
    """Whether a 206 answer continues the ``start`` bytes held, of the same file (a 206 without
    ``Content-Range`` only when a checksum will judge the result, or when ``start`` plus its
    Content-Length is the file's size as first announced)."""
    if response.status != 206:
        return False
    content_range = response.headers.get("Content-Range")
    match = _CONTENT_RANGE.fullmatch(content_range or "")
    if content_range and (not match or int(match[1]) != start):
        return False
    if not content_range and not pinned:  # only the sizes can tell it is the rest of the file
        length = _int(response.headers.get("Content-Length"))
        return meta.get("length") is not None and length is not None \
            and start + length == meta["length"]
    validator = _validator(response.headers)
    if meta.get("validator") and validator not in (None, meta["validator"]):
        return False
    total = _int(match[3]) if match else None
    return meta.get("length") is None or total in (None, meta["length"])


def _expected_total(response, start: int) -> int | None:
    """The whole file's size as the response announces it (None when it does not say)."""
    match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range") or "")
    if match and match[3] != "*":
        return int(match[3])
    length = _int(response.headers.get("Content-Length"))
    return start + length if length is not None else None


def _refuse_html(response, url: str, dest: Path) -> None:
    """A web page sent instead of the file (a login, quota or error page with status 200)."""
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind == "text/html" and dest.suffix.lower() not in (".html", ".htm"):
        raise DownloadError(f"{url}: the server sent a web page (Content-Type text/html) instead "
                            f"of {dest.name}; open the URL in a browser to see why (a login, a "
                            f"quota or a moved file), nothing was saved")


def _resumable(part: _Part, pinned: bool) -> bool:
    """Whether a later call can continue ``part``: a validator or a checksum will vouch for it."""
    return bool(part.meta().get("validator") or pinned)


def _write_body(response, part: _Part, start: int, url: str, pinned: bool, progress: bool) -> int:
    """Append (``start`` > 0) or write the body to ``part``; returns the bytes it then holds."""
    from ..progress import tqdm

    total = _expected_total(response, start)
    with part.path.open("ab" if start else "wb") as f, tqdm(
        total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024,
        desc=part.path.name[:-len(".part")], disable=not progress,
    ) as bar:
        try:
            for block in iter(lambda: response.read(CHUNK), b""):
                f.write(block)
                bar.update(len(block))
        except http.client.IncompleteRead as e:  # a body (chunked or not) that ended early
            f.write(e.partial)
            _cut_short(url, part, f, pinned, "the body ended before its last chunk",
                       DownloadError)
        except (TimeoutError, OSError) as e:
            _cut_short(url, part, f, pinned, f"connection lost ({e})", OfflineError)
        return f.tell()


def _cut_short(url: str, part: _Part, f, pinned: bool, why: str, error: type) -> None:
    """Raise ``error`` for a transfer that stopped early; the part is kept only to be resumed."""
    held = f.tell()
    f.close()
    keep = _resumable(part, pinned)
    if not keep:
        part.discard()
    raise error(f"{url}: transfer cut short after {held} bytes: {why}; nothing was recorded; "
                "run again to " + (f"resume from {part.path}" if keep else "start over")) from None


def _fetch_to_part(url: str, part: _Part, pinned: bool, dest: Path, progress: bool,
                   timeout: float) -> tuple[int, int | None]:
    """Fetch ``url`` into ``part``, resumed where it can be; returns (bytes held, bytes expected
    or None when the server does not say)."""
    headers = _resume_headers(part, pinned)
    response = _open(url, headers, timeout)
    if response is None:  # 416: the part holds the whole file, or is no prefix of it
        if pinned:
            return part.size(), None  # the checksum decides
        headers, response = {}, _open(url, {}, timeout)
    with response:
        _refuse_html(response, url, dest)
        resumed = bool(headers) and _resumes(response, part.size(), part.meta(), pinned)
        if headers and response.status == 206 and not resumed:  # not the range held
            part.discard()
            response.close()
            return _fetch_to_part(url, part, pinned, dest, progress, timeout)
        start = part.size() if resumed else 0
        if not resumed:
            part.begin(_validator(response.headers), _expected_total(response, 0))
        held = _write_body(response, part, start, url, pinned, progress)
        return held, _expected_total(response, start)


def _check_size(url: str, part: _Part, held: int, expected: int | None, pinned: bool) -> None:
    """A file shorter (or longer) than announced raises; its part is kept only to be resumed."""
    if expected is None or held == expected:
        return
    keep = held < expected and _resumable(part, pinned)
    if not keep:
        part.discard()
    raise DownloadError(f"{url}: transfer cut short: expected {expected} bytes (Content-Length), "
                        f"received {held}; nothing was recorded; run again to "
                        + (f"resume from {part.path}" if keep else "start over"))


def _accept(part: Path, dest: Path, source: str, sha256: str | None, md5: str | None,
            record: bool) -> Path:
    """Move a complete ``part`` to ``dest`` when its checksums match (else keep it as
    ``dest.bad`` and raise); record its sha256 in ``SHA256SUMS`` when ``record``."""
    got = file_digest(part)
    if sha256 and got != sha256 or md5 and file_digest(part, "md5") != md5:
        bad = dest.with_name(dest.name + ".bad")
        part.replace(bad)
        want = f"sha256 {sha256}" if sha256 else f"md5 {md5}"
        raise DownloadError(f"{source}: checksum mismatch, expected {want}, got sha256 {got} "
                            f"(md5 {file_digest(bad, 'md5')}); the bytes are kept in {bad}")
    part.replace(dest)
    if record:
        _record_sum(dest.parent, dest.name, got)
    return dest


def _copy_local(source: str | Path, path: Path, part: Path) -> None:
    """Copy a local source file to ``part`` (a missing source or a folder raises naming it)."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not found"
        raise DownloadError(f"{source}: local source {path.resolve()} is {what} (expected a file; "
                            "a URL must start with http://, https:// or ftp://)")
    try:
        shutil.copyfile(path, part)
    except OSError as e:
        raise DownloadError(f"{source}: cannot copy {path} to {part} ({e})") from None


def download(
    url: str | Path,
    dest: str | Path,
    *,
    sha256: str | None = None,
    md5: str | None = None,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``url`` (or copy a local path or ``file://`` URL) to ``dest``, check it, return
    ``dest``; see the module docstring for resuming.

    A file already at ``dest`` with the right checksum is not fetched again. The sha256 expected
    is ``sha256``, else the one recorded in ``SHA256SUMS`` beside ``dest`` by an earlier download;
    when there is neither, the computed one of a complete file is recorded there. A transfer
    shorter than announced raises naming both sizes; a mismatch keeps the bytes as ``dest.bad``
    and raises with both digests.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    sha256 = _pinned_hex(sha256, 64, "sha256", str(url))
    md5 = _pinned_hex(md5, 32, "md5", str(url))
    expected = sha256 or read_sums(dest.parent).get(dest.name)
    if dest.is_file() and _matches(dest, expected, md5):
        return dest
    part = _Part(dest.with_name(dest.name + ".part"), str(url))
    local = local_source(url)
    if local is not None:
        _copy_local(url, local, part.path)
    else:
        pinned = bool(expected or md5)
        try:
            held, total = _fetch_to_part(str(url), part, pinned, dest, progress, timeout)
        except OfflineError as e:
            raise OfflineError(f"{e}. Fetch it on a machine with internet and put it at {dest}, "
                               f"or pass the path of the fetched file as the source") from None
        _check_size(str(url), part, held, total, pinned)
        if held == 0 and not pinned:
            part.discard()
            raise DownloadError(f"{url}: the server sent an empty file (0 bytes) for {dest.name} "
                                "and no checksum is published to say that is right; nothing "
                                "was saved or recorded")
    part.sidecar.unlink(missing_ok=True)
    return _accept(part.path, dest, str(url), expected, md5, record=not expected)


def _matches(path: Path, sha256: str | None, md5: str | None) -> bool:
    if sha256 and file_digest(path) != sha256:
        return False
    if md5 and file_digest(path, "md5") != md5:
        return False
    return bool(sha256 or md5)


# --- unpacking -----------------------------------------------------------------------------------


def _safe_members(names: list[str], dest: Path, archive: Path) -> None:
    root = dest.resolve()
    for name in names:
        target = (dest / name).resolve()
        if target != root and root not in target.parents:
            raise DownloadError(f"{archive}: member {name!r} would be written outside {dest}")


def _unpack(archive: Path, dest: Path) -> None:
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            _safe_members(z.namelist(), dest, archive)
            z.extractall(dest)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            _safe_members(t.getnames(), dest, archive)
            t.extractall(dest, filter="data")
    else:
        head = archive.read_bytes()[:40] if archive.is_file() else b""
        raise DownloadError(f"{archive}: neither a zip nor a tar archive (expected one; it "
                            f"begins with {head!r})")


def _move_up(inner: Path, dest: Path) -> None:
    """Move ``inner``'s content into ``dest``, replacing what an earlier unpacking left there."""
    for child in inner.iterdir():
        target = dest / child.name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        shutil.move(str(child), target)
    inner.rmdir()


def extract(archive: str | Path, dest: str | Path, strip: str | None = None) -> Path:
    """Unpack a zip or tar archive into ``dest`` (members that would land outside it are refused,
    a damaged archive raises naming it); with ``strip``, the content of that folder inside the
    archive is moved up into ``dest``, replacing what an earlier unpacking left."""
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        _unpack(archive, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, ValueError) as e:
        raise DownloadError(f"{archive}: damaged archive ({type(e).__name__}: {e}); "
                            "delete it and download it again") from None
    if strip:
        inner = dest / strip
        if not inner.is_dir():
            raise DownloadError(f"{archive}: no folder {strip!r} inside to move up")
        _move_up(inner, dest)
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
