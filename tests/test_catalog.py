"""The dataset registry, the completeness check and the download helper (resume, checksums,
offline), against a local HTTP server with Range support and hand-built folders."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import re
import threading
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from rsclip_utils.catalog import (
    DownloadError,
    OfflineError,
    check_all,
    check_dataset,
    download,
    extract,
    load_registry,
)
from rsclip_utils.catalog.__main__ import main as data_cli
from rsclip_utils.catalog.download import ManualDownloadRequired, fetch_dataset, read_sums
from rsclip_utils.catalog.loaders import LOADERS
from rsclip_utils.errors import FormatError
from rsclip_utils.paths import repo_root

REGISTRY = load_registry()
DET_10 = {"DOTA", "DIOR", "HRRSD", "RSOD", "LEVIR", "HRSC2016", "VisDrone", "AU-AIR",
          "StanfordDrone", "CARPK"}


def test_registry_holds_every_source_the_paper_lists():
    kinds = {k: {e.key for e in REGISTRY.values() if e.kind == k} for k in ("RET", "DET", "SEG")}
    assert kinds["RET"] == {"RSICD", "RSITMD", "UCM"}
    assert kinds["DET"] == DET_10
    assert kinds["SEG"] == {"iSAID", "LoveDA", "Potsdam", "Vaihingen"}
    zero_shot = {e.key for e in REGISTRY.values() if e.kind == "CLS"}
    assert len(zero_shot) == 12  # Table III's twelve sets


def test_every_entry_is_documented_and_loadable():
    readme = (repo_root() / "data" / "README.md").read_text()
    for e in REGISTRY.values():
        assert e.homepage.startswith("https://") and e.licence and e.size and e.citation, e.key
        assert e.loader in LOADERS, e.key
        assert e.mode == "url" or len(e.instructions) > 40, e.key
        assert f"| {e.key} |" in readme, f"data/README.md lists no row for {e.key}"
        for f in e.files:
            assert f.url.startswith("https://") and (f.md5 is None or len(f.md5) == 32)


def test_a_malformed_registry_entry_is_named(tmp_path):
    raw = json.loads((repo_root() / "data" / "registry.json").read_text())
    raw["datasets"]["DOTA"]["kind"] = "DETECTION"
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(FormatError, match=r"datasets\.DOTA\.kind 'DETECTION'"):
        load_registry(path)
    del raw["datasets"]["DOTA"]["kind"]
    path.write_text(json.dumps(raw))
    with pytest.raises(FormatError, match=r"datasets\.DOTA"):
        load_registry(path)


def _tiny_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (90, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


JPEG = _tiny_jpeg()


def _touch(folder: Path, names):
    """Files that hold what their names promise: a decodable JPEG for ``.jpg``, else one byte."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / n).write_bytes(JPEG if n.endswith(".jpg") else b"x")


def test_check_reports_missing_incomplete_and_complete(tmp_path):
    entry = REGISTRY["VisDrone"]
    assert check_dataset(entry, tmp_path).state == "missing"
    base = tmp_path / "VisDrone"
    for split, n in (("train", 6471), ("val", 548)):
        _touch(base / f"VisDrone2019-DET-{split}" / "images", [f"{i}.jpg" for i in range(n)])
        _touch(base / f"VisDrone2019-DET-{split}" / "annotations", [f"{i}.txt" for i in range(n)])
    assert check_dataset(entry, tmp_path).state == "complete"
    (base / "VisDrone2019-DET-val" / "annotations" / "7.txt").unlink()
    status = check_dataset(entry, tmp_path)
    assert status.state == "incomplete"
    assert any("547 files matching *.txt, expected at least 548" in p for p in status.problems)


def test_check_of_scene_folders_counts_classes_and_images(tmp_path):
    entry = REGISTRY["RS2800"]  # 7 classes, 2,800 images
    for c in range(7):
        _touch(tmp_path / "RS2800" / f"c{c}", [f"{i}.jpg" for i in range(400)])
    assert check_dataset(entry, tmp_path).state == "complete"
    (tmp_path / "RS2800" / "c0" / "0.jpg").unlink()
    assert check_dataset(entry, tmp_path).state == "incomplete"


def test_check_opens_what_it_counts(tmp_path):
    entry = REGISTRY["UCM"]  # dataset.json and images/ (2,100)
    base = tmp_path / "UCM"
    _touch(base / "images", [f"{i}.jpg" for i in range(2100)])
    (base / "dataset.json").write_text("<!DOCTYPE html>\n<html><body>Sign in</body></html>\n")
    for i in range(40):
        (base / "images" / f"{i}.jpg").write_bytes(b"")
    for i in range(1000, 2100):  # a copy cut short: the sample of five meets some
        (base / "images" / f"{i}.jpg").write_bytes(JPEG[: len(JPEG) // 2])
    status = check_dataset(entry, tmp_path)
    text = "\n".join(status.problems)
    assert status.state == "incomplete"
    assert f"{base / 'dataset.json'}: an HTML page" in text
    assert f"{base / 'images'}: 40 empty files (0 bytes)" in text
    assert re.search(rf"{base / 'images'}/1\d+\.jpg: not a readable \.jpg file \(OSError",
                     text), text
    (base / "dataset.json").write_text('{"images": [1, 2,]}')
    assert f"{base / 'dataset.json'}:1: JSON does not parse" in "\n".join(
        check_dataset(entry, tmp_path).problems)


def test_check_names_a_file_where_a_folder_should_be(tmp_path):
    entry = REGISTRY["UCM"]
    (tmp_path / "UCM").mkdir()
    (tmp_path / "UCM" / "dataset.json").write_text('{"images": []}')
    (tmp_path / "UCM" / "images").write_bytes(b"a file, not a folder")
    status = check_dataset(entry, tmp_path)
    assert status.state == "incomplete"
    assert len(status.problems) == 1
    assert status.problems[0].startswith(f"{tmp_path / 'UCM' / 'images'}: a file stands where "
                                         "a folder is expected (the 2,100 UC Merced images")
    (tmp_path / "AID").write_bytes(b"")
    status = check_dataset(REGISTRY["AID"], tmp_path)
    assert status.state == "incomplete" and "a file stands where" in status.problems[0]


def test_check_cli_exit_status_and_json(tmp_path, capsys):
    assert data_cli(["check", str(tmp_path), "--only", "DOTA,LoveDA"]) == 1
    out = capsys.readouterr().out
    assert "DOTA" in out and "0 complete, 0 incomplete, 2 missing" in out
    assert data_cli(["check", str(tmp_path), "--only", "DOTA", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)[0]["state"] == "missing"
    assert data_cli(["check", str(tmp_path), "--only", "NoSuchSet"]) == 2
    with pytest.raises(KeyError, match="NoSuchSet"):
        check_all(REGISTRY, tmp_path, ["NoSuchSet"])


def test_a_manual_dataset_explains_what_to_do(tmp_path):
    with pytest.raises(ManualDownloadRequired) as e:
        fetch_dataset(REGISTRY["DOTA"], tmp_path)
    text = str(e.value)
    assert "captain-whu.github.io/DOTA" in text and str(tmp_path / "DOTA") in text
    assert "academic use" in text and "check" in text


# --- a local server with Range support -----------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    honour_range = True
    seen: list[tuple[str, str | None]] = []

    def do_GET(self):  # noqa: N802 - the http.server API
        data = self.files.get(self.path)
        self.seen.append((self.path, self.headers.get("Range")))
        if data is None:
            self.send_error(404)
            return
        rng = self.headers.get("Range")
        if rng and self.honour_range:
            start = int(rng.split("=")[1].rstrip("-"))
            if start >= len(data):
                self.send_error(416)
                return
            body, code = data[start:], 206
        else:
            body, code = data, 200
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    _Handler.files, _Handler.seen, _Handler.honour_range = {}, [], True
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", _Handler
    httpd.shutdown()


PAYLOAD = bytes(range(256)) * 4000  # about 1 MiB


def test_download_records_the_sha256_and_does_not_fetch_twice(server, tmp_path):
    url, handler = server
    handler.files["/a.bin"] = PAYLOAD
    dest = download(url + "/a.bin", tmp_path / "a.bin", progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert read_sums(tmp_path)["a.bin"] == hashlib.sha256(PAYLOAD).hexdigest()
    n = len(handler.seen)
    download(url + "/a.bin", tmp_path / "a.bin", progress=False)
    assert len(handler.seen) == n  # checked against SHA256SUMS, not fetched again


def test_download_resumes_a_partial_file(server, tmp_path):
    url, handler = server
    handler.files["/b.bin"] = PAYLOAD
    (tmp_path / "b.bin.part").write_bytes(PAYLOAD[:300_000])
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    download(url + "/b.bin", tmp_path / "b.bin", sha256=sha, progress=False)
    assert (tmp_path / "b.bin").read_bytes() == PAYLOAD
    assert handler.seen[-1] == ("/b.bin", "bytes=300000-")
    assert not (tmp_path / "b.bin.part").exists()


def test_download_starts_over_when_the_server_ignores_range(server, tmp_path):
    url, handler = server
    handler.files["/c.bin"] = PAYLOAD
    handler.honour_range = False
    (tmp_path / "c.bin.part").write_bytes(b"garbage that must not stay in front")
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    download(url + "/c.bin", tmp_path / "c.bin", md5=md5, progress=False)
    assert (tmp_path / "c.bin").read_bytes() == PAYLOAD


def test_a_checksum_mismatch_keeps_the_bytes_and_names_both_digests(server, tmp_path):
    url, handler = server
    handler.files["/d.bin"] = PAYLOAD
    with pytest.raises(DownloadError, match="checksum mismatch") as e:
        download(url + "/d.bin", tmp_path / "d.bin", sha256="0" * 64, progress=False)
    assert hashlib.sha256(PAYLOAD).hexdigest() in str(e.value)
    assert (tmp_path / "d.bin.bad").read_bytes() == PAYLOAD
    assert not (tmp_path / "d.bin").exists()


def test_http_errors_and_offline_hosts_fail_at_once(server, tmp_path):
    url, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(url + "/missing", tmp_path / "m.bin", progress=False)
    with pytest.raises(OfflineError, match=str(tmp_path / "o.bin")):
        download("http://no-such-host.invalid/o.bin", tmp_path / "o.bin", progress=False,
                 timeout=5)


def test_fetch_dataset_downloads_and_unpacks(server, tmp_path, monkeypatch):
    url, handler = server
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("2750/Forest/f1.jpg", b"jpg")
        z.writestr("2750/River/r1.jpg", b"jpg")
    handler.files["/EuroSAT.zip"] = archive.read_bytes()
    entry = REGISTRY["EuroSAT"]
    local = type(entry.files[0])(**{**entry.files[0].__dict__, "url": url + "/EuroSAT.zip"})
    entry = type(entry)(**{**entry.__dict__, "files": (local,)})
    folder = fetch_dataset(entry, tmp_path / "root", progress=False)
    assert sorted(p.name for p in folder.iterdir()) == ["Forest", "River"]  # 2750/ moved up
    assert (tmp_path / "root" / "downloads" / "EuroSAT" / "EuroSAT.zip").is_file()


def test_extract_refuses_members_outside_the_target(tmp_path):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escaped.txt", b"no")
    with pytest.raises(DownloadError, match="outside"):
        extract(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()
    (tmp_path / "plain.bin").write_bytes(b"neither")
    with pytest.raises(DownloadError, match="neither a zip nor a tar"):
        extract(tmp_path / "plain.bin", tmp_path / "out")


def test_instructions_and_list(capsys):
    assert data_cli(["instructions", "DOTA"]) == 0
    out = capsys.readouterr().out
    assert "train/labelTxt (dir)" in out and "academic use" in out and "Xia et al." in out
    assert data_cli(["instructions", "Nope"]) == 2
    assert data_cli(["list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len([ln for ln in listed if ln.strip()]) == len(REGISTRY)


def test_check_all_files_finds_what_the_sample_misses_and_huge_images_are_opened(tmp_path,
                                                                                capsys):
    entry = REGISTRY["UCM"]
    base = tmp_path / "UCM"
    _touch(base / "images", [f"{i:04d}.jpg" for i in range(2100)])
    (base / "dataset.json").write_text('{"images": []}')
    (base / "images" / "0007.jpg").write_bytes(JPEG[: len(JPEG) // 2])  # between the sample
    assert check_dataset(entry, tmp_path).state == "complete"
    status = check_dataset(entry, tmp_path, sample=None)
    assert status.state == "incomplete" and "0007.jpg: not a readable .jpg" in status.problems[0]
    assert data_cli(["check", str(tmp_path), "--only", "UCM"]) == 0
    assert "up to 5 files of each folder were opened (every file: --all-files)" in \
        capsys.readouterr().out
    assert data_cli(["check", str(tmp_path), "--only", "UCM", "--all-files"]) == 1
    assert "every file was opened" in capsys.readouterr().out
    # a PNG over PIL's decompression-bomb limit (DOTA scenes reach 20,000 px), cut short
    buffer = io.BytesIO()
    Image.new("L", (20_000, 20_000)).save(buffer, "PNG")
    (base / "images" / "0007.jpg").unlink()
    (base / "images" / "0.png").write_bytes(buffer.getvalue()[:1500])
    status = check_dataset(entry, tmp_path)
    assert any("/0.png: not a readable .png" in p for p in status.problems), status.problems
    (base / "images" / "0.png").write_bytes(buffer.getvalue())
    assert check_dataset(entry, tmp_path).state == "complete"
