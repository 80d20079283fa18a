"""HRSC2016 ``HRSC_Image`` XML reader. Introduced in notebook 00.

Each ``HRSC_Object`` has a horizontal box (``box_xmin..box_ymax``, used as given, 0-based as
mmrotate reads them) and a rotated box (``mbox_cx, mbox_cy, mbox_w, mbox_h, mbox_ang`` with the
angle in radians), kept as a 4-point polygon. HRSC's level-1 class is "ship"; the fine-grained
``Class_ID`` is kept in ``extra`` of the record (its names live in HRSC's sysdata.xml).
"""

from __future__ import annotations

import math
from pathlib import Path

from ..records import ObjectAnnotation, Record
from ._common import ImageIndex, ReadResult, default_dir, finish_record, list_files, valid_box
from .file_text import LinedXML, parse_xml
from .read_report import ReadReport


def rotated_box_polygon(cx: float, cy: float, w: float, h: float, angle: float) -> list[float]:
    """Corners of a ``w`` x ``h`` box centred at (cx, cy) turned by ``angle`` radians."""
    c, s = math.cos(angle), math.sin(angle)
    pts = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        pts += [cx + dx * c - dy * s, cy + dx * s + dy * c]
    return pts


def _parse_ship(xml: LinedXML, obj, report: ReadReport):
    vals = [
        xml.number(obj, t, report, context="HRSC_Object: ")
        for t in ("box_xmin", "box_ymin", "box_xmax", "box_ymax")
    ]
    if any(v is None for v in vals):
        return None
    box = tuple(int(round(v)) for v in vals)
    if not valid_box(box):
        report.malformed(
            xml.path,
            xml.line(obj),
            f"box {list(box)} has min above max",
            "box_xmin <= box_xmax and box_ymin <= box_ymax",
        )
        return None
    polygon = None
    if obj.find("mbox_cx") is not None:
        m = [
            xml.number(obj, t, report, context="HRSC_Object: ")
            for t in ("mbox_cx", "mbox_cy", "mbox_w", "mbox_h", "mbox_ang")
        ]
        if any(v is None for v in m):
            return None
        polygon = [rotated_box_polygon(*m)]
    return ObjectAnnotation(
        "ship", box, polygon=polygon, difficult=xml.text(obj, "difficult") == "1"
    )


def read_hrsc(
    ann_dir: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "hrsc2016",
    split: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read HRSC2016 XML files; images default to ``AllImages`` beside ``Annotations``."""
    ann_dir = Path(ann_dir)
    image_dir = Path(image_dir) if image_dir else default_dir([ann_dir.parent / "AllImages"])
    images = ImageIndex(image_dir)
    report = ReadReport(source=source, strict=strict)
    records = []
    for path in list_files(ann_dir, "*.xml", report, "a folder of HRSC2016 XML annotations"):
        report.files += 1
        xml = parse_xml(path, report)
        if xml is None:
            continue
        root = xml.root
        if root.tag != "HRSC_Image":
            report.malformed(
                path,
                xml.line(root),
                f"root element <{root.tag}>",
                "<HRSC_Image> as the root element",
            )
            continue
        stem = xml.text(root, "Img_FileName") or path.stem
        ext = xml.text(root, "Img_FileFmt") or "bmp"
        width = xml.number(root, "Img_SizeWidth", report, int)
        height = xml.number(root, "Img_SizeHeight", report, int)
        objects, lines, class_ids = [], [], []
        for obj in root.iter("HRSC_Object"):
            ship = _parse_ship(xml, obj, report)
            if ship is not None:
                objects.append(ship)
                lines.append(xml.line(obj))
                class_ids.append(xml.text(obj, "Class_ID"))
        if not objects:
            report.note("no_objects", path, None, "no HRSC_Object in this annotation")
        filename = f"{stem}.{ext}"
        image_path = images.locate(filename)
        record = Record(
            image=str(image_path),
            source=source,
            image_id=stem,
            split=split,
            width=int(width) if width else None,
            height=int(height) if height else None,
            objects=objects,
            annotation=str(path),
            extra={"class_ids": class_ids},
        )
        records.append(finish_record(record, report, lines, image_path))
    return ReadResult(records, report)
