"""Writes the embedded datasets, each in the real on-disk format of the source it stands for,
plus planted near-duplicates with their ground truth. Introduced in notebook 00.

Layout under ``root`` (the formats the readers in :mod:`rsclip_utils.datasets` read):

======================  =====================================================================
``ret/``                RET (RSICD-like): ``images/NNNNN.jpg`` + Karpathy ``dataset.json``
``det_dota/{split}/``   DET (DOTA v1): ``images/PNNNN.png`` + ``labelTxt/PNNNN.txt``
``det_voc/``            DET (DIOR-like VOC): ``JPEGImages``, ``Annotations``, ``ImageSets/Main``
``seg_loveda/``         SEG (LoveDA): ``{Train,Val}/{Urban,Rural}/{images_png,masks_png}``
``seg_isaid/{split}/``  SEG (iSAID): ``images/PNNNN.png`` + colour and instance-id masks
``cls/<Class>/``        CLS (AID-like scene folders, 16 classes, 128 px)
``cls_eurosat/<Class>/``  CLS (EuroSAT-like: EuroSAT's 10 classes, 64 px, coarse and hazy)
``cls_uav/<Class>/``    CLS (UAV-like: 8 classes, 128 px, low altitude, vivid)
``count/``              COUNT: ``images/NNNNN.jpg`` + ``counts.tsv``
``duplicates.tsv``      the planted near-duplicates (original, copy, transforms, p-Hash distance)
``ground_truth.jsonl``  what the generator drew, per image (objects with pixel-exact boxes, ...)
``embedded.json``       spec, seed, counts; written last, it marks a complete set
``timings.json``        how long the generation took, with how many processes (not stamped:
                        the same set generated again has the same content, not the same time)
======================  =====================================================================

Determinism: every image draws from its own generator seeded by (seed, subset, index), and
results are gathered in job order, so the same seed gives the same bytes whatever the number of
worker processes.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import time
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, ImageEnhance
from scipy import ndimage

from ..config import SynthSpec
from ..datasets.segmentation import ISAID_COLOR, ISAID_ID, encode_mask
from ..dedup import brute_force_pairs, hamming
from ..progress import tqdm
from ..text import model_tokens
from .captions import count_caption, scene_captions
from .nuisance import STYLES, draw_conditions, geometric, photometric, render_size
from .renderers import (
    COUNT_CATEGORIES,
    DETECTION_SCENES,
    EUROSAT_CLASSES,
    SCENE_CLASSES,
    UAV_CLASSES,
    Scene,
    render_count_scene,
    render_landcover,
    render_scene,
)

GENERATOR_VERSION = 8
STRONG_EVERY = 5  # every fifth planted copy is a strong one
SENTINEL = ".rsclip_embedded"
SUBSET_CODES = {"ret": 1, "dota": 2, "voc": 3, "loveda": 4, "isaid": 5, "cls": 6, "count": 7,
                "eurosat": 9, "uav": 10}  # 8: the web corpus (synth/web.py)
# The scene sets (evaluation only, never trained on): subset -> (folder, label -> scene drawn,
# imaging style of synth/nuisance.py)
SCENE_SETS = {
    "cls": ("cls", {c: c for c in SCENE_CLASSES}, "aid"),
    "eurosat": ("cls_eurosat", EUROSAT_CLASSES, "eurosat"),
    "uav": ("cls_uav", UAV_CLASSES, "uav"),
}
# RSICD's images come from 30 scene classes; the RET set draws these 20
RET_SCENES = SCENE_CLASSES + ["Sports", "Highway", "Lake", "Orchard"]
# RET splits: RSICD's Karpathy split is 80 / 10 / 10, validation as large as test; here 40 / 20 /
# 40 as drawn (the default profile draws 120 test and 60 validation images; the test images that
# cannot keep five captions distinct from the other test images' move to validation, which the
# generator's summary counts), so that notebook 06's budget rule reads a validation split about
# as large as test, and RET train stays 8 % of the training images (Table I)
RET_SPLITS = [("train", 0.4), ("val", 0.2), ("test", 0.4)]
RET_CANDIDATES = 20  # captions drawn per RET image; the test split keeps 5 no other test image has

DOTA_NAMES = {
    "plane": "plane",
    "ship": "ship",
    "storage tank": "storage-tank",
    "small vehicle": "small-vehicle",
    "large vehicle": "large-vehicle",
    "tennis court": "tennis-court",
    "basketball court": "basketball-court",
    "ground track field": "ground-track-field",
    "soccer field": "soccer-ball-field",
    "baseball diamond": "baseball-diamond",
    "swimming pool": "swimming-pool",
    "roundabout": "roundabout",
    "harbor": "harbor",
    "bridge": "bridge",
}
DIOR_NAMES = {
    "plane": "airplane",
    "ship": "ship",
    "storage tank": "storagetank",
    "small vehicle": "vehicle",
    "large vehicle": "vehicle",
    "tennis court": "tenniscourt",
    "basketball court": "basketballcourt",
    "ground track field": "groundtrackfield",
    "baseball diamond": "baseballfield",
    "harbor": "harbor",
    "bridge": "bridge",
}
ISAID_NAMES = {
    "plane": "plane",
    "ship": "ship",
    "storage tank": "storage_tank",
    "small vehicle": "Small_Vehicle",
    "large vehicle": "Large_Vehicle",
    "tennis court": "tennis_court",
    "basketball court": "basketball_court",
    "ground track field": "Ground_Track_Field",
    "soccer field": "Soccer_ball_field",
    "baseball diamond": "baseball_diamond",
    "swimming pool": "Swimming_pool",
    "roundabout": "Roundabout",
    "harbor": "Harbor",
    "bridge": "Bridge",
}
# Planted duplicates, cycled in this order: (source set, split) -> (target set, split).
# Never into a scene set, whose own 8:2 split (train for probes, test for scoring) a copy could
# straddle; every copy of an evaluation image lands in a training set, where dedup must find it.
COPY_PLANS = [
    ("ret", "train", "ret", "train"),  # within RET train
    ("ret", "test", "dota", "train"),  # an evaluation image inside a detection training set
    ("cls", None, "ret", "train"),  # an AID-like scene inside RET train (RSICD and AID overlap)
    ("count", "test", "ret", "train"),  # a counting test image inside RET train
    ("isaid", "val", "dota", "train"),  # iSAID is cut from DOTA scenes
    ("dota", "train", "voc", "trainval"),  # across detection sources
    ("ret", "val", "ret", "train"),  # a RET val image inside RET train
    ("eurosat", None, "ret", "train"),  # a EuroSAT-like tile, enlarged, inside RET train
    ("uav", None, "ret", "train"),  # a UAV-like view inside RET train
]
IMAGE_FORMAT = {
    "ret": "JPEG",
    "cls": "JPEG",
    "eurosat": "JPEG",
    "uav": "JPEG",
    "count": "JPEG",
    "voc": "JPEG",
    "dota": "PNG",
    "loveda": "PNG",
    "isaid": "PNG",
}
OBJECT_SCENES = set(DETECTION_SCENES) | {"Playground", "BaseballField"}


@dataclass(frozen=True)
class Job:
    """One image to draw: which set, its index and split, its scene, its seed."""

    subset: str
    index: int
    split: str
    scene: str
    seed: tuple
    count: int = 0
    name: str = ""
    label: str = ""  # scene sets: the folder (class) name; the scene drawn may be another


@dataclass(frozen=True)
class CopyJob:
    """A planted near-duplicate: ``source`` redrawn, transformed, written as ``target``.

    ``mild`` copies (re-encode, small resize, 1-2 px shift, colour jitter) are kept within the
    paper's threshold (p-Hash distance < 2); ``strong`` ones (a crop of up to 3 % zoomed back,
    stronger jitter) are written as they come, so a threshold sweep has something to miss."""

    source: Job
    target: Job
    seed: tuple
    strength: str = "mild"


@dataclass
class Plan:
    """Every image the generator will draw, as jobs in a fixed order."""
    jobs: list = field(default_factory=list)

    def of(self, subset: str, split: str | None = None) -> list[Job]:
        """The jobs of one subset (and split)."""
        return [
            j
            for j in self.jobs
            if isinstance(j, Job) and j.subset == subset and (split is None or j.split == split)
        ]


# --- planning ----------------------------------------------------------------------------------


def _splits(n: int, fractions: list[tuple[str, float]]) -> list[str]:
    out = []
    for name, frac in fractions[:-1]:
        out += [name] * int(round(n * frac))
    out += [fractions[-1][0]] * (n - len(out))
    return out[:n]


def _file_name(subset: str, index: int, scene: str = "") -> str:
    if subset in ("dota", "isaid"):
        return f"P{index:04d}"
    if subset in SCENE_SETS:  # zero-padded: sorted by name is drawn order (the 8:2 rule)
        return f"{scene.lower()}_{index + 1:03d}"
    if subset == "loveda":
        return str(index)
    return f"{index:05d}"


def plan_jobs(spec: SynthSpec, seed: int) -> Plan:
    """Every image of every set, in a fixed order, before anything is drawn."""
    rng = np.random.default_rng([seed, 0])
    plan = Plan()

    def add(subset, n, scenes, fractions, **kw):
        splits = _splits(n, fractions)
        for i in range(n):
            scene = scenes[i % len(scenes)] if kw.get("cycle") else str(rng.choice(scenes))
            plan.jobs.append(
                Job(
                    subset,
                    i,
                    splits[i],
                    scene,
                    (seed, SUBSET_CODES[subset], i),
                    name=_file_name(subset, i, scene),
                )
            )

    add("ret", spec.ret_images, RET_SCENES, RET_SPLITS, cycle=True)
    add("dota", spec.dota_images, DETECTION_SCENES, [("train", 0.75), ("val", 0.25)])
    add("voc", spec.voc_images, DETECTION_SCENES, [("trainval", 0.75), ("test", 0.25)])
    add(
        "loveda",
        spec.loveda_images,
        ["urban", "rural"],
        [("train", 0.75), ("val", 0.25)],
        cycle=True,
    )
    add("isaid", spec.isaid_images, DETECTION_SCENES, [("train", 0.75), ("val", 0.25)])
    per_class = {"cls": spec.cls_per_class, "eurosat": spec.eurosat_per_class,
                 "uav": spec.uav_per_class}
    for subset, (_, classes, _) in SCENE_SETS.items():
        for c, (label, scene) in enumerate(classes.items()):
            for k in range(per_class[subset]):
                plan.jobs.append(Job(subset, k, "", scene, (seed, SUBSET_CODES[subset], c, k),
                                     name=_file_name(subset, k, label), label=label))
    categories = list(COUNT_CATEGORIES)
    for i in range(spec.count_images):
        plan.jobs.append(
            Job(
                "count",
                i,
                "test",
                categories[i % len(categories)],
                (seed, SUBSET_CODES["count"], i),
                count=1 + (i // len(categories)) % 10,
                name=_file_name("count", i),
            )
        )
    _plan_copies(plan, spec, seed)
    return plan


def _plan_copies(plan: Plan, spec: SynthSpec, seed: int) -> None:
    rng = np.random.default_rng([seed, 98])
    used: set = set()
    next_index: dict = {}
    for k in range(spec.planted_duplicates):
        for attempt in range(len(COPY_PLANS)):
            src_set, src_split, dst_set, dst_split = COPY_PLANS[(k + attempt) % len(COPY_PLANS)]
            pool = [
                j
                for j in plan.of(src_set, src_split)
                if j not in used
                and (
                    dst_set not in ("dota", "voc")
                    or j.subset in ("dota", "isaid", "voc")
                    or j.scene in OBJECT_SCENES
                )
            ]
            if pool:
                break
        else:
            return
        source = pool[int(rng.integers(len(pool)))]
        used.add(source)
        if dst_set in SCENE_SETS:
            raise ValueError(f"copy plan into the scene set {dst_set}: it could straddle its split")
        if dst_set not in next_index:
            next_index[dst_set] = len(plan.of(dst_set))
        index = next_index[dst_set]
        next_index[dst_set] += 1
        split = dst_split
        target = Job(
            dst_set,
            index,
            split,
            source.scene,
            source.seed,
            count=source.count,
            name=_file_name(dst_set, index, source.scene),
        )
        plan.jobs.append(
            CopyJob(
                source,
                target,
                (seed, 99, k),
                "strong" if k % STRONG_EVERY == STRONG_EVERY - 1 else "mild",
            )
        )


# --- drawing and writing (runs in worker processes) ------------------------------------------


def _size(subset: str, spec: SynthSpec) -> int:
    if subset == "eurosat":
        return spec.small_size // 2  # EuroSAT's 64 px tiles
    if subset in ("voc", "loveda"):
        return spec.mid_size
    return spec.small_size if subset in ("ret", "count", "cls", "uav") else spec.large_size


def conditions(job: Job) -> dict:
    """The imaging conditions of one job (synth/nuisance.py), from its own seed."""
    style = STYLES[SCENE_SETS[job.subset][2] if job.subset in SCENE_SETS else "source"]
    return draw_conditions(style, np.random.default_rng(list(job.seed) + [7]))


def _render(job: Job, spec: SynthSpec) -> tuple[Scene, np.random.Generator]:
    rng = np.random.default_rng(list(job.seed))
    size = _size(job.subset, spec)
    cond = conditions(job)
    style = STYLES[SCENE_SETS[job.subset][2] if job.subset in SCENE_SETS else "source"]
    if job.subset in SCENE_SETS:  # drawn at the GSD of its conditions, then turned and resized
        scene = render_scene(job.scene, rng, render_size(spec.small_size, cond), masks=False)
        scene.image = photometric(geometric(scene.image, cond, size), cond, style.noise)
        scene.inst_mask = np.zeros((size, size), np.int32)  # not annotated
        return scene, rng
    if job.subset == "loveda":
        scene = render_landcover(rng, size, job.scene)
    elif job.subset == "count":
        scene = render_count_scene(job.scene, job.count, rng, size)
    else:
        scene = render_scene(job.scene, rng, size, masks=True)
    scene.image = photometric(scene.image, cond, style.noise)
    if job.subset == "loveda" and scene.facts.get("nodata"):
        scene.image[scene.cls_mask == 0] = 0  # no-data stays black
    return scene, rng


def _encode(image: np.ndarray, fmt: str, quality: int = 95) -> bytes:
    buf = io.BytesIO()
    im = Image.fromarray(image)
    if fmt == "JPEG":
        im.save(buf, "JPEG", quality=quality)
    else:
        im.save(buf, "PNG", compress_level=1)  # lossless all the same; 1 is the fastest
    return buf.getvalue()


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


def _phash(image: np.ndarray) -> int:
    return int(str(imagehash.phash(Image.fromarray(image))), 16)


def _paths(root: Path, job: Job) -> dict[str, Path]:
    n = job.name
    if job.subset == "ret":
        return {"image": root / "ret" / "images" / f"{n}.jpg"}
    if job.subset == "dota":
        d = root / "det_dota" / job.split
        return {"image": d / "images" / f"{n}.png", "label": d / "labelTxt" / f"{n}.txt"}
    if job.subset == "voc":
        d = root / "det_voc"
        return {"image": d / "JPEGImages" / f"{n}.jpg", "label": d / "Annotations" / f"{n}.xml"}
    if job.subset == "loveda":
        d = root / "seg_loveda" / job.split.capitalize() / job.scene.capitalize()
        return {"image": d / "images_png" / f"{n}.png", "mask": d / "masks_png" / f"{n}.png"}
    if job.subset == "isaid":
        d = root / "seg_isaid" / job.split / "images"
        return {
            "image": d / f"{n}.png",
            "mask": d / f"{n}_instance_color_RGB.png",
            "instances": d / f"{n}_instance_id_RGB.png",
        }
    if job.subset in SCENE_SETS:
        return {"image": root / SCENE_SETS[job.subset][0] / job.label / f"{n}.jpg"}
    if job.subset == "count":
        return {"image": root / "count" / "images" / f"{n}.jpg"}
    raise ValueError(job.subset)


def _instance_boxes(inst: np.ndarray) -> dict[int, tuple[int, int, int, int]]:
    boxes = {}
    for i, sl in enumerate(ndimage.find_objects(inst), 1):
        if sl is not None:
            boxes[i] = (sl[1].start, sl[0].start, sl[1].stop - 1, sl[0].stop - 1)
    return boxes


def _objects(
    scene: Scene, inst: np.ndarray, names: dict, affine=(1.0, 1.0, 0.0, 0.0)
) -> list[dict]:
    """Annotated objects: pixel-exact boxes from the instance mask, oriented boxes as polygons.

    ``affine`` (sx, sy, dx, dy) maps the drawn coordinates to the written image's (copies)."""
    sx, sy, dx, dy = affine
    boxes = _instance_boxes(inst)
    out = []
    for t in scene.things:
        label = names.get(t.kind)
        box = boxes.get(t.inst)
        if label is None or box is None:
            continue
        obb = t.obb.astype(float).copy()
        obb[:, 0] = (obb[:, 0] + 0.5) * sx - 0.5 + dx
        obb[:, 1] = (obb[:, 1] + 0.5) * sy - 0.5 + dy
        out.append(
            {
                "label": label,
                "box": list(box),
                # rounded down to 0.1 px: PIL fills up to int(vertex), so the written
                # polygon's pixel extent still holds every drawn pixel
                "polygon": [math.floor(float(v) * 10) / 10 for v in obb.reshape(-1)],
                "difficult": max(box[2] - box[0], box[3] - box[1]) + 1 < 8,
                "instance": t.inst,
            }
        )
    return out


def _write_dota(path: Path, objects: list[dict]) -> None:
    lines = ["imagesource:synthetic", "gsd:0.5"]
    for o in objects:
        coords = " ".join(f"{v:.1f}" for v in o["polygon"])
        lines.append(f"{coords} {o['label']} {int(o['difficult'])}")
    path.write_text("\n".join(lines) + "\n")


def _write_voc(path: Path, filename: str, size: tuple[int, int], objects: list[dict]) -> None:
    w, h = size
    parts = [
        f"<annotation>\n\t<folder>JPEGImages</folder>\n\t<filename>{filename}</filename>\n"
        f"\t<source>\n\t\t<database>rsclip embedded</database>\n\t</source>\n"
        f"\t<size>\n\t\t<width>{w}</width>\n\t\t<height>{h}</height>\n\t\t<depth>3</depth>\n"
        f"\t</size>\n\t<segmented>0</segmented>\n"
    ]
    for o in objects:  # VOC numbers pixels from 1
        x0, y0, x1, y1 = (v + 1 for v in o["box"])
        parts.append(
            f"\t<object>\n\t\t<name>{o['label']}</name>\n\t\t<pose>Unspecified</pose>\n"
            f"\t\t<truncated>0</truncated>\n\t\t<difficult>{int(o['difficult'])}</difficult>\n"
            f"\t\t<bndbox>\n\t\t\t<xmin>{x0}</xmin>\n\t\t\t<ymin>{y0}</ymin>\n"
            f"\t\t\t<xmax>{x1}</xmax>\n\t\t\t<ymax>{y1}</ymax>\n\t\t</bndbox>\n\t</object>\n"
        )
    parts.append("</annotation>\n")
    path.write_text("".join(parts))


def _isaid_masks(scene: Scene, inst: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """iSAID colour (class) and instance-id images from the instance mask."""
    classes = np.zeros(inst.shape, dtype=np.uint8)
    ids = np.zeros(inst.shape, dtype=np.int64)
    instances = []
    for t in scene.things:
        name = ISAID_NAMES.get(t.kind)
        if name is None:
            continue
        where = inst == t.inst
        if not where.any():
            continue
        code = (t.inst * 2654435761) % (1 << 24)  # odd multiplier: distinct, non-zero ids
        classes[where] = ISAID_COLOR.value_of(name)
        ids[where] = code
        instances.append({"label": name, "id": int(code), "pixels": int(where.sum())})
    return encode_mask(classes, ISAID_COLOR), encode_mask(ids, ISAID_ID), instances


def _write_job(
    root: Path,
    job: Job,
    scene: Scene,
    image: np.ndarray,
    data: bytes,
    rng,
    affine=(1.0, 1.0, 0.0, 0.0),
    inst: np.ndarray | None = None,
) -> dict:
    """Write one image and its per-image annotation files; returns its ground-truth entry."""
    paths = _paths(root, job)
    for p in paths.values():
        p.parent.mkdir(parents=True, exist_ok=True)
    paths["image"].write_bytes(data)
    h, w = image.shape[:2]
    inst = scene.inst_mask if inst is None else inst
    meta = {
        "subset": job.subset,
        "split": job.split,
        "name": job.name,
        "scene": job.scene,
        "path": str(paths["image"].relative_to(root)),
        "width": w,
        "height": h,
    }
    if job.subset == "ret":  # candidates; _write_indexes keeps five
        meta["captions"] = scene_captions(scene, rng, w, n=RET_CANDIDATES)
    elif job.subset == "dota":
        meta["objects"] = _objects(scene, inst, DOTA_NAMES, affine)
        _write_dota(paths["label"], meta["objects"])
    elif job.subset == "voc":
        meta["objects"] = _objects(scene, inst, DIOR_NAMES, affine)
        _write_voc(paths["label"], paths["image"].name, (w, h), meta["objects"])
    elif job.subset == "loveda":
        Image.fromarray(scene.cls_mask).save(paths["mask"], compress_level=1)
        values, counts = np.unique(scene.cls_mask, return_counts=True)
        meta["class_pixels"] = {str(v): int(c) for v, c in zip(values.tolist(), counts.tolist())}
    elif job.subset == "isaid":
        colour, ids, instances = _isaid_masks(scene, inst)
        Image.fromarray(colour).save(paths["mask"], compress_level=1)
        Image.fromarray(ids).save(paths["instances"], compress_level=1)
        meta["objects"] = _objects(scene, inst, ISAID_NAMES, affine)
        meta["instances"] = instances
    elif job.subset in SCENE_SETS:
        meta["label"] = job.label
    elif job.subset == "count":
        meta.update(
            count=job.count, category=job.scene, captions=[count_caption(job.scene, job.count)]
        )
        # each counted object's box (ground truth only: the format has no boxes), for notebook
        # 06's counting diagnosis (the objects' size in pixels at the model's input)
        boxes = _instance_boxes(inst) if inst is not None else {}
        meta["boxes"] = [list(boxes[t.inst]) for t in scene.things
                         if t.kind == job.scene and t.inst in boxes]
    if job.subset in SCENE_SETS:
        meta["conditions"] = {k: v for k, v in conditions(job).items() if k != "noise_seed"}
    meta["phash"] = f"{_phash(image):016x}"
    return meta


def _draw_job(root: Path, spec: SynthSpec, job: Job) -> dict:
    scene, rng = _render(job, spec)
    data = _encode(scene.image, IMAGE_FORMAT[job.subset])
    image = _decode(data) if IMAGE_FORMAT[job.subset] == "JPEG" else scene.image
    return _write_job(root, job, scene, image, data, rng)


def _transform(image: np.ndarray, inst: np.ndarray, name: str, rng, level: int, target_size: int):
    """One planted change, milder at higher ``level``; returns image, mask, affine, label."""
    h, w = image.shape[:2]
    if name == "resize_to" or name == "resize":
        if name == "resize":
            f = 1 + rng.choice([-1, 1]) * rng.uniform(0.03, 0.08) / (1 + level)
            nw = nh = max(8, int(round(w * f)))
        else:
            nw = nh = target_size
        im = np.asarray(Image.fromarray(image).resize((nw, nh), Image.BICUBIC))
        m = np.asarray(Image.fromarray(inst).resize((nw, nh), Image.NEAREST))
        return im, m, (nw / w, nh / h, 0.0, 0.0), f"{name}:{nw}x{nh}"
    if name == "shift":
        dx, dy = (int(v) for v in rng.integers(-2, 3, 2) // (1 + level))
        if dx == 0 and dy == 0:
            dx = 1
        pad = ((2, 2), (2, 2))
        big = np.pad(image, pad + ((0, 0),), mode="edge")
        bigm = np.pad(inst, pad, mode="constant")
        im = big[2 - dy : 2 - dy + h, 2 - dx : 2 - dx + w]
        m = bigm[2 - dy : 2 - dy + h, 2 - dx : 2 - dx + w]
        return (
            np.ascontiguousarray(im),
            np.ascontiguousarray(m),
            (1.0, 1.0, dx, dy),
            f"shift:{dx},{dy}",
        )
    if name == "crop":  # cut up to 3 % off each side at random, zoom back to the same size
        x0, y0, x1, y1 = (
            int(round(v * w))
            for v in (
                rng.uniform(0, 0.03),
                rng.uniform(0, 0.03),
                1 - rng.uniform(0, 0.03),
                1 - rng.uniform(0, 0.03),
            )
        )
        im = np.asarray(Image.fromarray(image[y0:y1, x0:x1]).resize((w, h), Image.BICUBIC))
        m = np.asarray(Image.fromarray(inst[y0:y1, x0:x1]).resize((w, h), Image.NEAREST))
        fx, fy = w / (x1 - x0), h / (y1 - y0)
        return im, m, (fx, fy, -x0 * fx, -y0 * fy), f"crop:{x0},{y0},{x1},{y1}"
    if name in ("jitter", "strong_jitter"):
        amount = 0.08 if name == "jitter" else 0.15
        b = 1 + rng.uniform(-amount, amount) / (1 + level)
        c = 1 + rng.uniform(-amount, amount) / (1 + level)
        im = ImageEnhance.Contrast(
            ImageEnhance.Brightness(Image.fromarray(image)).enhance(b)
        ).enhance(c)
        return np.asarray(im), inst, (1.0, 1.0, 0.0, 0.0), f"jitter:{b:.3f},{c:.3f}"
    raise ValueError(name)


def _exact_copy(root: Path, job: CopyJob, scene: Scene, image, data: bytes, rng) -> dict:
    meta = _write_job(root, job.target, scene, image, data, rng)
    meta.update(
        duplicate_of=_rel(root, job.source),
        transforms=["identical"],
        phash_distance=0,
        strength="mild",
    )
    return meta


def _draw_copy(root: Path, spec: SynthSpec, job: CopyJob, max_distance: int = 1) -> dict:
    """Redraw the source exactly as written, change it, and write it into the target set.

    The change gets milder until the copy's p-Hash is within ``max_distance`` of the original's
    (the paper's threshold: distance < 2); the ground truth records what was done."""
    scene, _ = _render(job.source, spec)
    src_fmt, dst_fmt = IMAGE_FORMAT[job.source.subset], IMAGE_FORMAT[job.target.subset]
    src_data = _encode(scene.image, src_fmt)
    src_image = _decode(src_data) if src_fmt == "JPEG" else scene.image
    src_hash = _phash(src_image)
    rng = np.random.default_rng(list(job.seed))
    target_size = _size(job.target.subset, spec)
    same_shape = target_size == src_image.shape[0] and src_fmt == dst_fmt
    caption_rng = np.random.default_rng(list(job.seed) + [1])
    if same_shape and job.strength == "mild" and rng.random() < 0.2:
        return _exact_copy(root, job, scene, src_image, src_data, caption_rng)
    names = list(
        rng.choice(
            ["jpeg", "resize", "shift", "jitter"], size=int(rng.integers(1, 3)), replace=False
        )
    )
    if job.strength == "strong":
        names = ["crop", "strong_jitter", "jpeg"]
    if target_size != src_image.shape[0]:
        names = ["resize_to"] + [n for n in names if n != "resize"]
    strength = job.strength
    # levels 0-2 weaken the change; levels 3-8 keep only the resize a cross-size copy needs,
    # re-encoded with other seeds (a plain JPEG re-encode alone can flip a tie-prone bit)
    for level in range(9):
        image, inst, done = src_image, scene.inst_mask, []
        sx, sy, dx, dy = 1.0, 1.0, 0.0, 0.0
        step_rng = np.random.default_rng(list(job.seed) + [10 + level])
        quality = 95
        for name in names if level < 3 else [n for n in names if n == "resize_to"]:
            if name == "jpeg":
                quality = int(step_rng.integers(70, 90)) + 4 * level
                data = _encode(image, "JPEG", quality)
                image = _decode(data)
                done.append(f"jpeg:{quality}")
                continue
            image, inst, (fx, fy, tx, ty), label = _transform(
                image, inst, name, step_rng, level, target_size
            )
            sx, sy, dx, dy = sx * fx, sy * fy, dx * fx + tx, dy * fy + ty
            done.append(label)
        data = _encode(image, dst_fmt, 95 - (level - 3) if level > 3 else 95)
        written = _decode(data) if dst_fmt == "JPEG" else image
        distance = bin(src_hash ^ _phash(written)).count("1")
        if distance <= max_distance or job.strength == "strong":
            break
    else:
        if same_shape:  # nothing milder exists: plant an exact copy
            return _exact_copy(root, job, scene, src_image, src_data, caption_rng)
        strength = "strong"  # no change was mild enough (an enlarged 64 px tile): say so
    meta = _write_job(root, job.target, scene, written, data, caption_rng, (sx, sy, dx, dy), inst)
    if not done:
        done = [f"re-encode:{dst_fmt.lower()}"]
    meta.update(
        duplicate_of=_rel(root, job.source),
        transforms=done,
        phash_distance=distance,
        strength=strength,
    )
    return meta


def _rel(root: Path, job: Job) -> str:
    return str(_paths(root, job)["image"].relative_to(root))


def _run(args) -> dict:
    root, spec, job = args
    if isinstance(job, CopyJob):
        return _draw_copy(root, spec, job)
    return _draw_job(root, spec, job)


# --- the whole set -----------------------------------------------------------------------------


def choose_ret_captions(ret: list[dict], n: int = 5) -> dict:
    """Keep ``n`` captions per RET image (in name order): the first ``n`` candidates, and for a
    test image ``n`` that no earlier test image kept, so that every test caption has exactly
    one correct image. Captions are compared as the model sees them (open_clip's tokens:
    ``"A field."`` and ``"a field ."`` are one caption), within an image and across test images.
    A test image without ``n`` such captions moves to the val split (and keeps its first
    ``n``); returns how many moved."""
    used: set[tuple[int, ...]] = set()
    moved = 0
    for m in sorted(ret, key=lambda m: m["name"]):
        fresh, keys = [], set()
        for c in m["captions"]:
            key = model_tokens(c)
            if key not in used and key not in keys:
                fresh.append(c)
                keys.add(key)
        fresh = fresh[:n]
        if m["split"] == "test" and len(fresh) == n:
            m["captions"] = fresh
            used.update(model_tokens(c) for c in fresh)
            continue
        if m["split"] == "test":
            m["split"] = "val"
            moved += 1
        m["captions"] = m["captions"][:n]
    return {"ret_test_images_moved_to_val": moved}


def _write_indexes(root: Path, metas: list[dict]) -> dict:
    ret = [m for m in metas if m["subset"] == "ret"]
    short = choose_ret_captions(ret)
    images, sent = [], 0
    for i, m in enumerate(sorted(ret, key=lambda m: m["name"])):
        sentences = []
        for c in m["captions"]:
            sentences.append(
                {"tokens": c.rstrip(" .").split(), "raw": c, "imgid": i, "sentid": sent}
            )
            sent += 1
        images.append(
            {
                "filename": Path(m["path"]).name,
                "imgid": i,
                "split": m["split"],
                "sentids": [s["sentid"] for s in sentences],
                "sentences": sentences,
            }
        )
    (root / "ret" / "dataset.json").write_text(
        json.dumps({"images": images, "dataset": "synth_ret"}, indent=1)
    )
    sets = root / "det_voc" / "ImageSets" / "Main"
    sets.mkdir(parents=True, exist_ok=True)
    for split in ("trainval", "test"):
        names = sorted(m["name"] for m in metas if m["subset"] == "voc" and m["split"] == split)
        (sets / f"{split}.txt").write_text("".join(f"{n}\n" for n in names))
    rows = ["filename\tcategory\tcount\tcaption"]
    for m in sorted((m for m in metas if m["subset"] == "count"), key=lambda m: m["name"]):
        rows.append(f"{Path(m['path']).name}\t{m['category']}\t{m['count']}\t{m['captions'][0]}")
    (root / "count" / "counts.tsv").write_text("\n".join(rows) + "\n")
    rows = ["original\tcopy\tkind\tstrength\ttransforms\tphash_distance"]
    for m in metas:
        if "duplicate_of" in m:
            kind = (
                "within" if m["duplicate_of"].split("/")[0] == m["path"].split("/")[0] else "cross"
            )
            rows.append(
                f"{m['duplicate_of']}\t{m['path']}\t{kind}\t{m['strength']}\t"
                f"{';'.join(m['transforms'])}\t{m['phash_distance']}"
            )
    (root / "duplicates.tsv").write_text("\n".join(rows) + "\n")
    with (root / "ground_truth.jsonl").open("w") as f:
        for m in metas:
            f.write(json.dumps(m) + "\n")
    return short


def _marker(spec: SynthSpec, seed: int) -> dict:
    return {"generator_version": GENERATOR_VERSION, "seed": seed, "spec": spec.to_dict()}


def generate_embedded(
    root: str | Path,
    spec: SynthSpec,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
) -> dict:
    """Draw and write every embedded set under ``root`` (which must be new or empty) and return
    the summary written to ``root/embedded.json`` with the timings of ``root/timings.json``."""
    root = Path(root)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(
            f"{root} is not empty; generate into a new folder "
            "(ensure_embedded replaces an earlier embedded set)"
        )
    root.mkdir(parents=True, exist_ok=True)
    (root / SENTINEL).write_text("written by rsclip_utils.synth\n")
    plan = plan_jobs(spec, seed)
    workers = workers or min(os.cpu_count() or 1, 8)
    start = time.perf_counter()
    args = [(root, spec, job) for job in plan.jobs]
    bar = tqdm(total=len(args), desc="embedded data", unit="img", disable=not progress)
    metas = []
    if workers > 1:
        # "spawn", not fork: forking a process that runs threads (a Jupyter kernel's ZMQ
        # threads) is unsafe; the workers import only this module
        with get_context("spawn").Pool(workers) as pool:
            for meta in pool.imap(_run, args, chunksize=4):
                metas.append(meta)
                bar.update()
    else:
        for a in args:
            metas.append(_run(a))
            bar.update()
    bar.close()
    caption_counts = _write_indexes(root, metas)
    elapsed = time.perf_counter() - start
    planted = {(m["duplicate_of"], m["path"]) for m in metas if "duplicate_of" in m}
    paths = [m["path"] for m in metas]
    hashes = np.array([int(m["phash"], 16) for m in metas], dtype=np.uint64)
    accidental = [
        (paths[i], paths[j], int(hamming(hashes[i], hashes[j])))
        for i, j in brute_force_pairs(hashes, 2).tolist()
        if (paths[i], paths[j]) not in planted and (paths[j], paths[i]) not in planted
    ]
    counts: dict = {}
    for m in metas:
        counts[m["subset"]] = counts.get(m["subset"], 0) + 1
    summary = {
        **_marker(spec, seed),
        "images": len(metas),
        "per_set": counts,
        "planted_duplicates": len(planted),
        "planted_mild_max_phash_distance": max(
            (m["phash_distance"] for m in metas if m.get("strength") == "mild"), default=0
        ),
        "planted_strong_phash_distances": sorted(
            m["phash_distance"] for m in metas if m.get("strength") == "strong"
        ),
        "unplanted_pairs_within_2": [list(p) for p in accidental],
        **caption_counts,
    }
    timings = {"seconds": round(elapsed, 2), "images_per_second": round(len(metas) / elapsed, 1),
               "workers": workers}
    (root / TIMINGS).write_text(json.dumps(timings, indent=1))
    (root / "embedded.json").write_text(json.dumps(summary, indent=1))
    return {**summary, **timings}


TIMINGS = "timings.json"


def _generated_files(root: Path) -> list[Path]:
    """What the generator made, as its stamp records it: every file but the timings."""
    from ..stamps import files_under

    return [p for p in files_under(root) if p != root / TIMINGS]


def ensure_embedded(
    root: str | Path,
    spec: SynthSpec,
    seed: int = 0,
    workers: int | None = None,
    progress: bool = True,
    verify: str = "quick",
) -> dict:
    """The embedded sets under ``root``, by the package's one reuse rule
    (:func:`rsclip_utils.stamps.ensure`): reused when made with the same spec, seed and generator
    version and no file changed since (``verify="content"``: every file hashed), else
    (re)generated, saying why. Refuses to delete a folder this generator did not write. Returns
    the stamp (its ``content`` digest is what the stages downstream record)."""
    from ..stamps import ensure, make_stamp, read_stamp

    root = Path(root)
    marker = root / "embedded.json"
    want = make_stamp("embedded", {**_marker(spec, seed)}, {}, profile="embedded", seed=seed,
                      data_root=None)

    previous = read_stamp(marker) or {}  # what it wrote last (ensure unlinks it to rebuild)

    def build(params):
        if root.exists() and any(root.iterdir()):
            if not (root / SENTINEL).is_file():
                theirs = sorted(p.name for p in root.iterdir())
            else:  # the generator's folder: were files added since it was stamped?
                recorded = set(previous.get("outputs", {}))
                theirs = [p.relative_to(root).as_posix() for p in _generated_files(root)
                          if recorded and p.relative_to(root).as_posix() not in recorded]
            if theirs:
                raise FileExistsError(
                    f"{root} holds files the generator did not write ("
                    + ", ".join(theirs[:5]) + (", ..." if len(theirs) > 5 else "")
                    + "); the folder is left as it is: move them, or choose another folder")
            shutil.rmtree(root)
        generate_embedded(root, spec, seed, workers, progress)

    return ensure(marker, want, build, lambda: _generated_files(root), "notebook 00's generator",
                  cache=True, checks_owner=True, verify=verify)


def read_ground_truth(root: str | Path) -> list[dict]:
    """The generator's per-image ground truth (``ground_truth.jsonl``)."""
    with (Path(root) / "ground_truth.jsonl").open() as f:
        return [json.loads(line) for line in f]


__all__ = [
    "generate_embedded",
    "ensure_embedded",
    "read_ground_truth",
    "plan_jobs",
    "DOTA_NAMES",
    "DIOR_NAMES",
    "ISAID_NAMES",
]
