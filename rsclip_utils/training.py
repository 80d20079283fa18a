"""Continual pretraining as in RemoteCLIP (section IV-A): the loop. Symmetric InfoNCE with a
learned temperature (:mod:`rsclip_utils.loss`), Adam with linear warm-up and cosine decay
(:func:`lr_at`), automatic mixed precision (float16 with a GradScaler, or bfloat16; on GPUs, and
slowly on CPUs), the paper's augmentations (:mod:`rsclip_utils.train_data`), checkpoints and
resume (:mod:`rsclip_utils.checkpoints`), the log (``train_log.csv``, :func:`read_log`) and the
command line, built from :class:`~rsclip_utils.recipe.TrainConfig`'s fields. Introduced in
notebook 05.

One loop for one process and for many: under ``torchrun`` it runs with DDP, and the features of
every rank are gathered *with gradient*, so each rank's loss sees the negatives of the whole
global batch and the summed gradient equals that of one process on the full batch (tested with
two CPU processes on gloo).

    python -m rsclip_utils.training --manifest runs/default/manifest_dedup.tsv --out runs/x
    torchrun --nproc_per_node=4 -m rsclip_utils.training --manifest ... --model ViT-B-32 \\
        --pretrained openai --batch-size 64 --lr 4e-5 --precision amp

Determinism: the order of the data is a permutation drawn from (seed, epoch), each sample's
augmentation from (seed, epoch, index), and no layer is random (no dropout), so a run that is
interrupted and resumed from its latest checkpoint reproduces the losses of an uninterrupted run
on the CPU.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

import torch
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD

from .checkpoints import (
    LATEST,
    check_resume,
    data_digest,
    load_checkpoint,
    manifest_digest,
    resume_differences,
    save_checkpoint,
    save_snapshot,
)
from .config import get_profile
from .loss import gather_with_grad, infonce_loss
from .models import create_model
from .progress import tqdm
from .recipe import PRECISIONS, RUN_FIELDS, TrainConfig, TrainSpec, run_params
from .train_data import AddedRowsDataset, ManifestDataset, ShardDataset

LOG_COLUMNS = ("step", "epoch", "loss", "accuracy", "lr", "logit_scale", "images_per_s",
               "skipped_steps")


def lr_at(step: int, total: int, warmup: int, base_lr: float) -> float:
    """Linear warm-up to ``base_lr`` over ``warmup`` steps, then cosine decay to 0 at ``total``
    (notebook 05 plots it)."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * base_lr * (1 + math.cos(math.pi * min(1.0, progress)))


def _dist() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world, int(os.environ.get("LOCAL_RANK", "0"))


def check_config(cfg: TrainConfig) -> None:
    """Refuse settings that cannot mean what they say, naming the setting."""
    problems = []
    if cfg.steps < 1:
        problems.append(f"steps must be at least 1, got {cfg.steps}")
    if cfg.batch_size < 1:
        problems.append(f"batch_size must be at least 1, got {cfg.batch_size}")
    if not 0 <= cfg.warmup <= cfg.steps:
        problems.append(f"warmup must be between 0 and steps ({cfg.steps}), got {cfg.warmup}")
    if cfg.stop_after is not None and not 1 <= cfg.stop_after <= cfg.steps:
        problems.append(f"stop_after must be between 1 and steps ({cfg.steps}), got "
                        f"{cfg.stop_after} (None: run every step)")
    if not cfg.lr > 0 or not math.isfinite(cfg.lr):
        problems.append(f"lr must be a positive number, got {cfg.lr}")
    if cfg.checkpoint_every < 1 or cfg.log_every < 1:
        problems.append("checkpoint_every and log_every must be at least 1")
    if cfg.workers < 0:
        problems.append(f"workers must be 0 or more, got {cfg.workers}")
    if bool(cfg.added_manifest) != (cfg.added_batch_size > 0):
        problems.append("added_manifest and added_batch_size go together (a manifest and at "
                        f"least one row per step), got {cfg.added_manifest!r} and "
                        f"{cfg.added_batch_size}")
    if cfg.added_manifest and Path(cfg.manifest).is_dir():
        problems.append("added_manifest needs --manifest to be a manifest TSV, not shards")
    wrong = [s for s in cfg.snapshots if not 1 <= s <= cfg.steps]
    if wrong:
        problems.append(f"snapshots must be steps between 1 and steps ({cfg.steps}), got "
                        f"{wrong}")
    if problems:
        raise ValueError("training configuration: " + "; ".join(problems))


def _param_groups(model: torch.nn.Module, weight_decay: float):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        flat = p.ndim < 2 or "bn" in name or "ln" in name or "bias" in name or "logit_scale" in name
        (no_decay if flat else decay).append(p)
    return [{"params": no_decay, "weight_decay": 0.0},
            {"params": decay, "weight_decay": weight_decay}]


@dataclass
class TrainResult:
    """Where the run wrote its log and checkpoint, and the last logged numbers."""

    log: Path
    checkpoint: Path
    steps: int
    last_loss: float
    skipped_steps: int
    images_per_s: float


def train_step(net, optimizer, scaler, images, texts, autocast_dtype=None, grads_out=None):
    """One optimisation step (notebook 05 writes it out): the forward pass under autocast when
    ``autocast_dtype`` is set, the features gathered and the loss computed in float32, backward
    (scaled by ``scaler`` if given), the step. Returns ``(loss, image_features, text_features,
    stepped)``; ``stepped`` is False when the loss is not finite (no backward) or the scaler
    found inf/nan gradients (it skips the step and lowers its scale): the weights are untouched
    either way."""
    device_type = images.device.type
    with torch.autocast(device_type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
        image_features, text_features, scale = net(images, texts)[:3]
    # the loss outside autocast, in float32: the logits and their softmax keep their digits
    all_images = gather_with_grad(image_features.float())
    all_texts = gather_with_grad(text_features.float())
    loss = infonce_loss(all_images, all_texts, scale.float())
    optimizer.zero_grad(set_to_none=True)
    if not bool(torch.isfinite(loss)):  # every rank sees the same loss: all skip together
        return loss, all_images, all_texts, False
    if scaler is not None:
        scaler.scale(loss).backward()
        before = scaler.get_scale()
        scaler.step(optimizer)
        scaler.update()
        return loss, all_images, all_texts, not scaler.get_scale() < before
    loss.backward()
    if grads_out:
        model = getattr(net, "module", net)
        torch.save({"loss": loss.detach(), "grads": {
            n: p.grad.detach().clone() for n, p in model.named_parameters()
            if p.grad is not None}}, grads_out)
    optimizer.step()
    return loss, all_images, all_texts, True


def train(cfg: TrainConfig) -> TrainResult:
    """Run (or resume) a training run; see the module docstring. Notebook 05 runs the profile's
    recipe through it (``spec.to_config(...)``), notebook 06 its comparisons."""
    rank, world, local_rank = _dist()
    if cfg.device == "auto":
        device = torch.device(f"cuda:{local_rank}" if torch.cuda.is_available() else "cpu")
    else:
        device = torch.device(cfg.device)
    precision = cfg.precision
    if precision == "auto":
        precision = "amp" if device.type == "cuda" else "fp32"
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not one of {PRECISIONS} or 'auto'")
    check_config(cfg)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    digest = data_digest(cfg)
    latest = out / LATEST
    ckpt = load_checkpoint(latest) if cfg.resume and latest.is_file() else None
    if ckpt is not None:
        check_resume(ckpt, cfg, digest, latest)
    torch.manual_seed(cfg.seed)
    bundle = create_model(cfg.model, cfg.pretrained, device=str(device))
    model = bundle.model
    size = model.visual.image_size
    size = size[0] if isinstance(size, (tuple, list)) else size
    mean = getattr(model.visual, "image_mean", None) or OPENAI_DATASET_MEAN
    std = getattr(model.visual, "image_std", None) or OPENAI_DATASET_STD
    if Path(cfg.manifest).is_dir():  # a shard folder (read_index names it if it is not one)
        data = ShardDataset(cfg.manifest, size, mean, std, bundle.tokenizer, cfg.seed,
                            cfg.augment, rank=rank, world=world)
    else:
        data = ManifestDataset(cfg.manifest, size, mean, std, bundle.tokenizer, cfg.seed,
                               cfg.augment)
        if cfg.added_manifest:
            added = ManifestDataset(cfg.added_manifest, size, mean, std, bundle.tokenizer,
                                    cfg.seed, cfg.augment)
            data = AddedRowsDataset(data, added, cfg.added_batch_size)
    if cfg.check_images:
        data.check_images(progress=cfg.progress and rank == 0)
    global_batch = (cfg.batch_size + cfg.added_batch_size) * world
    steps_per_epoch = data.steps_per_epoch(cfg.batch_size, world)
    if steps_per_epoch == 0:
        raise ValueError(f"{cfg.manifest}: {len(data)} samples are fewer than one batch of "
                         f"{cfg.batch_size} per process ({world} processes)")
    # fused: one kernel over all parameters (on two CPU cores 6 ms a step instead of 37 ms for
    # rsclip-tiny, whose 6.3M-entry token embedding the per-tensor loop walks every step)
    optimizer = torch.optim.AdamW(_param_groups(model, cfg.weight_decay), lr=cfg.lr,
                                  betas=tuple(cfg.betas), eps=cfg.eps,
                                  fused=device.type in ("cpu", "cuda"))
    # float16 needs loss scaling on any device (its range ends at 65504, and small gradients
    # underflow); bfloat16 has float32's range and needs none. On a CPU both run, slowly.
    scaler = (torch.amp.GradScaler(device.type, init_scale=cfg.init_scale,
                                   growth_interval=cfg.growth_interval)
              if precision == "amp" else None)
    step, skipped = 0, 0
    log_path = out / "train_log.csv"
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        if scaler is not None and ckpt.get("scaler"):
            scaler.load_state_dict(ckpt["scaler"])
        step, skipped = int(ckpt["step"]), int(ckpt.get("skipped_steps", 0))
        if rank == 0 and log_path.is_file():  # forget rows written after that checkpoint
            with log_path.open() as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
            with log_path.open("w", newline="") as f:
                w = csv.DictWriter(f, LOG_COLUMNS)
                w.writeheader()
                w.writerows(rows)
    elif rank == 0:
        with log_path.open("w", newline="") as f:
            csv.writer(f).writerow(LOG_COLUMNS)
    ddp = world > 1
    net = (torch.nn.parallel.DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None) if ddp else model)
    autocast_dtype = {"amp": torch.float16, "amp_bf16": torch.bfloat16}.get(precision)
    bar = tqdm(total=cfg.steps, initial=step, desc="train", unit="step",
               disable=not cfg.progress or rank != 0)
    last_loss, speed = float("nan"), 0.0
    stop = min(cfg.steps, cfg.stop_after or cfg.steps)

    while step < stop:
        epoch, position = divmod(step, steps_per_epoch)
        data.epoch = epoch
        # this epoch's batches from where the run is, none past the stop (none read in vain)
        local = data.local_batches(epoch, cfg.batch_size, rank, world)[position:]
        local = local[:stop - step]
        loader = torch.utils.data.DataLoader(data, batch_sampler=local, num_workers=cfg.workers)
        for images, texts, _ in loader:
            start = time.perf_counter()
            lr = lr_at(step, cfg.steps, cfg.warmup, cfg.lr)
            for group in optimizer.param_groups:
                group["lr"] = lr
            images, texts = images.to(device, non_blocking=True), texts.to(device)
            grads_out = cfg.grads_out if step == 0 and rank == 0 and scaler is None else None
            loss, all_images, all_texts, stepped = train_step(
                net, optimizer, scaler, images, texts, autocast_dtype, grads_out)
            skipped += int(not stepped)
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
                accuracy = (all_images @ all_texts.T).argmax(1).eq(
                    torch.arange(len(all_images), device=device)).float().mean().item()
            step += 1
            speed = global_batch / (time.perf_counter() - start)
            last_loss = loss.item()
            if rank == 0 and (step % cfg.log_every == 0 or step == stop):
                with log_path.open("a", newline="") as f:
                    csv.writer(f).writerow([step, epoch, f"{last_loss:.6f}", f"{accuracy:.4f}",
                                            f"{lr:.3e}", f"{model.logit_scale.exp().item():.4f}",
                                            f"{speed:.1f}", skipped])
            bar.update()
            bar.set_postfix(loss=f"{last_loss:.3f}", refresh=False)  # drawn at the bar's pace
            if step in cfg.snapshots and rank == 0:  # the weights alone, kept
                save_snapshot(out / f"snapshot-{step:06d}.pt", model, step, cfg, digest)
            if (step % cfg.checkpoint_every == 0 or step == stop) and rank == 0:
                save_checkpoint(latest, model, optimizer, scaler, step, skipped, cfg, digest)
    bar.close()
    if ddp:
        torch.distributed.barrier()
    return TrainResult(log_path, latest, step, last_loss, skipped, speed)


def read_log(path: str | Path) -> dict[str, list[float]]:
    """The training log as columns of numbers."""
    with Path(path).open() as f:
        rows = list(csv.DictReader(f))
    return {k: [float(r[k]) for r in rows] for k in LOG_COLUMNS}


def _none(value: str) -> str | None:
    return None if value.lower() in ("", "none") else value


def build_parser(profile: str = "default") -> argparse.ArgumentParser:
    """The command line, one option per :class:`TrainConfig` field, with the recipe defaults of
    ``profile`` (``--profile``); the defaults shown by ``--help`` are the profile's."""
    recipe = get_profile(profile).train.recipe()
    parser = argparse.ArgumentParser(prog="python -m rsclip_utils.training",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profile,
                        help="the profile whose recipe gives the defaults (default: %(default)s)")
    types = {"int": int, "float": float, "str": str}
    for f in fields(TrainConfig):
        meta = f.metadata
        if "help" not in meta:
            continue
        default = recipe.get(f.name, f.default)
        alias = [meta["alias"]] if "alias" in meta else []
        flag = "--" + f.name.replace("_", "-")
        if meta.get("hidden"):
            kw = {"help": argparse.SUPPRESS}
        elif f.type == "bool" or meta.get("required"):
            kw = {"help": meta["help"]}
        else:
            kw = {"help": f"{meta['help']} (default: %(default)s)"}
        if f.type == "bool" and default:  # on by default: a flag that turns it off
            parser.add_argument("--no-" + flag[2:], *alias, dest=f.name, action="store_false",
                                **kw)
            continue
        if f.type == "bool":
            parser.add_argument(flag, *alias, action="store_true", **kw)
            continue
        kind = f.type.split(" |")[0]
        if kind.startswith("tuple"):  # betas: two floats; snapshots: any number of steps
            kw.update(type=int, nargs=meta["nargs"]) if "nargs" in meta else kw.update(
                type=float, nargs=2)
        else:
            kw["type"] = _none if kind == "str" and "None" in f.type else types[kind]
        if meta.get("required"):
            kw["required"] = True
        else:
            kw["default"] = default
        if "choices" in meta:
            kw["choices"] = meta["choices"]
        parser.add_argument(flag, *alias, **kw)
    return parser


def main(argv: list[str] | None = None) -> int:
    """The command line (``python -m rsclip_utils.training``, also under torchrun)."""
    first = argparse.ArgumentParser(add_help=False)
    first.add_argument("--profile", default="default")
    profile = first.parse_known_args(argv)[0].profile
    a = vars(build_parser(profile).parse_args(argv))
    a.pop("profile")
    for key in ("betas", "snapshots"):
        if key in a:
            a[key] = tuple(a[key])
    result = train(TrainConfig(**a))
    if int(os.environ.get("RANK", "0")) == 0:
        print(f"{result.steps} steps, last loss {result.last_loss:.4f}, "
              f"skipped {result.skipped_steps}, log {result.log}, checkpoint {result.checkpoint}")
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()
    return 0


# the names other modules, notebooks and benchmarks import from here, wherever they now live
__all__ = ["LOG_COLUMNS", "OPENAI_DATASET_MEAN", "OPENAI_DATASET_STD", "PRECISIONS",
           "RUN_FIELDS", "TrainConfig", "TrainResult", "TrainSpec", "build_parser",
           "check_config", "data_digest", "gather_with_grad", "infonce_loss", "lr_at", "main",
           "manifest_digest", "read_log", "resume_differences", "run_params", "train",
           "train_step"]


if __name__ == "__main__":
    sys.exit(main())
