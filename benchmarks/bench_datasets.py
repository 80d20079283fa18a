"""Throughput of the embedded-data generator (images/s) and of the readers (records/s).

Every number is printed beside a baseline measured in the same run, on the same machine:

- generator: drawing + writing vs only encoding and writing images of the same sizes and
  formats (what any generator must pay), and 1 process vs several;
- readers: building records (checks, boxes, image headers, report) vs the bare parse of the
  same files (text split / ElementTree / json.load), on the embedded sets and, where present,
  on ../shared/realdata.

Reading: drawing a scene costs several times what encoding and writing its files costs, and the
generator scales with processes (the workers are spawned, not forked, which costs about a second
to start). Readers cost more than a bare parse because they look up every image's header (size
and existence, which the bare parse skips), build and clip boxes, and keep the report; the
largest ratios are on formats whose bare parse is a single split or ``json.load`` (DOTA,
Karpathy). All readers handle thousands of records per second, far below the cost of decoding
the images they point to.

    python benchmarks/bench_datasets.py [--scale 0.25] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.config import get_profile
from rsclip_utils.paths import find_realdata
from rsclip_utils.synth import generate_embedded


def timed(fn, repeat: int = 3) -> float:
    """Median wall time of ``fn()`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def encode_only(root: Path, summary_root: Path) -> float:
    """Time to encode and write noise images with the sizes and formats of a generated set."""
    files = [p for p in summary_root.rglob("*") if p.suffix in (".jpg", ".png")]
    rng = np.random.default_rng(0)
    jobs = []
    for p in files:
        with Image.open(p) as im:
            jobs.append((p.suffix, im.size, im.mode))
    out = root / "encode_only"
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, (suffix, (w, h), mode) in enumerate(jobs):
        channels = 3 if mode == "RGB" else 1
        arr = rng.integers(0, 255, (h, w, channels) if channels == 3 else (h, w), dtype=np.uint8)
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG" if suffix == ".jpg" else "PNG", quality=95)
        (out / f"{i}{suffix}").write_bytes(buf.getvalue())
    return time.perf_counter() - start


def bench_generator(tmp: Path, scale: float, workers: int) -> tuple[list[tuple], Path]:
    spec = get_profile("default").synth
    spec = replace(
        spec,
        **{
            k: max(1, int(getattr(spec, k) * scale))
            for k in (
                "ret_images",
                "dota_images",
                "voc_images",
                "loveda_images",
                "isaid_images",
                "cls_per_class",
                "count_images",
                "planted_duplicates",
            )
        },
    )
    rows = []
    one = generate_embedded(tmp / "gen1", spec, workers=1, progress=False)
    many = generate_embedded(tmp / "genN", spec, workers=workers, progress=False)
    base = encode_only(tmp, tmp / "gen1")
    n = one["images"]
    rows.append(
        (
            "generator, 1 process",
            f"{n / one['seconds']:.0f} images/s",
            f"encode+write only: {n / base:.0f} images/s",
            f"{one['seconds'] / base:.2f}x the encode-only time",
        )
    )
    rows.append(
        (
            f"generator, {workers} processes",
            f"{n / many['seconds']:.0f} images/s",
            "1 process",
            f"{one['seconds'] / many['seconds']:.2f}x faster",
        )
    )
    return rows, tmp / "gen1"


def bare_parse(paths: list[Path], kind: str) -> None:
    for p in paths:
        if kind == "txt":
            [line.split() for line in p.read_text(encoding="utf-8-sig").splitlines()]
        elif kind == "xml":
            ET.parse(p)
        elif kind == "json":
            json.loads(p.read_text())
        elif kind == "header":
            with Image.open(p) as im:
                _ = im.size


def reader_cases(emb: Path, real: Path | None) -> list[tuple]:
    cases = [
        (
            "DOTA labelTxt (embedded)",
            lambda: ds.read_dota(emb / "det_dota" / "train" / "labelTxt"),
            sorted((emb / "det_dota" / "train" / "labelTxt").glob("*.txt")),
            "txt",
        ),
        (
            "VOC XML (embedded)",
            lambda: ds.read_voc(emb / "det_voc" / "Annotations"),
            sorted((emb / "det_voc" / "Annotations").glob("*.xml")),
            "xml",
        ),
        (
            "Karpathy JSON (embedded)",
            lambda: ds.read_karpathy(emb / "ret" / "dataset.json"),
            [emb / "ret" / "dataset.json"],
            "json",
        ),
        (
            "scene folders (embedded)",
            lambda: ds.read_scene_folders(emb / "cls"),
            sorted((emb / "cls").rglob("*.jpg")),
            "header",
        ),
    ]
    if real is not None:
        cases += [
            (
                "NWPU VHR-10 txt (real)",
                lambda: ds.read_nwpu_vhr10(real / "nwpu_vhr10" / "ground truth"),
                sorted((real / "nwpu_vhr10" / "ground truth").glob("*.txt")),
                "txt",
            ),
            (
                "HRRSD VOC XML (real)",
                lambda: ds.read_voc(real / "hrrsd" / "OPT2017" / "Annotations"),
                sorted((real / "hrrsd" / "OPT2017" / "Annotations").glob("*.xml")),
                "xml",
            ),
            (
                "NWPU COCO JSON (real)",
                lambda: ds.read_coco(
                    real / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json"
                ),
                [real / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json"],
                "json",
            ),
            (
                "RSICD precomp (real)",
                lambda: ds.read_precomp(real / "captions_amfmn_precomp" / "rsicd_precomp"),
                sorted((real / "captions_amfmn_precomp" / "rsicd_precomp").glob("*.txt")),
                "txt",
            ),
        ]
    rows = []
    for name, read, files, kind in cases:
        n = len(read())
        t_read = timed(read)
        t_base = timed(lambda files=files, kind=kind: bare_parse(files, kind))
        rows.append(
            (
                name,
                f"{n / t_read:,.0f} records/s",
                f"bare parse: {n / t_base:,.0f} records/s",
                f"{t_read / t_base:.2f}x the bare parse",
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.25, help="fraction of the default set")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-bench-"))
    try:
        gen_rows, emb = bench_generator(tmp, args.scale, args.workers)
        rows = gen_rows + reader_cases(emb, find_realdata())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{platform.platform()}"
    )
    print("| what | measured | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
