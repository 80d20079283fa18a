"""The download helper against a local HTTP server that can lie: a Content-Length longer than the
body, ETags that change, Range or If-Range ignored, a web page instead of the file; local paths
as sources; a malformed SHA256SUMS; re-unpacking an archive."""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from rsclip_utils.catalog import DownloadError, download, extract
from rsclip_utils.catalog.download import ChecksumFileError, read_sums
from rsclip_utils.errors import FormatError

PAYLOAD = bytes(range(256)) * 400  # 100 KiB
OTHER = bytes(reversed(PAYLOAD))


@dataclass
class Resource:
    """What the server holds at one path and how it misbehaves."""

    data: bytes
    etag: str | None = None
    short_by: int = 0  # announce this many bytes more than it sends
    honour_range: bool = True
    honour_if_range: bool = True
    content_type: str = "application/octet-stream"
    chunked_cut: bool = False  # send one chunk of a chunked body, then close without the last
    content_range: bool = True  # send Content-Range with a 206
    whole_206: bool = False  # answer a Range with 206 and the whole file, no Content-Range


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, Resource] = {}
    seen: list[dict] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        self.seen.append({"path": self.path, "Range": self.headers.get("Range"),
                          "If-Range": self.headers.get("If-Range")})
        res = self.files.get(self.path)
        if res is None:
            self.send_error(404)
            return
        if res.chunked_cut:
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(res.data) // 2, res.data[: len(res.data) // 2]))
            return
        start = self._start(res)
        if start >= len(res.data) > 0:
            self.send_error(416)
            return
        if res.whole_206 and start:
            start, res = 0, Resource(res.data, res.etag, content_range=False)
            self.send_response(206)
        else:
            self.send_response(206 if start else 200)
        body = res.data[start:]
        if start and res.content_range:
            self.send_header("Content-Range", f"bytes {start}-{len(res.data) - 1}/"
                                              f"{len(res.data) + res.short_by}")
        self.send_header("Content-Length", str(len(body) + res.short_by))
        self.send_header("Content-Type", res.content_type)
        if res.etag:
            self.send_header("ETag", res.etag)
        self.end_headers()
        self.wfile.write(body)  # then the connection closes (HTTP/1.0)

    def _start(self, res: Resource) -> int:
        rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        if not rng or not res.honour_range:
            return 0
        if if_range and res.honour_if_range and if_range != res.etag:
            return 0  # the file changed: send it whole
        return int(rng.split("=")[1].rstrip("-"))

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    _Handler.files, _Handler.seen = {}, []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()
    httpd.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_stale_part_of_other_bytes_is_not_resumed_without_a_checksum(server, tmp_path):
    url, handler = server
    handler.files["/a.bin"] = Resource(PAYLOAD, etag='"v1"')
    (tmp_path / "a.bin.part").write_bytes(OTHER[:30_000])  # left by some other file
    download(url + "/a.bin", tmp_path / "a.bin", progress=False)
    assert (tmp_path / "a.bin").read_bytes() == PAYLOAD
    assert handler.seen[-1]["Range"] is None  # no validator to vouch for it: from the start
    assert read_sums(tmp_path)["a.bin"] == _sha(PAYLOAD)


def test_a_short_transfer_raises_and_records_nothing(server, tmp_path):
    url, handler = server
    handler.files["/b.bin"] = Resource(PAYLOAD, short_by=5000)  # no ETag: cannot be resumed
    with pytest.raises(DownloadError, match=rf"/b\.bin: transfer cut short: expected "
                                            rf"{len(PAYLOAD) + 5000} bytes.*received "
                                            rf"{len(PAYLOAD)}.*start over"):
        download(url + "/b.bin", tmp_path / "b.bin", progress=False)
    assert not (tmp_path / "b.bin").exists() and not (tmp_path / "SHA256SUMS").exists()
    assert not (tmp_path / "b.bin.part").exists()
    handler.files["/b.bin"] = Resource(PAYLOAD)
    download(url + "/b.bin", tmp_path / "b.bin", progress=False)
    assert (tmp_path / "b.bin").read_bytes() == PAYLOAD


def test_a_cut_transfer_resumes_with_if_range(server, tmp_path):
    url, handler = server
    handler.files["/c.bin"] = Resource(PAYLOAD[:60_000], etag='"v1"',
                                       short_by=len(PAYLOAD) - 60_000)
    with pytest.raises(DownloadError, match="resume from"):
        download(url + "/c.bin", tmp_path / "c.bin", progress=False)
    assert (tmp_path / "c.bin.part").stat().st_size == 60_000
    handler.files["/c.bin"] = Resource(PAYLOAD, etag='"v1"')
    download(url + "/c.bin", tmp_path / "c.bin", progress=False)
    assert handler.seen[-1] == {"path": "/c.bin", "Range": "bytes=60000-", "If-Range": '"v1"'}
    assert (tmp_path / "c.bin").read_bytes() == PAYLOAD
    assert not (tmp_path / "c.bin.part.json").exists()


@pytest.mark.parametrize("honour_if_range", [True, False])
def test_a_file_changed_since_the_part_was_begun_comes_whole(server, tmp_path, honour_if_range):
    url, handler = server
    handler.files["/d.bin"] = Resource(OTHER[:60_000], etag='"old"', short_by=40_000)
    with pytest.raises(DownloadError, match="cut short"):
        download(url + "/d.bin", tmp_path / "d.bin", progress=False)
    # a 200 to If-Range, or a 206 with another ETag: start over, never append
    handler.files["/d.bin"] = Resource(PAYLOAD, etag='"new"', honour_if_range=honour_if_range)
    download(url + "/d.bin", tmp_path / "d.bin", progress=False)
    assert (tmp_path / "d.bin").read_bytes() == PAYLOAD
    assert read_sums(tmp_path)["d.bin"] == _sha(PAYLOAD)


def test_sha256sums_is_replaced_whole_or_not_at_all(server, tmp_path, monkeypatch):
    url, handler = server
    handler.files["/e.bin"] = Resource(PAYLOAD)
    before = f"{_sha(b'old')}  old.bin\n"
    (tmp_path / "SHA256SUMS").write_text(before)
    real_write = Path.write_text

    def crash_half_way(self, text, *args, **kwargs):  # the disk fills while SHA256SUMS is written
        if "old.bin" not in text:
            return real_write(self, text, *args, **kwargs)
        real_write(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", crash_half_way)
    with pytest.raises(OSError, match="No space"):
        download(url + "/e.bin", tmp_path / "e.bin", progress=False)
    monkeypatch.undo()
    assert (tmp_path / "SHA256SUMS").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_local_paths_are_copied_with_the_same_checks(tmp_path, monkeypatch):
    source = tmp_path / "fetched by hand" / "f.zip"
    source.parent.mkdir()
    source.write_bytes(PAYLOAD)
    out = tmp_path / "out"
    download(str(source), out / "f1.zip", progress=False)
    download(source.as_uri(), out / "f2.zip", progress=False)
    monkeypatch.chdir(source.parent)
    download("f.zip", out / "f3.zip", sha256=_sha(PAYLOAD), progress=False)
    assert all((out / f"f{i}.zip").read_bytes() == PAYLOAD for i in (1, 2, 3))
    assert read_sums(out) == {"f1.zip": _sha(PAYLOAD), "f2.zip": _sha(PAYLOAD)}
    with pytest.raises(DownloadError, match=r"f\.zip: checksum mismatch"):
        download("f.zip", out / "f4.zip", sha256="0" * 64, progress=False)
    with pytest.raises(DownloadError, match=r"nope\.zip.*not found \(expected a file"):
        download("nope.zip", out / "f5.zip", progress=False)
    with pytest.raises(DownloadError, match=r"s3://b/f\.zip: unsupported source"):
        download("s3://b/f.zip", out / "f6.zip", progress=False)


def test_a_malformed_sums_line_names_the_file_and_the_line(tmp_path):
    sums = tmp_path / "SHA256SUMS"
    sums.write_bytes(f"{_sha(b'a')} *a.bin\r\n\r\n{_sha(b'b').upper()}  b c.bin\r\n".encode())
    assert read_sums(tmp_path) == {"a.bin": _sha(b"a"), "b c.bin": _sha(b"b")}
    sums.write_text(f"{_sha(b'a')}  a.bin\n{_sha(b'b')}\n")
    with pytest.raises(FormatError, match=r"SHA256SUMS:2: .* no file name \(expected '<64 hex"):
        read_sums(tmp_path)
    sums.write_text("d41d8cd98f00b204e9800998ecf8427e  a.bin\n")  # an md5
    with pytest.raises(ChecksumFileError, match=r"SHA256SUMS:1: digest 'd41d8.*not a sha256"):
        download("http://127.0.0.1:9/a.bin", tmp_path / "a.bin", progress=False)


def test_a_web_page_instead_of_the_file_is_refused(server, tmp_path):
    url, handler = server
    handler.files["/g.zip"] = Resource(b"<!DOCTYPE html><p>quota exceeded</p>",
                                       content_type="text/html; charset=utf-8")
    with pytest.raises(DownloadError, match=r"/g\.zip: the server sent a web page"):
        download(url + "/g.zip", tmp_path / "g.zip", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_unpacking_again_with_strip_replaces_rather_than_nests(tmp_path):
    archive = tmp_path / "s.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("top/Forest/f1.jpg", b"jpg")
    extract(archive, tmp_path / "out", strip="top")
    extract(archive, tmp_path / "out", strip="top")
    assert sorted(p.relative_to(tmp_path / "out").as_posix()
                  for p in (tmp_path / "out").rglob("*")) == ["Forest", "Forest/f1.jpg"]
    (tmp_path / "cut.zip").write_bytes(archive.read_bytes()[:-30])
    with pytest.raises(DownloadError, match=r"cut\.zip: neither a zip nor a tar archive"):
        extract(tmp_path / "cut.zip", tmp_path / "out2")


def test_a_chunked_body_cut_short_is_refused_and_not_recorded(server, tmp_path):
    url, handler = server
    handler.files["/h.bin"] = Resource(PAYLOAD, chunked_cut=True)
    with pytest.raises(DownloadError, match=r"/h\.bin: transfer cut short after 51200 bytes: "
                                            r"the body ended before its last chunk.*start over"):
        download(url + "/h.bin", tmp_path / "h.bin", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("answer, ranges", [
    ({"content_range": False}, ["bytes=60000-"]),  # the rest: the sizes add up, appended
    ({"whole_206": True}, ["bytes=60000-", None]),  # the whole file: begun again, not appended
])
def test_a_206_without_content_range_resumes_only_when_the_sizes_add_up(server, tmp_path, answer,
                                                                       ranges):
    url, handler = server
    handler.files["/i.bin"] = Resource(PAYLOAD[:60_000], etag='"v1"',
                                       short_by=len(PAYLOAD) - 60_000)
    with pytest.raises(DownloadError, match="resume from"):
        download(url + "/i.bin", tmp_path / "i.bin", progress=False)
    handler.files["/i.bin"] = Resource(PAYLOAD, etag='"v1"', **answer)
    seen = len(handler.seen)
    download(url + "/i.bin", tmp_path / "i.bin", progress=False)
    assert (tmp_path / "i.bin").read_bytes() == PAYLOAD
    assert [r["Range"] for r in handler.seen[seen:]] == ranges


def test_an_empty_body_without_a_checksum_is_refused(server, tmp_path):
    url, handler = server
    handler.files["/j.zip"] = Resource(b"")
    with pytest.raises(DownloadError, match=r"/j\.zip: the server sent an empty file"):
        download(url + "/j.zip", tmp_path / "j.zip", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_sums_lines_as_sha256sum_writes_them_and_conflicting_lines(tmp_path):
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(f"{_sha(b'a')}  ./a.bin\n{_sha(b'a')}  a.bin\n")
    assert read_sums(tmp_path) == {"a.bin": _sha(b"a")}
    sums.write_text(f"{_sha(b'a')}  a.bin\n\n{_sha(b'b')}  ./a.bin\n")
    with pytest.raises(ChecksumFileError, match=r"SHA256SUMS:3: a\.bin is given another "
                                                r"digest on line 1"):
        read_sums(tmp_path)
