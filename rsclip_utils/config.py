"""Profiles: one papermill parameter (``PROFILE``) that sets data sizes, model and budget.

Introduced in notebook 00; every notebook's derived cell reads its profile from here.

| profile | data | device | budget |
|---|---|---|---|
| ``smoke`` | tiny embedded synthetic set | CPU | whole sequence a few minutes; CI |
| ``default`` | embedded set, large enough to learn | CPU (GPU if present) | <= 15 min, 2 cores |
| ``paper`` | real datasets, downloaded | CUDA | hours on one GPU |
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SynthSpec:
    """How many images of each embedded sub-dataset to generate, and their sizes (pixels)."""

    ret_images: int
    dota_images: int
    voc_images: int
    loveda_images: int
    isaid_images: int
    cls_per_class: int
    count_images: int
    planted_duplicates: int
    small_size: int = 128
    large_size: int = 256

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Profile:
    """A named set of choices the notebooks derive everything else from."""

    name: str
    description: str
    synth: SynthSpec
    cell_timeout_s: int


_DEFAULT_SYNTH = SynthSpec(
    ret_images=1500,
    dota_images=300,
    voc_images=200,
    loveda_images=120,
    isaid_images=120,
    cls_per_class=60,
    count_images=300,
    planted_duplicates=60,
)

PROFILES = {
    "smoke": Profile(
        "smoke",
        "tiny embedded set, CPU: the whole sequence in a few minutes (CI)",
        SynthSpec(
            ret_images=60,
            dota_images=16,
            voc_images=12,
            loveda_images=8,
            isaid_images=8,
            cls_per_class=6,
            count_images=20,
            planted_duplicates=14,
        ),
        cell_timeout_s=600,
    ),
    "default": Profile(
        "default",
        "embedded set large enough to learn, CPU: the main job, <= 15 min on 2 cores",
        _DEFAULT_SYNTH,
        cell_timeout_s=1800,
    ),
    "paper": Profile(
        "paper",
        "real datasets and OpenAI / RemoteCLIP weights on a GPU (Colab)",
        _DEFAULT_SYNTH,  # the embedded sets still serve the offline comparisons
        cell_timeout_s=4 * 3600,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; an unknown name lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}") from None
