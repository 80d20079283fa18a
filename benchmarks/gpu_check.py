"""The GPU check: one script, nothing from the internet, under 10 minutes on one GPU.

1. The card: name, memory, torch and CUDA versions.
2. ViT-B-32 (random init) training throughput (images/s) and peak memory at batch 128 and 256 in
   fp32, AMP float16 (GradScaler) and AMP bfloat16, each step the loop's own ``train_step``.
3. The loaders' rate with one worker per core (raw manifest rows at full size, and decode-once
   shards) against the rate the AMP step consumes, on generated DOTA-size and 1080p images.
4. A short run of the paper profile's loop (its recipe, random init instead of OpenAI's weights,
   which would need the internet) on shards of those images, through ``training.train``.

``--dry-run`` runs every part on the CPU with rsclip-tiny, tiny batches and a few images, in
seconds (the test suite runs it). Results: ``gpu_check.json`` and ``gpu_check.md`` in ``--out``
(default ``$OUT`` when set, else ``benchmarks/gpu_check_out``), the Markdown also printed.

    python benchmarks/gpu_check.py [--dry-run] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_loader import make_manifest, rate  # noqa: E402

from rsclip_utils.config import get_profile  # noqa: E402
from rsclip_utils.models import create_model  # noqa: E402
from rsclip_utils.shards import ShardSpec, write_shards  # noqa: E402
from rsclip_utils.train_data import ManifestDataset, ShardDataset  # noqa: E402
from rsclip_utils.training import read_log, train, train_step  # noqa: E402

PRECISIONS = {"fp32": None, "amp": torch.float16, "amp_bf16": torch.bfloat16}


def card(device: torch.device) -> dict:
    """What the check ran on."""
    info = {"device": str(device), "torch": torch.__version__, "cuda": torch.version.cuda,
            "machine": platform.processor() or platform.machine(), "cores": os.cpu_count()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        info.update(name=props.name, memory_gib=round(props.total_memory / 2**30, 1),
                    capability=f"{props.major}.{props.minor}")
    else:
        info["name"] = "CPU (dry run)"
    return info


def throughput(model_name: str, batches: list[int], device: torch.device, steps: int,
               warmup: int) -> list[dict]:
    """Images/s and peak memory of ``train_step`` per precision and batch."""
    rows = []
    for precision, dtype in PRECISIONS.items():
        for batch in batches:
            bundle = create_model(model_name, None, device=str(device))
            model = bundle.model
            size = model.visual.image_size
            size = size[0] if isinstance(size, (tuple, list)) else size
            opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
            scaler = torch.amp.GradScaler(device.type) if precision == "amp" else None
            images = torch.randn(batch, 3, size, size, device=device)
            texts = bundle.tokenizer(["a plane parked near the terminal"] * batch).to(device)
            row = {"model": model_name, "precision": precision, "batch": batch}
            try:
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                for _ in range(warmup):
                    train_step(model, opt, scaler, images, texts, dtype)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                for _ in range(steps):
                    train_step(model, opt, scaler, images, texts, dtype)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                    row["peak_memory_gib"] = round(torch.cuda.max_memory_allocated(device)
                                                   / 2**30, 2)
                seconds = (time.perf_counter() - start) / steps
                row.update(seconds_per_step=round(seconds, 4),
                           images_per_s=round(batch / seconds, 1))
            except torch.cuda.OutOfMemoryError:
                row["error"] = "out of memory"
            rows.append(row)
            del model, opt, images, texts, bundle
            if device.type == "cuda":
                torch.cuda.empty_cache()
    return rows


def loaders(manifest: Path, shards: Path, size: int, samples: int, workers: int) -> dict:
    """Samples/s of both paths with ``workers`` workers (and in one process)."""
    from open_clip import get_tokenizer

    tok = get_tokenizer("RN50")
    mean, std = (0.48, 0.46, 0.41), (0.27, 0.26, 0.28)
    raw = ManifestDataset(manifest, size, mean, std, tok, cache_images=False)
    shard = ShardDataset(shards, size, mean, std, tok)
    return {"workers": workers,
            "raw_per_core": round(rate(raw, samples, 0), 1),
            "raw_all_cores": round(rate(raw, samples, workers), 1),
            "shards_per_core": round(rate(shard, samples, 0), 1),
            "shards_all_cores": round(rate(shard, samples, workers), 1)}


def save(results: dict, out: Path) -> None:
    """Write what has been measured so far, so that a later part's failure loses nothing."""
    (out / "gpu_check.json").write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps({k: v for k, v in results.items() if k != "dry_run"}), flush=True)


def markdown(results: dict) -> str:
    c = results["card"]
    lines = [f"GPU check on **{c['name']}** ({c.get('memory_gib', '-')} GiB), torch {c['torch']}, "
             f"CUDA {c['cuda']}, {c['cores']} CPU cores; {results['seconds']:.0f} s in all.", "",
             "| model | precision | batch | images/s | s/step | peak memory (GiB) |",
             "|---|---|---|---|---|---|"]
    for r in results["throughput"]:
        lines.append(f"| {r['model']} | {r['precision']} | {r['batch']} | "
                     f"{r.get('images_per_s', r.get('error'))} | {r.get('seconds_per_step', '-')} "
                     f"| {r.get('peak_memory_gib', '-')} |")
    ld = results["loaders"]
    amp = [r for r in results["throughput"] if r["precision"] == "amp" and "images_per_s" in r]
    need = amp[-1]["images_per_s"] if amp else None
    lines += ["", f"| loader ({ld['workers']} workers) | samples/s | share of the AMP step's "
              "rate |", "|---|---|---|"]
    for key, label in (("raw_all_cores", "raw manifest, full-size decode"),
                       ("shards_all_cores", "decode-once shards")):
        share = f"{ld[key] / need:.2f}" if need else "-"
        lines.append(f"| {label} | {ld[key]} | {share} |")
    run = results["short_run"]
    lines += ["", f"Short run of the {run['profile']} profile's loop on shards: {run['steps']} "
              f"steps of {run['model']} at batch {run['batch_size']} ({run['precision']}), "
              f"{run['images_per_s']} images/s over the last half, loss {run['first_loss']} -> "
              f"{run['last_loss']}."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true",
                        help="every part on the CPU with rsclip-tiny, in seconds")
    parser.add_argument("--out", default=os.environ.get("OUT") or str(HERE / "gpu_check_out"))
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.ERROR)  # open_clip's "initialized randomly", per model
    started = time.perf_counter()
    dry = args.dry_run
    if not dry and not torch.cuda.is_available():
        print("no CUDA device: run with --dry-run on a CPU", file=sys.stderr)
        return 2
    device = torch.device("cpu" if dry else "cuda")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results: dict = {"dry_run": dry, "card": card(device)}
    results["throughput"] = (throughput("rsclip-tiny", [4], device, steps=1, warmup=1) if dry
                             else throughput("ViT-B-32", [128, 256], device, steps=10, warmup=3))
    save(results, out)
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-gpu-check-"))
    try:
        manifest = make_manifest(tmp, images_per_kind=1 if dry else 12,
                                 scale=0.25 if dry else 1.0)
        workers = os.cpu_count() or 1
        write_shards(manifest, tmp / "shards", ShardSpec(samples_per_shard=2 if dry else 4),
                     workers=workers, progress=False)
        results["loaders"] = loaders(manifest, tmp / "shards", 64 if dry else 224,
                                     samples=10 if dry else 240, workers=min(workers, 2)
                                     if dry else workers)
        save(results, out)
        profile = get_profile("smoke" if dry else "paper")
        batch = 2 if dry else 128
        # the loop needs at least one batch of samples: its own images, one per kind and batch
        # slot, at a quarter of the loader part's size (the shards reduce them to 256 px anyway)
        run_images = tmp / "run_images"
        run_images.mkdir()
        write_shards(make_manifest(run_images, images_per_kind=batch, scale=0.25),
                     tmp / "run_shards", ShardSpec(samples_per_shard=2 if dry else 32),
                     workers=workers, progress=False)
        spec = replace(profile.train, pretrained=None,
                       steps=3 if dry else 60, warmup=1 if dry else 10,
                       batch_size=batch, workers=0 if dry else min(workers, 8),
                       precision="fp32" if dry else "amp")
        config = spec.to_config(tmp / "run_shards", tmp / "run", progress=False,
                                checkpoint_every=1000, device=str(device))
        result = train(config)
        log = read_log(result.log)
        half = len(log["images_per_s"]) // 2
        results["short_run"] = {
            "profile": profile.name, "model": config.model, "steps": result.steps,
            "batch_size": config.batch_size, "precision": config.precision,
            "images_per_s": round(sum(log["images_per_s"][half:])
                                  / max(1, len(log["images_per_s"][half:])), 1),
            "first_loss": round(log["loss"][0], 3), "last_loss": round(log["loss"][-1], 3)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["seconds"] = round(time.perf_counter() - started, 1)
    save(results, out)
    text = markdown(results)
    (out / "gpu_check.md").write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
