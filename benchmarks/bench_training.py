"""Training throughput and the loss's cost.

1. rsclip-tiny training images/s on this machine (CPU, fp32, batch 64), measured on a generated
   manifest after a few warm-up steps.
2. ``infonce_loss`` forward + backward time as a ratio to open_clip's ``ClipLoss`` (batch 256,
   512-d features), same process.
3. Where a CPU step of the tiny model goes (batch 32, the default profile's): the whole bare
   step of today's rsclip-tiny (vision 4 x 128, text context 32) against the first version's
   (vision 4 x 192, context 77, the 77-token context of CLIP); its vision and text towers alone;
   AdamW's per-tensor loop against the fused kernel; and per sample, decoding the image anew
   against decoding it once (the loop's ``cache_images``).
4. With a CUDA device: ViT-B-32 images/s and peak memory at batch 128 with AMP (fp16, bf16) as
   ratios to fp32. Without one, those rows are skipped and the script says so.

Reading: on a CPU the loop runs close to the speed of the bare model step once every image is
decoded (decoding and augmenting a cached 128 px copy costs little against the forward and
backward pass). The written-out
InfoNCE computes both logit matrices as open_clip does, so that loss and gradients match
``ClipLoss`` to float32 resolution; it is then no faster than ``ClipLoss`` (computing one matrix
and its transpose would be, at the price of differences of a few 1e-6).

    python benchmarks/bench_training.py
"""

from __future__ import annotations

import logging
import os
import platform
import shutil
import tempfile
import time
import timeit
from dataclasses import replace
from pathlib import Path

import open_clip
import torch

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import write_manifest
from rsclip_utils.config import get_profile
from rsclip_utils.models import create_model
from rsclip_utils.synth import generate_embedded
from rsclip_utils.train_data import ManifestDataset
from rsclip_utils.training import (
    OPENAI_DATASET_MEAN,
    OPENAI_DATASET_STD,
    TrainConfig,
    infonce_loss,
    read_log,
    train,
)

logging.getLogger().setLevel(logging.ERROR)


def cpu_training() -> str:
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-train-"))
    try:
        spec = replace(get_profile("smoke").synth, ret_images=200)
        generate_embedded(tmp / "emb", spec, progress=False)
        sets = ds.load_embedded(tmp / "emb")
        write_manifest(list(sets["ret"]) + list(sets["dota"]), tmp / "m.tsv", progress=False)
        result = train(TrainConfig(manifest=str(tmp / "m.tsv"), out=str(tmp / "run"),
                                   pretrained=None, steps=25, batch_size=64, warmup=5,
                                   progress=False, checkpoint_every=1000))
        speed = read_log(result.log)["images_per_s"][5:]  # after warm-up steps
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    loop = sum(speed) / len(speed)
    # baseline: the bare model step on tensors already in memory (no files, no augmentation)
    bundle = create_model("rsclip-tiny")
    model = bundle.model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    images = torch.randn(64, 3, 64, 64)
    texts = bundle.tokenizer(["many white planes are parked at the airport ."] * 64)

    def bare():
        f_i, f_t, s = model(images, texts)[:3]
        loss = infonce_loss(f_i, f_t, s)
        opt.zero_grad()
        loss.backward()
        opt.step()

    bare()
    t_bare = min(timeit.repeat(bare, number=1, repeat=10))
    return (f"| rsclip-tiny training loop, CPU fp32, batch 64 | {loop:.0f} images/s "
            f"({64 / loop:.2f} s/step) | bare model step: {64 / t_bare:.0f} images/s | "
            f"{loop / (64 / t_bare):.2f} of the bare step |")


def _median_time(fn, repeat: int = 7) -> float:
    fn()
    return sorted(timeit.repeat(fn, number=1, repeat=repeat))[repeat // 2]


def step_breakdown(batch: int = 32) -> list[str]:
    """Where the CPU step of rsclip-tiny goes, each part against a baseline of the same run."""
    import json

    folder = Path(tempfile.mkdtemp(prefix="rsclip-cfg-"))
    cfg = json.loads((Path(__file__).parents[1] / "rsclip_utils" / "model_configs"
                      / "rsclip-tiny.json").read_text())
    old = json.loads(json.dumps(cfg))
    old["vision_cfg"]["width"], old["text_cfg"]["context_length"] = 192, 77
    (folder / "rsclip-tiny-v1.json").write_text(json.dumps(old))
    open_clip.add_model_config(folder)
    rows = []
    times = {}
    for name in ("rsclip-tiny", "rsclip-tiny-v1"):
        model = create_model(name).model
        ctx = model.context_length if hasattr(model, "context_length") else 77
        images = torch.randn(batch, 3, 64, 64)
        texts = torch.randint(1, 49000, (batch, ctx))
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)

        def whole(model=model, images=images, texts=texts, opt=opt):
            f_i, f_t, s = model(images, texts)[:3]
            loss = infonce_loss(f_i, f_t, s)
            opt.zero_grad()
            loss.backward()
            opt.step()

        times[name] = _median_time(whole)
        if name == "rsclip-tiny":
            vision = _median_time(lambda m=model, x=images: m.encode_image(x).sum().backward())
            text = _median_time(lambda m=model, t=texts: m.encode_text(t).sum().backward())
            for p in model.parameters():
                p.grad = torch.randn_like(p)
            loop = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=True)
            fused = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
            t_loop, t_fused = _median_time(loop.step), _median_time(fused.step)
    rows.append(f"| bare step, batch {batch}: rsclip-tiny (vision 128 wide, context 32) | "
                f"{times['rsclip-tiny'] * 1e3:.0f} ms | first version (192 wide, context 77): "
                f"{times['rsclip-tiny-v1'] * 1e3:.0f} ms | "
                f"{times['rsclip-tiny-v1'] / times['rsclip-tiny']:.2f}x faster |")
    rows.append(f"| of which the vision tower, forward + backward | {vision * 1e3:.0f} ms | "
                f"the whole step: {times['rsclip-tiny'] * 1e3:.0f} ms | "
                f"{vision / times['rsclip-tiny']:.2f} of it |")
    rows.append(f"| of which the text tower, forward + backward | {text * 1e3:.0f} ms | "
                f"the whole step: {times['rsclip-tiny'] * 1e3:.0f} ms | "
                f"{text / times['rsclip-tiny']:.2f} of it |")
    rows.append(f"| AdamW step, fused kernel | {t_fused * 1e3:.1f} ms | per-tensor loop "
                f"(foreach): {t_loop * 1e3:.1f} ms | {t_loop / t_fused:.1f}x faster |")
    tmp = Path(tempfile.mkdtemp(prefix="rsclip-load-"))
    try:
        spec = replace(get_profile("smoke").synth, ret_images=40)
        generate_embedded(tmp / "emb", spec, progress=False)
        sets = ds.load_embedded(tmp / "emb")
        write_manifest(list(sets["dota"]) + list(sets["isaid"]), tmp / "m.tsv", progress=False)
        bundle = create_model("rsclip-tiny")
        per_sample = {}
        for cache in (False, True):
            data = ManifestDataset(tmp / "m.tsv", 64, OPENAI_DATASET_MEAN, OPENAI_DATASET_STD,
                                   bundle.tokenizer, cache_images=cache)
            for i in range(len(data)):  # the first epoch fills the cache
                data[i]
            data.epoch = 1
            n = len(data)
            start = time.perf_counter()
            for i in range(n):
                data[i]
            per_sample[cache] = (time.perf_counter() - start) / n
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rows.append(f"| a training sample from 256 px PNGs, decoded once | "
                f"{per_sample[True] * 1e3:.2f} ms | decoded every time: "
                f"{per_sample[False] * 1e3:.2f} ms | "
                f"{per_sample[False] / per_sample[True]:.1f}x faster |")
    return rows


def loss_ratio() -> str:
    g = torch.Generator().manual_seed(0)
    img = torch.nn.functional.normalize(torch.randn(256, 512, generator=g), dim=1).requires_grad_()
    txt = torch.nn.functional.normalize(torch.randn(256, 512, generator=g), dim=1).requires_grad_()
    scale = torch.tensor(14.3, requires_grad=True)
    clip_loss = open_clip.ClipLoss()

    def run(fn):
        return lambda: fn(img, txt, scale).backward()

    ours = min(timeit.repeat(run(infonce_loss), number=20, repeat=5)) / 20
    theirs = min(timeit.repeat(run(clip_loss), number=20, repeat=5)) / 20
    return (f"| infonce_loss, batch 256 x 512, forward + backward | {ours * 1e3:.2f} ms | "
            f"open_clip ClipLoss: {theirs * 1e3:.2f} ms | "
          + (f"{theirs / ours:.2f}x faster |" if ours <= theirs else
             f"{ours / theirs:.2f}x slower |"))


def gpu_rows() -> list[str]:
    if not torch.cuda.is_available():
        return ["| ViT-B-32 AMP rows | skipped: no CUDA device on this machine | - | - |"]
    model = create_model("ViT-B-32", device="cuda").model
    tok = open_clip.get_tokenizer("ViT-B-32")
    images = torch.randn(128, 3, 224, 224, device="cuda")
    texts = tok(["a satellite image of many planes parked at an airport"] * 128).cuda()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    results = {}
    for name, dtype in (("fp32", None), ("amp fp16", torch.float16), ("amp bf16", torch.bfloat16)):
        scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
        torch.cuda.reset_peak_memory_stats()

        def step(dtype=dtype, scaler=scaler):
            with torch.autocast("cuda", dtype=dtype, enabled=dtype is not None):
                f_i, f_t, s = model(images, texts)[:3]
                loss = infonce_loss(f_i.float(), f_t.float(), s.float())
            opt.zero_grad(set_to_none=True)
            if scaler:
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                loss.backward()
                opt.step()

        for _ in range(3):
            step()
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(10):
            step()
        torch.cuda.synchronize()
        results[name] = (1280 / (time.perf_counter() - start),
                         torch.cuda.max_memory_allocated() / 2**30)
    card = torch.cuda.get_device_name()
    base = results["fp32"]
    return [f"| ViT-B-32 {n}, batch 128, {card} | {v[0]:.0f} images/s, {v[1]:.1f} GiB peak | "
            f"fp32: {base[0]:.0f} images/s, {base[1]:.1f} GiB | {v[0] / base[0]:.2f}x speed, "
            f"{v[1] / base[1]:.2f}x memory |" for n, v in results.items()]


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}")
    print("| what | measured | baseline (same run) | ratio |")
    print("|---|---|---|---|")
    for row in [cpu_training(), *step_breakdown(), loss_ratio(), *gpu_rows()]:
        print(row)


if __name__ == "__main__":
    main()
