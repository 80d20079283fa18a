"""The training recipe as data: a profile's :class:`TrainSpec`, the loop's :class:`TrainConfig`,
the precision names, and :data:`RUN_FIELDS`, the fields that define a training run.

Introduced in notebook 05. This module imports nothing else of the package: the profiles
(:mod:`rsclip_utils.config`), the loop and its command line (:mod:`rsclip_utils.training`), its
checkpoints and resume check (:mod:`rsclip_utils.checkpoints`) and the pipeline's stamps
(:mod:`rsclip_utils.pipeline`) all read the recipe from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

PRECISIONS = ("fp32", "amp", "amp_bf16")


@dataclass(frozen=True)
class TrainSpec:
    """The training recipe of a profile: notebook 05's continual pretraining and notebook 06's
    comparisons. The one place a training default lives: the loop's :class:`TrainConfig` takes
    its recipe fields' defaults from ``TrainSpec()`` and the command line
    (``python -m rsclip_utils.training --profile NAME``) from the named profile's spec.
    ``TrainSpec()`` is the default profile's recipe.

    ``pretrained`` is the start of continual pretraining: "base" (rsclip-tiny trained on the
    web-like corpus, OpenAI CLIP's stand-in) or "openai" in the paper profile. The from-scratch
    comparison runs the same recipe from random init for ``scratch_steps`` (None: ``steps``,
    the same budget). The data ablation (06) is a budget study (:mod:`rsclip_utils.budget`):
    each row trains from the same start for the largest of ``ablation_passes`` (passes over
    RET's training pairs, doubling), its weights kept at each, ``ablation_seeds`` seeds per
    row."""

    model: str = "rsclip-tiny"
    pretrained: str | None = "base"
    # batch 32 and 250 steps: what two cores afford for the continual run, the same recipe
    # from scratch and the budget study (notebook 06) inside the default profile's 15-minute
    # budget; lr 3e-4, below the base model's 5e-4 as continual pretraining
    # runs below CLIP's own rate (the paper: 4e-5 for ViT-B-32), the same for every start
    steps: int = 250
    batch_size: int = 32  # per process
    lr: float = 3e-4
    warmup: int = 25
    precision: str = "auto"  # amp on CUDA, fp32 on CPU
    workers: int = 0
    scratch_steps: int | None = None
    # the budget study: 1 to 16 passes over RET's pairs (16 passes: four runs of about 300
    # steps, the control's at twice the batch), one seed: make reproduce took 11 min 31 s with
    # the install on an Intel Xeon (README, issue 26's state); (1, 2, 4, 8) halves the study's
    # steps on a slower CPU; the long profile goes on to 64 passes, three seeds
    ablation_passes: tuple[float, ...] = (1, 2, 4, 8, 16)
    ablation_seeds: int = 1
    # what notebook 05 trains on: the de-duplicated manifest row by row ("manifest"; small
    # images, small runs) or its decode-once shards ("shards", rsclip_utils.shards), whose images
    # have their shorter side reduced to shard_side pixels
    data: str = "manifest"
    shard_side: int = 256

    def __post_init__(self):
        if self.data not in ("manifest", "shards"):
            raise ValueError(f"TrainSpec.data {self.data!r} is not 'manifest' or 'shards'")
        passes = list(self.ablation_passes)
        if len(passes) < 2 or any(p <= 0 for p in passes) or passes != sorted(set(passes)):
            raise ValueError(f"TrainSpec.ablation_passes {self.ablation_passes!r}: expected at "
                             "least two increasing positive numbers of passes over RET (the "
                             "saturation rule compares budgets)")
        if self.ablation_seeds < 1:
            raise ValueError(f"TrainSpec.ablation_seeds must be at least 1, got "
                             f"{self.ablation_seeds}")

    def recipe(self) -> dict:
        """The fields the training loop's config shares with the spec."""
        shared = {f.name for f in fields(TrainConfig)}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in shared}

    def to_config(self, manifest, out, **overrides) -> TrainConfig:
        """The loop's :class:`TrainConfig` for this recipe on ``manifest``, writing to ``out``;
        ``overrides`` change any field (seed, steps, ...)."""
        return TrainConfig(manifest=str(manifest), out=str(out),
                           **{**self.recipe(), **overrides})


_RECIPE = TrainSpec()  # the recipe fields' defaults: the default profile's


def _arg(default, help: str, **kw):
    """A config field with its command-line help (the CLI is built from these fields)."""
    return field(default=default, metadata={"help": help, **kw})


@dataclass
class TrainConfig:
    """Everything a run depends on (saved in each checkpoint). The recipe fields (model to
    workers) default to :class:`TrainSpec`'s, the only place they are set; a profile's run is
    ``profile.train.to_config(manifest, out, **overrides)``. Which fields define the run (the
    others say where it reads and writes and how it reports): :data:`RUN_FIELDS`."""

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


# The fields that define a training run: what it learns from where (the data themselves are
# checked by content, rsclip_utils.checkpoints.data_digest), and which weights it keeps
# (snapshots). A pipeline stamp records them (run_params) and a resume refuses a checkpoint
# whose run differs in any of them. ``device`` is one: with precision "auto" it decides the
# precision, and a CPU and a GPU give different numbers. Not run fields: where the data and the
# run folder are (manifest, added_manifest, out), and how the run goes and reports, none of
# which changes a loss or a weight (workers, check_images, checkpoint_every, log_every,
# progress, resume, stop_after, grads_out, extra).
RUN_FIELDS = ("model", "pretrained", "steps", "batch_size", "lr", "warmup", "weight_decay",
              "betas", "eps", "precision", "init_scale", "growth_interval", "seed", "augment",
              "added_batch_size", "snapshots", "device")


def plain(value):
    """``value`` as JSON gives it back (tuples become lists), so equal settings compare equal
    whether they come from a config, a checkpoint or a stamp."""
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    return value


def run_params(cfg: TrainConfig) -> dict:
    """The :data:`RUN_FIELDS` of ``cfg`` as plain JSON-able values: a training run's stamp
    parameters, and what a resume compares with the checkpoint's run."""
    return {name: plain(getattr(cfg, name)) for name in RUN_FIELDS}


__all__ = ["PRECISIONS", "RUN_FIELDS", "TrainConfig", "TrainSpec", "plain", "run_params"]
