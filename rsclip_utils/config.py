"""Profiles: one papermill parameter (``PROFILE``) that sets data sizes, model and budget.

Introduced in notebook 00; every notebook's derived cell reads its profile from here.

| profile | data | device | budget |
|---|---|---|---|
| ``smoke`` | tiny embedded synthetic set | CPU | whole sequence a few minutes; CI |
| ``default`` | embedded set, large enough to learn | CPU (GPU if present) | <= 15 min, 2 cores |
| ``long`` | the default's, with the full budget study | CPU | <= 60 min, 2 cores |
| ``paper`` | real datasets, downloaded | CUDA | hours on one GPU |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class SynthSpec:
    """How many images of each embedded sub-dataset to generate, and their sizes (pixels)."""

    ret_images: int
    dota_images: int
    voc_images: int
    loveda_images: int
    isaid_images: int
    cls_per_class: int  # AID-like scene set
    eurosat_per_class: int
    uav_per_class: int
    count_images: int
    planted_duplicates: int
    small_size: int = 128  # RET, COUNT and the AID- and UAV-like scene sets (EuroSAT: half)
    mid_size: int = 192  # DIOR-like VOC and LoveDA-like tiles
    large_size: int = 256  # DOTA-like and iSAID-like images

    def to_dict(self) -> dict:
        """The spec as a plain dict (recorded beside the generated set)."""
        return asdict(self)


@dataclass(frozen=True)
class TrainSpec:
    """The training recipe of a profile: notebook 05's continual pretraining and notebook 06's
    comparisons. The one place a training default lives: the loop's
    :class:`~rsclip_utils.training.TrainConfig` takes its recipe fields' defaults from
    ``TrainSpec()`` and the command line (``python -m rsclip_utils.training --profile NAME``)
    from the named profile's spec. ``TrainSpec()`` is the default profile's recipe.

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
    # steps, the control's at twice the batch), one seed: make reproduce took 11 min 49 s with
    # the install on an AMD EPYC (README); (1, 2, 4, 8) halves the study's steps on a slower
    # CPU; the long profile goes on to 64 passes, three seeds
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
        from .training import TrainConfig

        shared = {f.name for f in fields(TrainConfig)}
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in shared}

    def to_config(self, manifest, out, **overrides):
        """The loop's :class:`~rsclip_utils.training.TrainConfig` for this recipe on
        ``manifest``, writing to ``out``; ``overrides`` change any field (seed, steps, ...)."""
        from .training import TrainConfig

        return TrainConfig(manifest=str(manifest), out=str(out),
                           **{**self.recipe(), **overrides})


@dataclass(frozen=True)
class Profile:
    """A named set of choices the notebooks derive everything else from."""

    name: str
    description: str
    synth: SynthSpec
    cell_timeout_s: int
    train: TrainSpec = TrainSpec()
    # B2C counts as words ("three cars") rather than digits ("3 cars", the paper's examples):
    # a model trained from scratch learns only the number words it reads, and the counting
    # benchmark (RemoteCount) asks with "one".."ten"; OpenAI-initialised models know both
    b2c_number_words: bool = True


# Image counts mirror Table I's shares of the training images (RET-3 13.7k : DET-10 110.6k :
# SEG-4 41.2k = 8 : 67 : 25): RET train 120 (40 % of ret_images) : DET 1,000 : SEG 380.
_DEFAULT_SYNTH = SynthSpec(
    ret_images=300,
    dota_images=560,
    voc_images=440,
    loveda_images=190,
    isaid_images=190,
    cls_per_class=40,
    eurosat_per_class=40,
    uav_per_class=40,
    count_images=300,
    planted_duplicates=50,
)

_SMOKE_SYNTH = SynthSpec(
    ret_images=47,
    dota_images=16,
    voc_images=12,
    loveda_images=8,
    isaid_images=8,
    cls_per_class=5,
    eurosat_per_class=5,
    uav_per_class=5,
    count_images=20,
    planted_duplicates=14,
)

PROFILES = {
    "smoke": Profile(
        "smoke",
        "tiny embedded set, CPU: the whole sequence in a few minutes (CI)",
        _SMOKE_SYNTH,
        cell_timeout_s=600,
        train=TrainSpec(steps=30, lr=5e-4, warmup=5, ablation_passes=(1, 2),
                        ablation_seeds=2),
    ),
    "default": Profile(
        "default",
        "embedded set large enough to learn, CPU: the main job, <= 15 min on 2 cores",
        _DEFAULT_SYNTH,
        cell_timeout_s=1800,
        train=TrainSpec(),
    ),
    "long": Profile(
        "long",
        "the default's data and recipe with the full budget study (1 to 64 passes over RET, "
        "three seeds): about an hour on 2 cores",
        _DEFAULT_SYNTH,
        # 64 passes: the default run's RET-only validation mR still rose 2.1 points from 8 to
        # 16 passes (one seed, AMD EPYC), so the study doubles twice beyond it to reach
        # saturation (47 min on an AMD EPYC); the budget study is one cell of notebook 06
        cell_timeout_s=3 * 3600,
        train=TrainSpec(ablation_passes=(1, 2, 4, 8, 16, 32, 64), ablation_seeds=3),
    ),
    "paper": Profile(
        "paper",
        "real datasets and OpenAI / RemoteCLIP weights on a GPU (Colab)",
        _SMOKE_SYNTH,  # the embedded sets only illustrate the lessons here; the real data trains
        cell_timeout_s=20 * 3600,  # notebook 06's budget study is one cell (below)
        # the paper's ViT-B-32 recipe (section IV-A): lr 4e-5, batch 256, 108,215 steps; the
        # warm-up length is not given (2,000 steps here, open_clip's 10,000 default is long).
        # From scratch at the same budget (a shorter one would compare unequal budgets), and the
        # budget study up to the paper's 400 passes over RET-3 (108k steps), one seed: on one
        # H200 (benchmarks/gpu/LAST_RUN.md: 2,846 images/s AMP at batch 256) a 108k-step run is
        # about 2.7 hours; the study's runs (three, and the control at twice the batch) about
        # 13.5 hours
        train=TrainSpec(model="ViT-B-32", pretrained="openai", steps=108_215, batch_size=256,
                        lr=4e-5, warmup=2000, precision="amp", workers=8,
                        ablation_passes=(25, 50, 100, 200, 400), ablation_seeds=1,
                        data="shards"),
        b2c_number_words=False,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; an unknown name lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
