"""COCO detection / instance JSON reader (HRRSD and NWPU VHR-10 exports, iSAID, any COCO set).

Introduced in notebook 00. Boxes are COCO ``[x, y, w, h]`` in continuous coordinates (pixel i
covers [i, i+1)), turned into inclusive pixel boxes. Category ids may start at 0 (HRRSD) or 1
(NWPU): names come from the file's own ``categories``. Polygon segmentations are kept as
polygon rings; RLE masks (crowd regions) keep their box and are flagged in the object's record
``extra["rle_objects"]``. Images without annotations are kept (negative images) and noted.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from ..errors import FormatError
from ..records import ObjectAnnotation, Record, xywh_to_box
from ._common import ImageIndex, ReadResult, finish_record
from .read_report import ReadReport


def _load_json(path: Path):
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as e:
        raise FormatError(path, e.lineno, f"JSON does not parse: {e.msg}", "valid JSON") from None


def read_coco(
    json_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "coco",
    split: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read a COCO JSON file into one record per image.

    ``image_dir`` defaults to an ``images`` folder beside the JSON file.
    """
    json_path = Path(json_path)
    images_index = ImageIndex(Path(image_dir) if image_dir else json_path.parent / "images")
    report = ReadReport(source=source, strict=strict)
    report.files = 1
    data = _load_json(json_path)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise FormatError(
                json_path,
                None,
                f"top-level {key!r} is missing or not a list",
                "COCO keys 'images', 'annotations', 'categories'",
            )
    categories = {}
    for i, c in enumerate(data["categories"]):
        if not isinstance(c, dict) or "id" not in c or "name" not in c:
            report.malformed(json_path, None, f"categories[{i}] = {c!r}", "{'id': .., 'name': ..}")
            continue
        categories[c["id"]] = str(c["name"])
    by_image: dict = defaultdict(list)
    for i, a in enumerate(data["annotations"]):
        where = f"annotations[{i}] (id {a.get('id') if isinstance(a, dict) else '?'})"
        try:
            x, y, w, h = (float(v) for v in a["bbox"])
            image_id, cat = a["image_id"], a["category_id"]
        except (KeyError, TypeError, ValueError):
            report.malformed(
                json_path,
                None,
                f"{where} has no usable bbox/image_id/category_id",
                "'bbox': [x, y, w, h], 'image_id', 'category_id'",
            )
            continue
        if cat not in categories:
            report.malformed(
                json_path,
                None,
                f"{where}: category_id {cat} is not in categories {sorted(categories)}",
                "a category id listed in 'categories'",
            )
            continue
        if w < 0 or h < 0:
            report.malformed(json_path, None, f"{where}: negative size {w}x{h}", "w >= 0, h >= 0")
            continue
        seg = a.get("segmentation")
        polygon = (
            [list(map(float, ring)) for ring in seg] if isinstance(seg, list) and seg else None
        )
        obj = ObjectAnnotation(
            categories[cat],
            xywh_to_box(x, y, w, h),
            polygon=polygon,
            difficult=bool(a.get("iscrowd", 0)),
        )
        by_image[image_id].append((obj, isinstance(seg, dict)))
    known_ids = set()
    records = []
    for i, im in enumerate(data["images"]):
        try:
            image_id, file_name = im["id"], im["file_name"]
        except (KeyError, TypeError):
            report.malformed(
                json_path,
                None,
                f"images[{i}] = {im!r}",
                "{'id': .., 'file_name': .., 'width': .., 'height': ..}",
            )
            continue
        known_ids.add(image_id)
        pairs = by_image.get(image_id, [])
        if not pairs:
            report.note("no_objects", json_path, None, f"image {file_name} has no annotation")
        image_path = images_index.locate(file_name, False)
        record = Record(
            image=str(image_path),
            source=source,
            image_id=str(image_id),
            split=split,
            width=im.get("width"),
            height=im.get("height"),
            objects=[o for o, _ in pairs],
            annotation=str(json_path),
            extra={"rle_objects": sum(r for _, r in pairs)} if any(r for _, r in pairs) else {},
        )
        records.append(finish_record(record, report, None, image_path))
    orphans = set(by_image) - known_ids
    for image_id in sorted(orphans, key=str):
        report.malformed(
            json_path,
            None,
            f"{len(by_image[image_id])} annotations refer to image_id {image_id}, "
            "which 'images' does not list",
            "annotations of listed images only",
        )
    return ReadResult(records, report)
