"""Pascal VOC XML reader: DIOR (``<bndbox>``), DIOR-R (``<robndbox>`` corners + ``<angle>``),
HRRSD and any VOC-style detection set. Introduced in notebook 00.

Coordinates: the Pascal VOC devkit numbers pixels from 1, so 1 is subtracted from every
coordinate (``<bndbox>`` and ``<robndbox>`` alike) to reach the project's 0-based inclusive boxes.
HRRSD's own COCO export confirms it: its COCO ``x`` is the XML ``xmin - 1`` and its ``w`` is
``xmax - xmin + 1`` (checked on all 249 boxes of the tiny split in the tests). Pass
``one_based=False`` for VOC-style files written with 0-based coordinates.
"""

from __future__ import annotations

from pathlib import Path

from ..records import ObjectAnnotation, Record, polygon_to_box
from . import values
from ._common import ImageIndex, ReadResult, finish_record, list_files, valid_box
from .file_text import LinedXML, parse_xml, read_text
from .read_report import ReadReport

_ROBNDBOX_CORNERS = ("left_top", "right_top", "right_bottom", "left_bottom")


def _parse_object(xml: LinedXML, obj, report: ReadReport, offset: float):
    line = xml.line(obj)
    try:
        name = values.class_name(xml.text(obj, "name") or "", "<name>")
    except ValueError as e:
        report.malformed(xml.path, line, f"<object>: {e}", "a class name in <name>")
        return None
    difficult = xml.text(obj, "difficult") == "1"
    bnd, rbnd = obj.find("bndbox"), obj.find("robndbox")
    if rbnd is not None:
        coords = []
        for corner in _ROBNDBOX_CORNERS:
            for axis in ("x", "y"):
                v = xml.number(rbnd, f"{axis}_{corner}", report, context=f"{name}: ")
                if v is None:
                    return None
                coords.append(v - offset)
        return ObjectAnnotation(
            name, polygon_to_box(coords[0::2], coords[1::2]), polygon=[coords], difficult=difficult
        )
    if bnd is not None:
        vals = [
            xml.number(bnd, t, report, context=f"{name}: ")
            for t in ("xmin", "ymin", "xmax", "ymax")
        ]
        if any(v is None for v in vals):
            return None
        box = polygon_to_box(
            [vals[0] - offset, vals[2] - offset], [vals[1] - offset, vals[3] - offset]
        )
        if not valid_box((vals[0], vals[1], vals[2], vals[3])):
            report.malformed(
                xml.path,
                xml.line(bnd),
                f"{name}: xmin/ymin above xmax/ymax {vals}",
                "xmin <= xmax and ymin <= ymax",
            )
            return None
        return ObjectAnnotation(name, box, difficult=difficult)
    report.malformed(
        xml.path,
        line,
        f"object {name!r} has neither <bndbox> nor <robndbox>",
        "<bndbox> with xmin/ymin/xmax/ymax or <robndbox> with four corners",
    )
    return None


def _find_image_dir(ann_dir: Path) -> Path:
    """VOC keeps images in a ``JPEGImages*`` folder beside ``Annotations`` (up two levels)."""
    for base in (ann_dir.parent, ann_dir.parent.parent):
        found = sorted(p for p in base.glob("JPEGImages*") if p.is_dir())
        if found:
            return found[0]
    return ann_dir.parent / "JPEGImages"


def read_voc(
    ann_dir: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "voc",
    split: str | None = None,
    image_set: str | Path | None = None,
    one_based: bool = True,
    strict: bool = True,
) -> ReadResult:
    """Read VOC-style XML files (all ``*.xml`` in ``ann_dir``, or those an ImageSets list names).

    ``image_dir`` defaults to a ``JPEGImages*`` folder next to the annotations.
    """
    ann_dir = Path(ann_dir)
    images = ImageIndex(Path(image_dir) if image_dir else _find_image_dir(ann_dir))
    report = ReadReport(source=source, strict=strict)
    if image_set is not None:
        text = read_text(Path(image_set), report) or ""
        stems = [s.strip() for s in text.splitlines() if s.strip()]
        paths = [ann_dir / f"{s}.xml" for s in stems]
    else:
        paths = list_files(ann_dir, "*.xml", report, "a folder of VOC XML annotations")
    offset = 1.0 if one_based else 0.0
    records = []
    for path in paths:
        report.files += 1
        if not path.is_file():
            report.note("missing_annotation", image_set, None, f"listed file not found: {path}")
            continue
        xml = parse_xml(path, report)
        if xml is None:
            continue
        root = xml.root
        if root.tag != "annotation":
            report.malformed(
                path,
                xml.line(root),
                f"root element <{root.tag}>",
                "<annotation> as the root element",
            )
            continue
        filename = xml.text(root, "filename") or f"{path.stem}.jpg"
        width = (
            xml.number(root, "size/width", report, int) if root.find("size") is not None else None
        )
        height = (
            xml.number(root, "size/height", report, int) if root.find("size") is not None else None
        )
        objects, lines = [], []
        for obj in root.findall("object"):
            parsed = _parse_object(xml, obj, report, offset)
            if parsed is not None:
                objects.append(parsed)
                lines.append(xml.line(obj))
        if not objects:
            report.note("no_objects", path, None, "no object in this annotation")
        image_path = images.locate(filename)
        record = Record(
            image=str(image_path),
            source=source,
            image_id=path.stem,
            split=split,
            width=int(width) if width else None,
            height=int(height) if height else None,
            objects=objects,
            annotation=str(path),
        )
        records.append(finish_record(record, report, lines, image_path))
    return ReadResult(records, report)
