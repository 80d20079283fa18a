"""COCO detection / instance JSON reader (HRRSD and NWPU VHR-10 exports, iSAID, any COCO set).

Introduced in notebook 00. Boxes are COCO ``[x, y, w, h]`` in continuous coordinates (pixel i
covers [i, i+1)), turned into inclusive pixel boxes. Category ids may start at 0 (HRRSD) or 1
(NWPU): names come from the file's own ``categories``. Polygon segmentations are kept as
polygon rings; RLE masks (crowd regions) keep their box and are flagged in the object's record
``extra["rle_objects"]``. Images without annotations are kept (negative images) and noted.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..records import ObjectAnnotation, Record, xywh_to_box
from . import values
from ._common import ImageIndex, ReadResult, finish_record
from .file_text import JsonFile, read_json
from .read_report import ReadReport

EXPECTED = "COCO JSON {'images': [...], 'annotations': [...], 'categories': [...]}"
IMAGE_EXPECTED = "{'id': int, 'file_name': str, 'width': int, 'height': int}"
ANNOTATION_EXPECTED = "{'id', 'image_id', 'category_id', 'bbox': [x, y, w, h] of JSON numbers}"


def _categories(jf: JsonFile, entries: list, report: ReadReport) -> dict:
    """Category id -> name; a repeated id, a placeholder name or a damaged entry is malformed."""
    names: dict = {}
    for i, c in enumerate(entries):
        where = f"categories[{i}]"
        try:
            jf.object_entry(c)
            cid = values.json_id(c.get("id"), "id")
            name = values.class_name(c.get("name"), "name")
            if cid in names:
                raise ValueError(f"id {cid!r} is already {names[cid]!r}")
        except ValueError as e:
            report.malformed(jf.path, None, f"{where} {e}", "{'id': .., 'name': ..}, ids unique")
            continue
        names[cid] = name
    return names


def _polygon(seg, where: str) -> list[list[float]] | None:
    """COCO polygon rings (a list of flat [x1, y1, x2, y2, ...] lists), checked; None for RLE."""
    if not isinstance(seg, list) or not seg:
        return None
    rings = []
    for k, ring in enumerate(seg):
        if not isinstance(ring, list) or len(ring) < 6 or len(ring) % 2:
            raise ValueError(f"{where}.segmentation[{k}] is not a ring of >= 3 (x, y) points")
        rings.append(values.numbers(ring, f"{where}.segmentation[{k}]", text_ok=False))
    return rings


def _annotation(a: dict, where: str, categories: dict) -> tuple:
    """(image_id, object, is_rle) of one annotation; ValueError saying what is wrong."""
    bbox = a.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4:
        raise ValueError(f"bbox {bbox!r} is not a list of 4 numbers")
    x, y, w, h = values.numbers(bbox, "bbox", text_ok=False)
    if w < 0 or h < 0:
        raise ValueError(f"negative size {w}x{h}")
    image_id = values.json_id(a.get("image_id"), "image_id")
    cat = values.json_id(a.get("category_id"), "category_id")
    if cat not in categories:
        raise ValueError(f"category_id {cat} is not in categories {sorted(categories, key=str)}")
    seg = a.get("segmentation")
    obj = ObjectAnnotation(categories[cat], xywh_to_box(x, y, w, h), polygon=_polygon(seg, where),
                           difficult=bool(a.get("iscrowd", 0)))
    return image_id, obj, isinstance(seg, dict)


def _image(im, jf: JsonFile) -> tuple:
    """(id, file_name, width, height) of one ``images`` entry; ValueError saying what is wrong."""
    jf.object_entry(im)
    image_id = values.json_id(im.get("id"), "id")
    file_name = values.json_text(im.get("file_name"), "file_name")
    size = [None if im.get(k) is None else values.dimension(im[k], k, text_ok=False)
            for k in ("width", "height")]
    return image_id, file_name, *size


def read_coco(
    json_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "coco",
    split: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read a COCO JSON file into one record per image.

    ``image_dir`` defaults to an ``images`` folder beside the JSON file. Malformed entries
    (named by their JSON path, e.g. ``annotations[3] (id 7)``) raise in strict mode and are
    listed and skipped in lenient mode: a bbox that is not 4 finite JSON numbers, an unknown or
    repeated id (a repeated image id keeps the first image; its annotations go to that one), a
    placeholder class name.
    """
    json_path = Path(json_path)
    images_index = ImageIndex(Path(image_dir) if image_dir else json_path.parent / "images")
    report = ReadReport(source=source, strict=strict)
    report.files = 1
    jf = read_json(json_path, report, EXPECTED)
    if jf is None:
        return ReadResult([], report)
    data = jf.data
    if not isinstance(data, dict):
        report.malformed(json_path, None, f"the top level is {type(data).__name__}", EXPECTED)
        return ReadResult([], report)
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            report.malformed(json_path, None, f"top-level {key!r} is missing or not a list",
                             EXPECTED)
            return ReadResult([], report)
    categories = _categories(jf, data["categories"], report)
    by_image: dict = defaultdict(list)
    seen_annotations: dict = {}
    for i, a in enumerate(data["annotations"]):
        ann_id = a.get("id") if isinstance(a, dict) else None
        where = f"annotations[{i}] (id {ann_id if ann_id is not None else '?'})"
        try:
            jf.object_entry(a)
            if ann_id is not None and not isinstance(ann_id, (list, dict)):
                if ann_id in seen_annotations:
                    raise ValueError(f"repeats the id of annotations[{seen_annotations[ann_id]}]")
                seen_annotations[ann_id] = i
            image_id, obj, is_rle = _annotation(a, where, categories)
        except ValueError as e:
            report.malformed(json_path, None, f"{where}: {e}", ANNOTATION_EXPECTED)
            continue
        by_image[image_id].append((obj, is_rle))
    known_ids: dict = {}
    records = []
    for i, im in enumerate(data["images"]):
        try:
            image_id, file_name, width, height = _image(im, jf)
            if image_id in known_ids:
                raise ValueError(f"id {image_id!r} is already images[{known_ids[image_id]}]'s")
        except ValueError as e:
            report.malformed(json_path, None, f"images[{i}] {e}", IMAGE_EXPECTED + ", ids unique")
            continue
        known_ids[image_id] = i
        pairs = by_image.get(image_id, [])
        if not pairs:
            report.note("no_objects", json_path, None, f"image {file_name} has no annotation")
        image_path = images_index.locate(file_name, False)
        record = Record(
            image=str(image_path),
            source=source,
            image_id=str(image_id),
            split=split,
            width=width,
            height=height,
            objects=[o for o, _ in pairs],
            annotation=str(json_path),
            extra={"rle_objects": sum(r for _, r in pairs)} if any(r for _, r in pairs) else {},
        )
        records.append(finish_record(record, report, None, image_path))
    orphans = set(by_image) - set(known_ids)
    for image_id in sorted(orphans, key=str):
        report.malformed(
            json_path,
            None,
            f"{len(by_image[image_id])} annotations refer to image_id {image_id}, "
            "which 'images' does not list",
            "annotations of listed images only",
        )
    return ReadResult(records, report)
