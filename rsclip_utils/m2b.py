"""Mask-to-Box (M2B): segmentation maps to one horizontal box per connected component of each
class, as RemoteCLIP turns its SEG-4 sets (iSAID, LoveDA, Potsdam, Vaihingen) into boxes for
Box-to-Caption (paper section III-B2). Introduced in notebook 02.

Per class: that class is foreground, everything else background; Suzuki-Abe border following
gives the borders; each outer border (one per 8-connected component) gives the min/max of its
points, an inclusive box ``[xmin, ymin, xmax, ymax]``. Outer borders are taken from
``RETR_CCOMP``: ``RETR_EXTERNAL`` would drop same-class islands inside holes (notebook 01).

Two engines give identical boxes: ``"opencv"`` (``cv2.findContours``, fast, the default) and
``"suzuki"`` (the package's own tracer, :mod:`rsclip_utils.contours`).

What the paper leaves open, and the choices here (all parameters):

- ignored values: none by default for a bare array; the per-format presets in
  :data:`M2B_PRESETS` ignore no-data / boundary values and the background-like classes
  (LoveDA background, ISPRS clutter, iSAID background);
- the size: the image's, read from its header, which the mask must share (its pixels are what
  the boxes are found in): a record whose mask and image differ is skipped with both sizes
  named, since its boxes would not fall on the image; a record whose width and height say
  otherwise is given the image's, and the mismatch is counted and listed in the report
  (``size_mismatches``);
- minimum size: none by default (``min_area=1, min_side=1``), as in the paper; notebook 02
  shows what a size floor removes;
- "stuff" classes (road, water, low vegetation, agriculture, ...) still give one box per
  component, named for captions by the preset (``agriculture`` -> ``farmland``, ...) and listed
  in the record's ``extra["stuff_labels"]`` so that Box-to-Caption can word them as places
  ("a place with water") rather than count them.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path

import cv2
import numpy as np

from .contours import CHAIN_APPROX_SIMPLE, RETR_CCOMP, find_contours
from .datasets.segmentation import MASK_FORMATS, UNKNOWN, decode_mask
from .images import header
from .progress import tqdm
from .records import Box, ObjectAnnotation, Record, box_area, write_jsonl

ENGINES = ("opencv", "suzuki")


def _outer_boxes(mask: np.ndarray, engine: str) -> list[Box]:
    """Boxes of the outer borders (the 8-connected components) of one binary uint8 mask."""
    if engine == "opencv":
        contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        if hierarchy is None:
            return []
        boxes = []
        for contour, parent in zip(contours, hierarchy[0, :, 3].tolist()):
            if parent < 0:  # RETR_CCOMP: every outer border is at the top level
                x, y, w, h = cv2.boundingRect(contour)
                boxes.append((x, y, x + w - 1, y + h - 1))
        return boxes
    contours, hierarchy = find_contours(mask, RETR_CCOMP, CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    boxes = []
    for contour, parent in zip(contours, hierarchy[0, :, 3].tolist()):
        if parent < 0:
            pts = contour.reshape(-1, 2)
            (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
            boxes.append((int(x0), int(y0), int(x1), int(y1)))
    return boxes


def class_values(label_map: np.ndarray) -> list[int]:
    """The values present in a label map, ascending (a histogram for 8-bit maps, much faster
    than sorting a million pixels)."""
    if label_map.dtype in (np.uint8, np.bool_):
        counts = np.bincount(label_map.ravel().view(np.uint8), minlength=256)
        return np.flatnonzero(counts).tolist()
    return [int(v) for v in np.unique(label_map)]


def mask_to_boxes(
    label_map: np.ndarray,
    classes: dict[int, str] | None = None,
    *,
    ignore: Iterable[int] = (),
    min_area: int = 1,
    min_side: int = 1,
    engine: str = "opencv",
) -> list[tuple[str, list[int]]]:
    """``(class_name, [xmin, ymin, xmax, ymax])`` for every 8-connected component of every class.

    ``label_map`` is a 2-D integer array of class values. ``classes`` maps values to names;
    without it every value present is a class named by its number. Values in ``ignore`` (and
    values absent from ``classes``) give no boxes. Boxes smaller than ``min_area`` pixels or
    ``min_side`` on their shorter side are left out. Order: class value ascending, then boxes by
    ``(ymin, xmin, ymax, xmax)``, so that both engines give the same list.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {ENGINES}")
    label_map = np.asarray(label_map)
    if label_map.ndim != 2:
        raise ValueError(f"expected a 2-D label map, got shape {label_map.shape}")
    if not np.issubdtype(label_map.dtype, np.integer) and label_map.dtype != np.bool_:
        raise ValueError(f"expected integer class values, got dtype {label_map.dtype}")
    ignored = set(int(v) for v in ignore)
    if classes is not None:  # a class that is absent costs less than finding what is present
        values = sorted(v for v in classes if v not in ignored)
    else:
        values = [v for v in class_values(label_map) if v not in ignored]
    out: list[tuple[str, list[int]]] = []
    for v in values:
        name = classes[v] if classes is not None else str(v)
        mask = (label_map == v).view(np.uint8)  # 0/1 bytes, no copy
        boxes = sorted((b[1], b[0], b[3], b[2]) for b in _outer_boxes(mask, engine))
        for y0, x0, y1, x1 in boxes:
            box = (x0, y0, x1, y1)
            if box_area(box) >= min_area and min(x1 - x0, y1 - y0) + 1 >= min_side:
                out.append((name, [x0, y0, x1, y1]))
    return out


@dataclass(frozen=True)
class M2BSettings:
    """How one mask format is boxed: ignored values, caption names, stuff classes, size floor."""

    ignore: tuple[int, ...]
    names: dict[int, str]
    stuff: frozenset[str] = frozenset()
    min_area: int = 1
    min_side: int = 1


_LOVEDA = M2BSettings(
    ignore=(0, 1),  # no-data, background
    names={2: "building", 3: "road", 4: "water", 5: "barren land", 6: "forest", 7: "farmland"},
    stuff=frozenset({"road", "water", "barren land", "forest", "farmland"}),
)
_ISPRS = M2BSettings(
    ignore=(0, 6),  # boundary (eroded labels), clutter
    names={1: "impervious surface", 2: "building", 3: "low vegetation", 4: "tree", 5: "car"},
    stuff=frozenset({"impervious surface", "low vegetation"}),
)
_ISAID = M2BSettings(
    ignore=(0,),  # background
    names={v: n.lower().replace("_", " ") for v, n in MASK_FORMATS["isaid_color"].classes.items()},
)
M2B_PRESETS = {"loveda": _LOVEDA, "isprs_index": _ISPRS, "isprs_rgb": _ISPRS, "isaid_color": _ISAID}


def presets(min_area: int = 1) -> dict[str, M2BSettings]:
    """:data:`M2B_PRESETS` with a size floor of ``min_area`` pixels (notebook 02's ``MIN_AREA``;
    the paper gives none)."""
    return {fmt: replace(s, min_area=min_area) for fmt, s in M2B_PRESETS.items()}


def _box_record(record: Record, settings: M2BSettings, engine: str) -> tuple[Record | None, dict]:
    """One segmentation record -> a record with boxes, and what happened (for the report)."""
    info: dict = {"image": record.image, "boxes": Counter()}
    if record.mask is None:
        info["skipped"] = "no mask"
        return None, info
    try:
        label_map = decode_mask(record.mask, record.mask_format)
    except (OSError, ValueError) as e:
        info["skipped"] = f"mask does not decode: {type(e).__name__}: {e}"
        return None, info
    if label_map.unknown:
        info["unknown_values"] = label_map.unknown
    height, width = label_map.labels.shape
    try:
        image_size, _ = header(record.image)
    except Exception as e:  # noqa: BLE001 - PIL raises many types on a bad file; named below
        info["skipped"] = f"image does not open: {type(e).__name__}: {e}"
        return None, info
    if image_size != (width, height):
        info["skipped"] = (f"the mask {record.mask} is {width}x{height} but its image is "
                           f"{image_size[0]}x{image_size[1]}: its boxes would not fall on the "
                           "image")
        return None, info
    if record.width is not None and record.height is not None and (
        (record.width, record.height) != (width, height)
    ):
        info["size_mismatch"] = (f"the record says {record.width}x{record.height}, the image "
                                 f"and its mask {record.mask} are {width}x{height}; using "
                                 "theirs")
    boxes = mask_to_boxes(
        label_map.labels,
        settings.names,
        ignore=tuple(settings.ignore) + (UNKNOWN,),
        min_area=settings.min_area,
        min_side=settings.min_side,
        engine=engine,
    )
    if not boxes:
        info["skipped"] = "no box (only ignored classes)"
    info["boxes"] = Counter(name for name, _ in boxes)
    stuff = sorted({n for n, _ in boxes} & settings.stuff)
    out = Record(
        image=record.image,
        source=record.source,
        image_id=record.image_id,
        split=record.split,
        width=width,
        height=height,
        objects=[ObjectAnnotation(name, tuple(box)) for name, box in boxes],
        mask=record.mask,
        mask_format=record.mask_format,
        annotation=record.mask,
        extra={**record.extra, "m2b": True, **({"stuff_labels": stuff} if stuff else {})},
    )
    return (out if boxes else None), info


def _work(args):
    record, settings, engine = args
    return _box_record(record, settings, engine)


@dataclass
class M2BReport:
    """Per source: images, boxes per class, images skipped and why, unknown mask values, records
    whose size is not their mask's."""

    sources: dict = field(default_factory=dict)

    def add(self, source: str, info: dict) -> None:
        """Count one image's Mask-to-Box result (``info``: boxes per class, skips) under its
        source."""
        s = self.sources.setdefault(
            source,
            {
                "images": 0,
                "boxed": 0,
                "boxes": Counter(),
                "skipped": [],
                "unknown_values": Counter(),
                "size_mismatch": [],
            },
        )
        s["images"] += 1
        s["boxes"].update(info["boxes"])
        if "skipped" in info:
            s["skipped"].append({"image": info["image"], "why": info["skipped"]})
        else:
            s["boxed"] += 1
        for k, v in info.get("unknown_values", {}).items():
            s["unknown_values"][k] += v
        if "size_mismatch" in info:
            s["size_mismatch"].append({"image": info["image"], "why": info["size_mismatch"]})

    def to_dict(self) -> dict:
        """JSON-ready per-source counts (``m2b_report.json``)."""
        return {
            src: {
                "images": s["images"],
                "images_with_boxes": s["boxed"],
                "boxes": sum(s["boxes"].values()),
                "boxes_per_class": dict(sorted(s["boxes"].items())),
                "skipped": len(s["skipped"]),
                "skipped_why": dict(Counter(x["why"].split(":")[0] for x in s["skipped"])),
                "skipped_examples": s["skipped"][:20],
                "unknown_mask_values": dict(s["unknown_values"]),
                "size_mismatches": len(s["size_mismatch"]),
                "size_mismatch_examples": s["size_mismatch"][:20],
            }
            for src, s in self.sources.items()
        }


def run_m2b(
    records: Sequence[Record],
    settings: dict[str, M2BSettings] | None = None,
    *,
    engine: str = "opencv",
    workers: int | None = None,
    progress: bool = True,
) -> tuple[list[Record], M2BReport]:
    """Box every segmentation record (batch M2B, worker processes, progress bar).

    ``settings`` maps mask formats to :class:`M2BSettings` (default :data:`M2B_PRESETS`).
    Returns the records that got boxes, in input order, and the report; a record without a
    mask, with a mask that does not decode, with a format that has no settings, or with no box
    left is listed in the report with the reason, never dropped silently; a record whose size
    is not its mask's gets the mask's and is listed (``size_mismatches``)."""
    settings = settings or M2B_PRESETS
    report = M2BReport()
    jobs, order = [], []
    for r in records:
        s = settings.get(r.mask_format or "")
        if s is None:
            report.add(
                r.source,
                {
                    "image": r.image,
                    "boxes": Counter(),
                    "skipped": f"no M2B settings for mask format {r.mask_format!r}",
                },
            )
            continue
        jobs.append((r, s, engine))
        order.append(r.source)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    if workers > 1 and len(jobs) > 8:
        with get_context("spawn").Pool(workers) as pool:
            results = list(
                tqdm(
                    pool.imap(_work, jobs, chunksize=4),
                    total=len(jobs),
                    desc="M2B",
                    unit="mask",
                    disable=not progress,
                )
            )
    else:
        results = [_work(j) for j in tqdm(jobs, desc="M2B", unit="mask", disable=not progress)]
    out = []
    for source, (record, info) in zip(order, results):
        report.add(source, info)
        if record is not None:
            out.append(record)
    return out, report


def write_m2b(records: list[Record], report: M2BReport, out_dir: str | Path) -> dict[str, Path]:
    """``m2b_records.jsonl`` (the common record schema, for B2C) and ``m2b_report.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"records": out_dir / "m2b_records.jsonl", "report": out_dir / "m2b_report.json"}
    write_jsonl(records, paths["records"])
    paths["report"].write_text(json.dumps(report.to_dict(), indent=1))
    return paths


# --- what M2B loses: the semantic boxes against iSAID's true instance boxes ---------------------


def instance_boxes(
    class_map: np.ndarray,
    instance_ids: np.ndarray,
    classes: dict[int, str],
    ignore: Iterable[int] = (0,),
) -> list[tuple[str, list[int]]]:
    """One box per instance id (all its pixels, even in several parts), with its class: the
    class most of its pixels carry."""
    ignored = set(ignore)
    out = []
    ids = instance_ids.ravel()
    cls = class_map.ravel()
    order = np.argsort(ids, kind="stable")
    ids_sorted = ids[order]
    starts = np.flatnonzero(np.r_[True, ids_sorted[1:] != ids_sorted[:-1]])
    ends = np.r_[starts[1:], len(ids_sorted)]
    w = instance_ids.shape[1]
    for a, b in zip(starts, ends):
        inst = ids_sorted[a]
        if inst == 0:
            continue
        pix = order[a:b]
        values, counts = np.unique(cls[pix], return_counts=True)
        v = int(values[np.argmax(counts)])
        if v in ignored or v not in classes:
            continue
        ys, xs = pix // w, pix % w
        out.append((classes[v], [int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())]))
    return out


def box_iou(a: Sequence[int], b: Sequence[int]) -> float:
    """Intersection over union of two inclusive pixel boxes."""
    ix = min(a[2], b[2]) - max(a[0], b[0]) + 1
    iy = min(a[3], b[3]) - max(a[1], b[1]) + 1
    if ix <= 0 or iy <= 0:
        return 0.0
    inter = ix * iy
    return inter / (box_area(tuple(a)) + box_area(tuple(b)) - inter)


def match_boxes(
    predicted: list[tuple[str, list[int]]],
    truth: list[tuple[str, list[int]]],
    threshold: float = 0.5,
) -> dict[str, dict[str, int]]:
    """Per class: predicted boxes, true boxes and one-to-one matches at IoU >= ``threshold``
    (greedy, highest IoU first)."""
    out: dict[str, dict[str, int]] = {}
    for name in sorted({n for n, _ in predicted} | {n for n, _ in truth}):
        p = [b for n, b in predicted if n == name]
        t = [b for n, b in truth if n == name]
        pairs = sorted(
            ((box_iou(pb, tb), i, j) for i, pb in enumerate(p) for j, tb in enumerate(t)),
            reverse=True,
        )
        used_p, used_t, matched = set(), set(), 0
        for iou, i, j in pairs:
            if iou < threshold:
                break
            if i not in used_p and j not in used_t:
                used_p.add(i)
                used_t.add(j)
                matched += 1
        out[name] = {"predicted": len(p), "true": len(t), "matched": matched}
    return out


def precision_recall(matches: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Precision (matched / predicted) and recall (matched / true) per class and overall."""
    rows = dict(matches)
    total = {k: sum(m[k] for m in matches.values()) for k in ("predicted", "true", "matched")}
    rows["all classes"] = total
    return {
        name: {
            **m,
            "precision": m["matched"] / m["predicted"] if m["predicted"] else float("nan"),
            "recall": m["matched"] / m["true"] if m["true"] else float("nan"),
        }
        for name, m in rows.items()
    }
