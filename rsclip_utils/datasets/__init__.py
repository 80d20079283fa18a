"""Readers of the paper's data formats; each returns a :class:`ReadResult` of
:class:`~rsclip_utils.records.Record` plus a :class:`ReadReport` (``read_report.py``).

Introduced in notebook 00. ``strict=True`` (default) raises a
:class:`~rsclip_utils.errors.FormatError` naming file and line on malformed input;
``strict=False`` counts and lists it in the report instead (lenient batch mode).
"""

from ..images import load_rgb
from ._common import IMAGE_EXTENSIONS, ReadResult, image_size
from .boxtxt import read_box_txt, read_carpk, read_levir, read_visdrone
from .caption_sets import precomp_splits, read_karpathy, read_precomp
from .coco import read_coco
from .counting import CountRow, read_count_tsv, write_count_tsv
from .dota import read_dota
from .embedded import EMBEDDED_SOURCES, load_embedded
from .hrsc import read_hrsc, rotated_box_polygon
from .nwpu import NWPU_CLASSES, read_nwpu_vhr10
from .read_report import Problem, ReadReport
from .remotecount import build_remotecount, load_remotecount, select_counts
from .samples import read_real_samples
from .scene_folders import read_rsicd_class_lists, read_scene_folders, split_counts
from .segmentation import (
    MASK_FORMATS,
    UNKNOWN,
    LabelMap,
    MaskFormat,
    decode_array,
    decode_mask,
    encode_mask,
    read_isaid,
    read_isprs,
    read_loveda,
    read_seg_pairs,
)
from .uav import extract_sdd_frames, read_auair, read_stanford_drone
from .voc import read_voc

__all__ = [
    "IMAGE_EXTENSIONS",
    "ReadResult",
    "ReadReport",
    "Problem",
    "image_size",
    "load_rgb",
    "precomp_splits",
    "read_karpathy",
    "read_precomp",
    "read_coco",
    "CountRow",
    "read_count_tsv",
    "write_count_tsv",
    "build_remotecount",
    "load_remotecount",
    "select_counts",
    "read_dota",
    "read_hrsc",
    "rotated_box_polygon",
    "NWPU_CLASSES",
    "read_nwpu_vhr10",
    "read_rsicd_class_lists",
    "read_scene_folders",
    "split_counts",
    "MASK_FORMATS",
    "UNKNOWN",
    "LabelMap",
    "MaskFormat",
    "decode_array",
    "decode_mask",
    "encode_mask",
    "read_isaid",
    "read_isprs",
    "read_loveda",
    "read_seg_pairs",
    "read_voc",
    "read_box_txt",
    "read_carpk",
    "read_levir",
    "read_visdrone",
    "extract_sdd_frames",
    "read_auair",
    "read_stanford_drone",
    "EMBEDDED_SOURCES",
    "load_embedded",
    "read_real_samples",
]
