"""p-Hash de-duplication speed.

1. ``duplicate_groups`` on 1,000,000 random 64-bit hashes with 1 % planted near-duplicates,
   distance <= 1, exact; and the same where 10 % of the hashes are one identical value.
   Target (issue 6): at most 1 s on one core. Baselines in the same
   run: sorting the hashes once (np.sort) and, on a 20,000-hash
   subset, brute-force NumPy popcount against the index.
2. ``phash_files`` images/s against ``imagehash.phash`` looping in one process, on the images of
   a generated embedded set.

Reading: 4 and 2 segments take the same time because the segments are merged into
``max_distance + 1`` keys of consecutive segments (the pigeonhole guarantee still holds, and
32-bit buckets almost never hold two unrelated hashes); the paper's one dictionary per 16-bit
segment gives the same pairs and is kept as ``merge=False``. ``np.unique`` with neither index nor
inverse is slow in NumPy 2.4, so the identical-hash collapse uses one ``argsort`` and
``minimum.reduceat``; bucket keys are cast to the narrowest unsigned type. Hashing runs one
batched DCT per chunk of images.

    python benchmarks/bench_dedup.py
"""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image

from rsclip_utils.config import get_profile
from rsclip_utils.dedup import (
    brute_force_pairs,
    duplicate_groups,
    find_duplicate_pairs,
    phash_files,
)
from rsclip_utils.synth import generate_embedded


def planted_hashes(n: int, rng, identical: float = 0.0) -> np.ndarray:
    h = rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True)
    k = n // 100  # 1 % near-duplicates: copies of other hashes with one bit flipped
    h[:k] = h[k:2 * k] ^ (np.uint64(1) << rng.integers(0, 64, k).astype(np.uint64))
    m = int(n * identical)
    if m:
        h[2 * k:2 * k + m] = h[2 * k]
    return h


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores (the index uses one)")
    print("| what | measured | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for identical in (0.0, 0.10):
        h = planted_hashes(1_000_000, rng, identical)
        t_sort, _ = timed(lambda h=h: np.sort(h))
        for segments in (4, 2):
            t, groups = timed(lambda h=h, s=segments: duplicate_groups(h, 1, s))
            label = f"duplicate_groups, 1M hashes, {int(identical * 100)} % identical, " \
                    f"{segments} segments"
            print(f"| {label} | {t:.2f} s ({len(np.unique(groups)):,} groups) | "
                  f"np.sort of the hashes: {t_sort:.2f} s | {t / t_sort:.1f}x the sort |")
    small = np.unique(planted_hashes(20_000, rng))
    t_brute, brute = timed(lambda: brute_force_pairs(small, 1), repeat=1)
    t_index, pairs = timed(lambda: find_duplicate_pairs(small, 1, 4))
    assert np.array_equal(brute, pairs)
    print(f"| find_duplicate_pairs, 20k hashes, 4 segments | {t_index * 1e3:.1f} ms | "
          f"brute force: {t_brute:.2f} s | {t_brute / t_index:,.0f}x faster |")

    tmp = Path(tempfile.mkdtemp(prefix="rsclip-phash-"))
    try:
        spec = replace(get_profile("smoke").synth, ret_images=400, cls_per_class=20)
        generate_embedded(tmp, spec, progress=False)
        paths = sorted(p for p in tmp.rglob("*") if p.suffix in (".jpg", ".png")
                       and "instance" not in p.name and "masks" not in str(p))
        paths = paths * 8  # enough work that starting the worker processes does not dominate
        t_ref, ref = timed(lambda: [int(str(imagehash.phash(Image.open(p))), 16) for p in paths],
                           repeat=1)
        t_one, one = timed(lambda: phash_files(paths, workers=1, progress=False), repeat=1)
        t_two, two = timed(lambda: phash_files(paths, workers=2, progress=False), repeat=1)
        assert one.hashes.tolist() == ref == two.hashes.tolist()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n = len(paths)
    print(f"| phash_files, {n} images, 1 process | {n / t_one:,.0f} images/s | imagehash.phash "
          f"loop: {n / t_ref:,.0f} images/s | {t_ref / t_one:.2f}x faster |")
    print(f"| phash_files, {n} images, 2 processes | {n / t_two:,.0f} images/s | imagehash.phash "
          f"loop: {n / t_ref:,.0f} images/s | {t_ref / t_two:.2f}x faster |")


if __name__ == "__main__":
    main()
