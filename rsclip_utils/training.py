"""Continual pretraining as in RemoteCLIP (section IV-A): symmetric InfoNCE with a learned
temperature, Adam with linear warm-up and cosine decay, automatic mixed precision (float16 with
a GradScaler, or bfloat16; on GPUs, and slowly on CPUs), the paper's augmentations. Introduced in
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
import hashlib
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
import torch.nn.functional as F
from open_clip.constants import OPENAI_DATASET_MEAN, OPENAI_DATASET_STD
from tqdm.auto import tqdm

from .config import TrainSpec
from .models import create_model
from .shards import content_digest
from .train_data import AddedRowsDataset, ManifestDataset, ShardDataset

PRECISIONS = ("fp32", "amp", "amp_bf16")
LOG_COLUMNS = ("step", "epoch", "loss", "accuracy", "lr", "logit_scale", "images_per_s",
               "skipped_steps")


def infonce_loss(image_features: torch.Tensor, text_features: torch.Tensor,
                 logit_scale: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE (CLIP's loss), written out.

    With L2-normalised features, ``logits[i, j] = scale * <image_i, text_j>``; the pair on the
    diagonal is the positive, every other entry of its row (image -> texts) and of its column
    (text -> images) a negative. The loss is the mean of the two cross-entropies."""
    logits_per_image = logit_scale * image_features @ text_features.T  # row i: image i vs texts
    logits_per_text = logit_scale * text_features @ image_features.T   # row j: text j vs images
    targets = torch.arange(len(logits_per_image), device=logits_per_image.device)
    image_to_text = -F.log_softmax(logits_per_image, dim=1)[targets, targets].mean()
    text_to_image = -F.log_softmax(logits_per_text, dim=1)[targets, targets].mean()
    return (image_to_text + text_to_image) / 2


class _GatherWithGrad(torch.autograd.Function):
    """all_gather whose backward returns to each rank the gradient of its own slice, summed over
    the ranks (each rank's loss uses every slice)."""

    @staticmethod
    def forward(ctx, x):
        parts = [torch.empty_like(x) for _ in range(torch.distributed.get_world_size())]
        torch.distributed.all_gather(parts, x.contiguous())
        ctx.rank, ctx.rows = torch.distributed.get_rank(), x.shape[0]
        return torch.cat(parts, dim=0)

    @staticmethod
    def backward(ctx, grad):
        grad = grad.contiguous().clone()
        torch.distributed.all_reduce(grad)
        return grad[ctx.rank * ctx.rows:(ctx.rank + 1) * ctx.rows]


def gather_with_grad(features: torch.Tensor) -> torch.Tensor:
    """Every rank's features, concatenated in rank order, keeping the gradient path to this
    rank's own part (one process: the features themselves)."""
    if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
        return features
    return _GatherWithGrad.apply(features)


def lr_at(step: int, total: int, warmup: int, base_lr: float) -> float:
    """Linear warm-up to ``base_lr`` over ``warmup`` steps, then cosine decay to 0 at ``total``."""
    if step < warmup:
        return base_lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * base_lr * (1 + math.cos(math.pi * min(1.0, progress)))


# --- the loop -------------------------------------------------------------------------------

_RECIPE = TrainSpec()  # the recipe fields' defaults: the default profile's (config.py)


def _arg(default, help: str, **kw):
    """A config field with its command-line help (the CLI is built from these fields)."""
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    """Everything a run depends on (saved in each checkpoint). The recipe fields (model to
    workers) default to :class:`~rsclip_utils.config.TrainSpec`'s, the only place they are set;
    a profile's run is ``profile.train.to_config(manifest, out, **overrides)``."""

    manifest: str = _arg(None, "training data: a manifest TSV (rsclip_utils.manifest), read row "
                         "by row, or a folder of shards (rsclip_utils.shards), one sample per "
                         "image", required=True)
    out: str = _arg(None, "run folder: log and checkpoints", required=True)
    model: str = _arg(_RECIPE.model, "open_clip model name, or rsclip-tiny")
    pretrained: str | None = _arg(_RECIPE.pretrained, "start: base, openai, remoteclip, a "
                                  "checkpoint path, or none (random init)")
    steps: int = _arg(_RECIPE.steps, "optimizer steps")
    batch_size: int = _arg(_RECIPE.batch_size, "per process")
    lr: float = _arg(_RECIPE.lr, "peak learning rate (after the linear warm-up, cosine decay)")
    warmup: int = _arg(_RECIPE.warmup, "warm-up steps")
    weight_decay: float = _arg(0.0, "Adam, as the paper; > 0 gives AdamW", alias="--wd")
    betas: tuple[float, float] = _arg((0.9, 0.98), "Adam betas")
    eps: float = _arg(1e-6, "Adam epsilon")
    precision: str = _arg(_RECIPE.precision, "auto: amp on CUDA, fp32 on CPU; amp (float16 "
                          "autocast + GradScaler) and amp_bf16 also run on a CPU, slowly",
                          choices=("auto",) + PRECISIONS)
    init_scale: float = _arg(2.0**16, "amp: the GradScaler's first loss scale")
    growth_interval: int = _arg(2000, "amp: good steps before the loss scale doubles")
    seed: int = _arg(0, "data order, augmentation and init")
    workers: int = _arg(_RECIPE.workers, "data-loader processes")
    checkpoint_every: int = _arg(100, "steps between checkpoints")
    log_every: int = _arg(1, "steps between log rows")
    augment: bool = _arg(True, "the paper's augmentation (--no-augment: resize only)")
    added_manifest: str | None = _arg(None, "a second manifest TSV whose rows are added to "
                                      "every batch, added_batch_size of them on top of "
                                      "batch_size rows of --manifest (notebook 06's "
                                      "exposure-matched control)")
    added_batch_size: int = _arg(0, "rows of --added-manifest per step and process")
    snapshots: tuple[int, ...] = _arg((), "steps after which the weights are also kept, as "
                                      "snapshot-STEP.pt (notebook 06's budget study)",
                                      nargs="*")
    check_images: bool = _arg(True, "decode every image before the first step, naming bad "
                              "files (--no-check-images: skip that pass)")
    device: str = _arg("auto", "auto: cuda when present, else cpu")
    resume: bool = _arg(False, "continue from <out>/latest.pt")
    stop_after: int | None = _arg(None, "stop early at this step (to test resuming)")
    grads_out: str | None = _arg(None, "save loss and gradients of the first step (DDP test)",
                                 hidden=True)
    progress: bool = _arg(True, "progress bar (--quiet: none)", alias="--quiet")
    extra: dict = field(default_factory=dict)


def _dist() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
    rank = torch.distributed.get_rank() if world > 1 else 0
    return rank, world, int(os.environ.get("LOCAL_RANK", "0"))


def _atomic_save(obj, path: Path, keep_previous: bool = True) -> None:
    """Write ``path`` so that a crash at any moment leaves a readable checkpoint: the new one is
    written beside it and renamed over it; with ``keep_previous``, the one it replaces is kept
    as ``previous.pt`` (the fallback when ``latest.pt`` turns out unreadable)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    if keep_previous and path.is_file():
        os.replace(path, path.with_name("previous.pt"))
    os.replace(tmp, path)


def _load_checkpoint(latest: Path) -> dict:
    """The latest checkpoint, or the previous one (saying so) when the latest cannot be read;
    an error naming both files when neither can."""
    try:
        return torch.load(latest, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises several kinds for a damaged file
        previous = latest.with_name("previous.pt")
        if not previous.is_file():
            raise RuntimeError(f"{latest}: cannot read the checkpoint ({type(e).__name__}: "
                               f"{e}) and there is no {previous.name} to fall back to") from e
        try:
            ckpt = torch.load(previous, map_location="cpu", weights_only=True)
        except Exception as e2:  # noqa: BLE001
            raise RuntimeError(f"{latest} and {previous}: neither checkpoint can be read "
                               f"({type(e).__name__}; {type(e2).__name__})") from e2
        print(f"{latest}: unreadable ({type(e).__name__}); resuming from {previous} "
              f"(step {ckpt['step']})", file=sys.stderr)
        return ckpt


RESUME_MUST_MATCH = ("model", "batch_size", "steps", "warmup", "lr", "weight_decay", "betas",
                     "eps", "seed", "precision", "augment", "added_batch_size", "snapshots")


def manifest_digest(path: str | Path) -> str:
    """SHA-256 of a manifest's bytes, or of what a shard folder holds
    (:func:`~rsclip_utils.shards.content_digest`): a checkpoint records what it was trained on."""
    path = Path(path)
    return content_digest(path) if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()


def data_digest(cfg: TrainConfig) -> str:
    """What a run trains on: the manifest's digest, and the added manifest's after a "+"."""
    digest = manifest_digest(cfg.manifest)
    return digest + ("+" + manifest_digest(cfg.added_manifest) if cfg.added_manifest else "")


def resume_differences(saved: dict, cfg: TrainConfig, digest: str) -> list[str]:
    """What differs between the run a checkpoint belongs to and ``cfg`` (empty: it may resume)."""
    out = [f"{k}: {saved.get(k)!r} -> {getattr(cfg, k)!r}" for k in RESUME_MUST_MATCH
           if k in saved and _same(saved[k]) != _same(getattr(cfg, k))]
    if saved.get("manifest_sha256") not in (None, digest):
        out.append(f"manifest content: {saved['manifest_sha256'][:12]} -> {digest[:12]}")
    return out


def _same(v):
    return list(v) if isinstance(v, (tuple, list)) else v


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
    """Run (or resume) a training run; see the module docstring."""
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
    latest = out / "latest.pt"
    ckpt = _load_checkpoint(latest) if cfg.resume and latest.is_file() else None
    if ckpt is not None:
        differences = resume_differences({**ckpt.get("config", {}),
                                          "manifest_sha256": ckpt.get("manifest_sha256")},
                                         cfg, digest)
        if differences:
            raise ValueError(f"{latest}: cannot resume a run made differently: "
                             + "; ".join(differences) + " (start a new --out, or drop --resume)")
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

    def save():
        if rank == 0:
            _atomic_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                          "scaler": scaler.state_dict() if scaler else None, "step": step,
                          "skipped_steps": skipped, "config": asdict(cfg),
                          "manifest_sha256": digest}, latest)

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
            bar.set_postfix(loss=f"{last_loss:.3f}")
            if step in cfg.snapshots and rank == 0:  # the weights alone, kept
                _atomic_save({"model": model.state_dict(), "step": step,
                              "config": asdict(cfg), "manifest_sha256": digest},
                             out / f"snapshot-{step:06d}.pt", keep_previous=False)
            if step % cfg.checkpoint_every == 0 or step == stop:
                save()
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
    from .config import get_profile

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


if __name__ == "__main__":
    sys.exit(main())
