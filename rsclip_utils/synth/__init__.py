"""The embedded datasets: a deterministic generator of top-down scenes written in the real
formats of the paper's sources (RET, DET, SEG, CLS, COUNT) with planted near-duplicates.

Introduced in notebook 00. Same seed, same bytes.
"""

from .captions import count_caption, scene_captions
from .generate import (
    DIOR_NAMES,
    DOTA_NAMES,
    ISAID_NAMES,
    ensure_embedded,
    generate_embedded,
    read_ground_truth,
)
from .renderers import (
    COUNT_CATEGORIES,
    DETECTION_SCENES,
    EUROSAT_CLASSES,
    SCENE_CLASSES,
    UAV_CLASSES,
    render_scene,
)

__all__ = [
    "count_caption",
    "scene_captions",
    "DIOR_NAMES",
    "DOTA_NAMES",
    "ISAID_NAMES",
    "ensure_embedded",
    "generate_embedded",
    "read_ground_truth",
    "COUNT_CATEGORIES",
    "DETECTION_SCENES",
    "SCENE_CLASSES",
    "EUROSAT_CLASSES",
    "UAV_CLASSES",
    "render_scene",
]
