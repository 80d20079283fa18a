"""The cost of the reuse rule's digests (rsclip_utils.stamps) at the paper profile's sizes.

A stamp hashes each file once, when it is written (SHA-256), and on reuse compares size and
modification time (one ``stat``), hashing again only a file whose time changed or when content
verification is asked. Measured here on files written in a temporary folder: SHA-256 throughput
against plain reading of the same bytes (the baseline, same run), and ``stat`` per file. Then
extrapolated to the paper profile: 165,745 images (Table I) at the mean size of the real samples
in ``../shared/realdata`` (or 500 kB where absent), the shards of 256-px JPEGs (their mean size
measured on the default run's shards when present, else 20 kB) and a manifest of 828,725 rows.

    python benchmarks/bench_digest.py
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from rsclip_utils.paths import find_realdata, repo_root
from rsclip_utils.stamps import file_sha256, listing, same_file

PAPER_IMAGES = 165_745  # Table I
PAPER_PAIRS = 828_725


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def read_all(paths):
    for p in paths:
        with open(p, "rb") as f:
            while f.read(1 << 20):
                pass


def mean_size(folder, suffixes) -> float | None:
    sizes = [p.stat().st_size for p in Path(folder).rglob("*") if p.suffix.lower() in suffixes]
    return sum(sizes) / len(sizes) if sizes else None


def main() -> None:
    rng_bytes = os.urandom(1 << 20)
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k in range(400):  # 400 files of 512 kB: 200 MB
            p = Path(tmp) / f"{k:04d}.bin"
            p.write_bytes(rng_bytes[: 1 << 19] + k.to_bytes(4, "little"))
            paths.append(p)
        total = sum(p.stat().st_size for p in paths)
        t_read = best(lambda: read_all(paths))
        t_hash = best(lambda: [file_sha256(p) for p in paths])
        recorded = [{"bytes": p.stat().st_size, "mtime_ns": p.stat().st_mtime_ns,
                     "sha256": file_sha256(p)} for p in paths]
        t_stat = best(lambda: [same_file(p, r) for p, r in zip(paths, recorded)])
        t_list = best(lambda: listing(paths))
    mb = total / 1e6
    print("| measure | this run | baseline (read only) | ratio |")
    print("|---|---|---|---|")
    print(f"| SHA-256 of {len(paths)} files, {mb:.0f} MB | {mb / t_hash:.0f} MB/s | "
          f"{mb / t_read:.0f} MB/s | {t_hash / t_read:.2f}x the read |")
    print(f"| quick reuse test (stat, size and time) | {t_stat / len(paths) * 1e6:.1f} us/file "
          f"| | {t_stat / t_hash:.4f}x the hash |")
    print(f"| listing (path, size, time) | {t_list / len(paths) * 1e6:.1f} us/file | | |")
    real = find_realdata()
    image_mean = (mean_size(real, {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"})
                  if real else None)
    shards = repo_root() / "runs" / "default" / "shards"
    shard_mean = None
    if shards.is_dir():
        tars = list(shards.glob("shard-*.tar"))
        samples = 0
        index = shards / "shards.json"
        if index.is_file() and tars:
            import json
            samples = json.loads(index.read_text())["samples"]
            shard_mean = sum(t.stat().st_size for t in tars) / max(1, samples)
    image_mean = image_mean or 500e3
    shard_mean = shard_mean or 20e3
    rate = mb / t_hash * 1e6  # bytes/s
    per_stat = t_stat / len(paths)
    print()
    print("Extrapolated to the paper profile (hash once at write; quick test at every reuse):")
    print()
    print("| output | files | bytes | hash at write | quick test at reuse |")
    print("|---|---|---|---|---|")
    rows = [("source images (165,745, Table I)", PAPER_IMAGES, PAPER_IMAGES * image_mean),
            ("shards (1,000 samples each)", -(-PAPER_IMAGES // 1000),
             PAPER_IMAGES * shard_mean),
            ("manifest (828,725 rows, ~120 B each)", 1, PAPER_PAIRS * 120)]
    for name, files, size in rows:
        print(f"| {name} | {files:,} | {size / 1e9:.2f} GB | {size / rate:.0f} s | "
              f"{files * per_stat:.2f} s |")
    print()
    print(f"Mean image size used: {image_mean / 1e3:.0f} kB "
          f"({'the real samples' if real else 'assumed'}); shard bytes per sample: "
          f"{shard_mean / 1e3:.1f} kB "
          f"({'the default run' if shards.is_dir() else 'assumed'}). The files are read from the "
          "page cache here: from a disk, the hash at write waits on the disk's rate instead "
          "(it is taken while the stage writes or reads the file anyway).")


if __name__ == "__main__":
    main()
