"""The training loop's checkpoints: how they are written (never half, the one before kept as
``previous.pt``), read back (falling back to ``previous.pt`` when ``latest.pt`` is damaged),
and when a run may resume from one (same :data:`~rsclip_utils.recipe.RUN_FIELDS`, same data).
Introduced in notebook 05.

A checkpoint (``<out>/latest.pt``) holds ``model``, ``optimizer``, ``scaler`` (None without
float16 loss scaling), ``step``, ``skipped_steps``, ``config`` (the run's
:class:`~rsclip_utils.recipe.TrainConfig` as a dict) and ``manifest_sha256`` (what it trained
on, :func:`data_digest`); a snapshot (``snapshot-STEP.pt``, notebook 06's budget study) the same
without the optimizer's and the scaler's state. :func:`rsclip_utils.models.load_weights` reads
the weights of either.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from .recipe import RUN_FIELDS, TrainConfig, plain, run_params
from .shards import content_digest

LATEST = "latest.pt"
PREVIOUS = "previous.pt"


def atomic_save(obj, path: Path, keep_previous: bool = True) -> None:
    """Write ``path`` so that a crash at any moment leaves a readable checkpoint: the new one is
    written beside it and renamed over it; with ``keep_previous``, the one it replaces is kept
    as ``previous.pt`` (the fallback when ``latest.pt`` turns out unreadable)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    if keep_previous and path.is_file():
        os.replace(path, path.with_name(PREVIOUS))
    os.replace(tmp, path)


def save_checkpoint(path: Path, model, optimizer, scaler, step: int, skipped_steps: int,
                    cfg: TrainConfig, digest: str) -> None:
    """Write the checkpoint a run resumes from (the one it replaces kept as ``previous.pt``)."""
    atomic_save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                 "scaler": scaler.state_dict() if scaler else None, "step": step,
                 "skipped_steps": skipped_steps, "config": asdict(cfg),
                 "manifest_sha256": digest}, path)


def save_snapshot(path: Path, model, step: int, cfg: TrainConfig, digest: str) -> None:
    """Keep the weights at ``step`` (no optimizer state: a snapshot is evaluated, not
    resumed)."""
    atomic_save({"model": model.state_dict(), "step": step, "config": asdict(cfg),
                 "manifest_sha256": digest}, path, keep_previous=False)


def load_checkpoint(latest: Path) -> dict:
    """The latest checkpoint, or the previous one (saying so) when the latest cannot be read;
    an error naming both files when neither can."""
    try:
        return torch.load(latest, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - torch raises several kinds for a damaged file
        previous = latest.with_name(PREVIOUS)
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
    """What differs between the run a checkpoint belongs to and ``cfg`` (empty: it may resume):
    the :data:`~rsclip_utils.recipe.RUN_FIELDS` that ``saved`` (a checkpoint's ``config``, with
    its ``manifest_sha256``) records, and the data's digest."""
    wanted = run_params(cfg)
    out = [f"{k}: {saved.get(k)!r} -> {getattr(cfg, k)!r}" for k in RUN_FIELDS
           if k in saved and plain(saved[k]) != wanted[k]]
    if saved.get("manifest_sha256") not in (None, digest):
        out.append(f"manifest content: {saved['manifest_sha256'][:12]} -> {digest[:12]}")
    return out


def check_resume(ckpt: dict, cfg: TrainConfig, digest: str, latest: Path) -> None:
    """Refuse to resume from ``ckpt`` (read from ``latest``) a run made differently, naming
    every difference."""
    differences = resume_differences({**ckpt.get("config", {}),
                                      "manifest_sha256": ckpt.get("manifest_sha256")},
                                     cfg, digest)
    if differences:
        raise ValueError(f"{latest}: cannot resume a run made differently: "
                         + "; ".join(differences) + " (start a new --out, or drop --resume)")


__all__ = ["LATEST", "PREVIOUS", "atomic_save", "check_resume", "data_digest",
           "load_checkpoint", "manifest_digest", "resume_differences", "save_checkpoint",
           "save_snapshot"]
