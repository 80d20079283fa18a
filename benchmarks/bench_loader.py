"""Loader throughput: the manifest read row by row against decode-once shards, on large images.

The images are generated at the sizes of the paper's largest sources: DOTA-size scenes (1,500 x
1,500 PNG) and AU-AIR / Stanford Drone frames (1,920 x 1,080 JPEG), with five caption rows each
as B2C writes them. Every number is samples (image + caption, augmented to 224 px) per second,
measured in this one run:

1. the raw manifest path: ``ManifestDataset`` without its in-memory cache, so every row opens
   and decodes its file at full size (the paper profile's 165k images do not fit in memory), in
   this process and with a ``DataLoader`` of one worker per core;
2. the same images written once to shards (``rsclip_utils.shards``, shorter side 256, JPEG 95;
   the time that takes is shown) and read through ``ShardDataset``, the same two ways;
3. the ratio of the two, per core and with every core. Target: at least 10x per core.
4. For context: the raw path with the loop's in-memory cache (each image decoded once per
   process, then reused by its other four rows), which only small runs can afford.
5. With a CUDA device: the time of one ViT-B-32 AMP training step at batch 256, against the time
   each path needs to make that batch with every core.

    python benchmarks/bench_loader.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import open_clip
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rsclip_utils.manifest import write_manifest_rows  # noqa: E402
from rsclip_utils.shards import ShardSpec, distinct_images, write_shards  # noqa: E402
from rsclip_utils.train_data import ManifestDataset, ShardDataset  # noqa: E402

MEAN, STD = (0.48, 0.46, 0.41), (0.27, 0.26, 0.28)
SIZE = 224
IMAGES_PER_KIND = 12
CAPTIONS = 5


def scene(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A top-down-looking scene: smooth ground, many small bright objects, sensor noise."""
    ground = Image.fromarray(rng.integers(40, 200, (24, 24, 3), dtype=np.uint8))
    a = np.asarray(ground.resize((width, height), Image.Resampling.BICUBIC)).astype(np.int16)
    for _ in range(300):
        x, y = rng.integers(0, width - 20), rng.integers(0, height - 20)
        w, h = rng.integers(4, 20, 2)
        a[y:y + h, x:x + w] = rng.integers(0, 255, 3)
    a += rng.integers(-6, 7, a.shape, dtype=np.int16)
    return Image.fromarray(a.clip(0, 255).astype(np.uint8))


def make_manifest(folder: Path, images_per_kind: int = IMAGES_PER_KIND,
                  scale: float = 1.0) -> Path:
    """A manifest of ``images_per_kind`` DOTA-size PNGs and 1080p JPEGs (sizes times
    ``scale``), ``CAPTIONS`` rows each."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(images_per_kind):
        for name, (w, h), ext in (("dota", (1500, 1500), "png"), ("uav", (1920, 1080), "jpg")):
            path = folder / f"{name}_{k}.{ext}"
            image = scene(rng, int(w * scale), int(h * scale))
            image.save(path, quality=90) if ext == "jpg" else image.save(path)
            rows += [(str(path), f"caption {j} of {name} {k}", name, f"{name}{k}", "train")
                     for j in range(CAPTIONS)]
    manifest = folder / "manifest.tsv"
    write_manifest_rows(manifest, rows)
    return manifest


def rate(dataset, samples: int, workers: int, batch: int = 8) -> float:
    """Samples per second, reading ``samples`` samples (in index order, wrapping around).

    With workers, their start (each imports torch and opens its files) is not timed: the first
    two batches per worker are read before the clock starts, and the timed part holds at least
    16 batches per worker, so that the rate is the workers' steady one however many there are.
    """
    if workers == 0:
        indices = [i % len(dataset) for i in range(samples)]
        start = time.perf_counter()
        for i in indices:
            dataset[i]
        return samples / (time.perf_counter() - start)
    warmup, timed = 2 * workers, max(-(-samples // batch), 16 * workers)
    indices = [i % len(dataset) for i in range((warmup + timed) * batch)]
    batches = [indices[k:k + batch] for k in range(0, len(indices), batch)]
    loader = iter(torch.utils.data.DataLoader(dataset, batch_sampler=batches,
                                              num_workers=workers))
    for _ in range(warmup):
        next(loader)
    start = time.perf_counter()
    for _ in loader:
        pass
    return timed * batch / (time.perf_counter() - start)


def gpu_step_time(batch: int = 256) -> float | None:
    """Seconds per ViT-B-32 AMP (float16) step of the loop's ``train_step`` at ``batch``, random
    init; None without CUDA."""
    if not torch.cuda.is_available():
        return None
    from rsclip_utils.models import create_model
    from rsclip_utils.training import train_step

    bundle = create_model("ViT-B-32", None, device="cuda")
    model = bundle.model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    scaler = torch.amp.GradScaler("cuda")
    images = torch.randn(batch, 3, 224, 224, device="cuda")
    texts = bundle.tokenizer(["many planes parked at an airport"] * batch).cuda()
    for _ in range(3):
        train_step(model, opt, scaler, images, texts, torch.float16)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        train_step(model, opt, scaler, images, texts, torch.float16)
    torch.cuda.synchronize()
    return (time.perf_counter() - start) / 10


def main() -> None:
    cores = os.cpu_count() or 1
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-loader-"))
    try:
        manifest = make_manifest(tmp)
        tokenizer = open_clip.get_tokenizer("RN50")
        n_images, n_rows = 2 * IMAGES_PER_KIND, 2 * IMAGES_PER_KIND * CAPTIONS
        start = time.perf_counter()
        report = write_shards(manifest, tmp / "shards", ShardSpec(samples_per_shard=6),
                              workers=cores, progress=False)
        prep = time.perf_counter() - start
        raw = ManifestDataset(manifest, SIZE, MEAN, STD, tokenizer, cache_images=False)
        shards = ShardDataset(tmp / "shards", SIZE, MEAN, STD, tokenizer)
        cached = ManifestDataset(manifest, SIZE, MEAN, STD, tokenizer, cache_images=True)
        rates = {
            ("raw", 0): rate(raw, n_rows, 0),
            ("raw", cores): rate(raw, n_rows, cores),
            ("shards", 0): rate(shards, n_rows, 0),
            ("shards", cores): rate(shards, n_rows, cores),
            ("cached", 0): rate(cached, n_rows, 0),
        }
        source_bytes = sum(Path(e["filepath"]).stat().st_size for e in distinct_images(manifest))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{n_images} images ({IMAGES_PER_KIND} PNG 1,500 x 1,500, {IMAGES_PER_KIND} JPEG "
          f"1,920 x 1,080), {n_rows} caption rows; {cores} cores; samples augmented to {SIZE} px")
    print()
    print("| path | 1 process (samples/s) | "
          f"{cores} workers (samples/s) |")
    print("|---|---|---|")
    print(f"| raw manifest, every row decoded at full size | {rates['raw', 0]:.1f} | "
          f"{rates['raw', cores]:.1f} |")
    print(f"| shards, decoded once at preparation | {rates['shards', 0]:.1f} | "
          f"{rates['shards', cores]:.1f} |")
    print(f"| **shards / raw** | **{rates['shards', 0] / rates['raw', 0]:.1f}x** | "
          f"**{rates['shards', cores] / rates['raw', cores]:.1f}x** |")
    print(f"| raw manifest with the loop's in-memory cache (first pass, small runs only) | "
          f"{rates['cached', 0]:.1f} | - |")
    print()
    print(f"Preparing the shards took {prep:.1f} s with {cores} processes "
          f"({n_images / prep:.1f} images/s); {report['bytes'] / 1e6:.1f} MB of shards for "
          f"{source_bytes / 1e6:.1f} MB of source images.")
    step = gpu_step_time()
    if step is None:
        print("No CUDA device: the time of a GPU step these loaders would feed is not measured "
              "here (benchmarks/gpu_check.py measures it on a GPU).")
    else:
        print()
        print(f"| ViT-B-32 AMP step, batch 256 ({torch.cuda.get_device_name()}) | {step:.3f} s |")
        print("|---|---|")
        for path in ("raw", "shards"):
            batch_time = 256 / rates[path, cores]
            print(f"| {path}: one batch with {cores} workers | {batch_time:.3f} s "
                  f"({batch_time / step:.1f} steps' time) |")


if __name__ == "__main__":
    main()
