"""Box-to-Caption batch throughput: records -> manifest.tsv, in captions per second.

Measured on the embedded detection sets (DOTA- and DIOR-style) plus Mask-to-Box records of the
embedded SEG sets, at a quarter of the default profile. Baseline in the same run: the same
records written with one fixed caption each through the same TSV writer (what any manifest
costs), so the ratio is the price of the B2C rules and the 77-token check.

Reading: the B2C rules and the token check cost a few times a bare row write; divide the
828,725 captions of the paper's full set by the captions/s to see what B2C costs at full scale.

    python benchmarks/bench_b2c.py [--scale 0.25]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import write_manifest
from rsclip_utils.config import get_profile
from rsclip_utils.m2b import run_m2b
from rsclip_utils.manifest import write_manifest_rows
from rsclip_utils.synth import generate_embedded


def baseline(records, path: Path) -> int:
    """The same rows without B2C: one placeholder caption per image, the same writer."""
    return write_manifest_rows(path, (
        (str(Path(r.image).resolve()), f"{len(r.objects)} objects", r.source, r.image_id,
         r.split or "") for r in records if r.objects and r.width and Path(r.image).is_file()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.25)
    args = parser.parse_args()
    spec = get_profile("default").synth
    spec = replace(spec, **{k: max(1, int(getattr(spec, k) * args.scale)) for k in
                            ("ret_images", "dota_images", "voc_images", "loveda_images",
                             "isaid_images", "cls_per_class", "count_images",
                             "planted_duplicates")})
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-b2c-"))
    try:
        generate_embedded(tmp / "emb", spec, progress=False)
        sets = ds.load_embedded(tmp / "emb")
        m2b_records, _ = run_m2b(list(sets["loveda"]) + list(sets["isaid"]), progress=False)
        records = list(sets["dota"]) + list(sets["voc"]) + m2b_records
        write_manifest(records[:5], tmp / "warm.tsv", progress=False)  # load the tokenizer
        start = time.perf_counter()
        report = write_manifest(records, tmp / "manifest.tsv", progress=False)
        t_b2c = time.perf_counter() - start
        start = time.perf_counter()
        n_base = baseline(records, tmp / "baseline.tsv")
        t_base = time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    captions = sum(s["captions"] for s in report.to_dict().values())
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores")
    print("| what | measured | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    print(f"| B2C, {len(records)} records -> {captions} captions | {captions / t_b2c:,.0f} "
          f"captions/s | one fixed caption per image: {n_base / t_base:,.0f} rows/s | "
          f"{(t_b2c / captions) / (t_base / n_base):.1f}x the time per row |")


if __name__ == "__main__":
    main()
