"""The one record type every reader returns, and its JSONL form.

Introduced in notebook 00 (datasets). Every later stage (M2B, B2C, dedup, training,
evaluation) reads and writes these records, so real and embedded data look alike.

Conventions (the data flow of the README):
- pixel coordinates are 0-based, x to the right, y down;
- a horizontal box is ``(xmin, ymin, xmax, ymax)`` in whole pixels, *inclusive*: the box holds
  ``xmax - xmin + 1`` columns (as the min/max of the border points that M2B takes);
- a polygon is kept as the annotation gave it, as COCO lays rings out: a list of rings, each a
  flat list ``[x1, y1, x2, y2, ...]`` of floats (an oriented box is one ring of 4 points).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .atomic import atomic_path
from .errors import FormatError
from .paths import portable, resolved, run_folder_of

Box = tuple[int, int, int, int]


@dataclass
class ObjectAnnotation:
    """One annotated object: its class label, horizontal box and optional polygon rings."""

    label: str
    box: Box
    polygon: list[list[float]] | None = None
    difficult: bool = False

    def to_dict(self) -> dict:
        """JSON-ready form (polygon and difficult only when set)."""
        d = {"label": self.label, "box": list(self.box)}
        if self.polygon is not None:
            d["polygon"] = self.polygon
        if self.difficult:
            d["difficult"] = True
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ObjectAnnotation:
        """Inverse of :meth:`to_dict`."""
        return cls(
            label=d["label"],
            box=tuple(int(v) for v in d["box"]),
            polygon=d.get("polygon"),
            difficult=bool(d.get("difficult", False)),
        )


@dataclass
class Record:
    """One image and what is known about it.

    ``width``/``height`` are None only when neither the annotation nor the image gives them
    (a DOTA label whose image is missing); readers report such records, they never drop them.
    """

    image: str | None
    source: str
    image_id: str
    split: str | None = None
    width: int | None = None
    height: int | None = None
    objects: list[ObjectAnnotation] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    label: str | None = None
    mask: str | None = None
    mask_format: str | None = None
    annotation: str | None = None
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready form (one line of a records JSONL file)."""
        d = asdict(self)
        d["objects"] = [o.to_dict() for o in self.objects]
        return {k: v for k, v in d.items() if v not in (None, [], {})}

    @classmethod
    def from_dict(cls, d: dict) -> Record:
        """Inverse of :meth:`to_dict`."""
        d = dict(d)
        d["objects"] = [ObjectAnnotation.from_dict(o) for o in d.get("objects", [])]
        return cls(**d)


def polygon_to_box(xs: Sequence[float], ys: Sequence[float]) -> Box:
    """The smallest inclusive pixel box holding every vertex (vertices are pixel coordinates)."""
    return (
        math.floor(min(xs)),
        math.floor(min(ys)),
        math.ceil(max(xs)),
        math.ceil(max(ys)),
    )


def xywh_to_box(x: float, y: float, w: float, h: float) -> Box:
    """COCO ``[x, y, w, h]`` (continuous, pixel i covers [i, i+1)) to an inclusive pixel box."""
    xmin, ymin = math.floor(x), math.floor(y)
    return (xmin, ymin, max(xmin, math.ceil(x + w) - 1), max(ymin, math.ceil(y + h) - 1))


def clip_box(box: Box, width: int, height: int) -> Box | None:
    """Clip a box to the image; None when nothing of it lies inside."""
    xmin, ymin, xmax, ymax = box
    if xmax < 0 or ymax < 0 or xmin > width - 1 or ymin > height - 1:
        return None
    return (max(xmin, 0), max(ymin, 0), min(xmax, width - 1), min(ymax, height - 1))


def box_area(box: Box) -> int:
    """Number of pixels an inclusive box covers."""
    return (box[2] - box[0] + 1) * (box[3] - box[1] + 1)


PATH_FIELDS = ("image", "mask", "annotation")  # the fields of a record that hold a file path
EXTRA_PATH_FIELDS = ("instance_mask",)  # and those of its ``extra`` (iSAID's instance ids)


def _paths(d: dict, change) -> dict:
    """``d`` (a record as JSON) with ``change`` applied to each path it holds."""
    for key in PATH_FIELDS:
        if isinstance(d.get(key), str) and d[key]:
            d[key] = change(d[key])
    extra = d.get("extra")
    if isinstance(extra, dict) and any(isinstance(extra.get(k), str) for k in EXTRA_PATH_FIELDS):
        d["extra"] = {k: change(v) if k in EXTRA_PATH_FIELDS and isinstance(v, str) and v else v
                      for k, v in extra.items()}
    return d


def write_jsonl(records: Iterable[Record], path: str | Path) -> int:
    """Write records one JSON object per line, atomically; returns how many were written.
    Paths to files inside the run folder are written relative to ``path``'s folder
    (:func:`rsclip_utils.paths.portable`); :func:`read_jsonl` gives them back absolute."""
    path = Path(path)
    run_dir = run_folder_of(path)
    n = 0
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as f:
        for r in records:
            d = _paths(r.to_dict(), lambda p: portable(p, path, run_dir))
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
            n += 1
    return n


def read_jsonl(path: str | Path) -> Iterator[Record]:
    """Read records written by :func:`write_jsonl`; a bad line raises naming file and line."""
    path = Path(path)
    run_dir = run_folder_of(path)
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                if isinstance(d, dict):
                    d = _paths(d, lambda p: resolved(p, path, run_dir))
                yield Record.from_dict(d)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
                raise FormatError(
                    path, lineno, f"{type(e).__name__}: {e}", expected="one record object per line"
                ) from None
