"""Readers of the one-text-file-per-image box formats of DET-10: LEVIR, VisDrone-DET and CARPK.

Introduced in notebook 00. Each line of a label file is one object; the formats differ only in
the field order and in what a class is, so one loop (:func:`read_box_txt`) serves all three:

- LEVIR (Zou & Shi 2018): ``imageWithLabel/NAME.txt`` beside ``NAME.jpg``, lines
  ``class x1 y1 x2 y2`` with class 1 = plane, 2 = ship, 3 = oil tank ("oilpot" in the source).
- VisDrone2019-DET: ``annotations/NAME.txt``, images in ``images/``, lines
  ``left,top,width,height,score,category,truncation,occlusion``; category 0 marks an *ignored
  region* (not an object: skipped and counted as ``ignored_region``), 1..11 are pedestrian ...
  others. ``left, top`` are taken as 0-based pixel coordinates (the toolkit draws them so), and
  ``[left, top, width, height]`` becomes ``[left, top, left + width - 1, top + height - 1]``.
- CARPK (Hsieh et al. 2017): ``CARPK_devkit/data/Annotations/NAME.txt``, images in ``Images/``,
  lines ``x1 y1 x2 y2 class`` (class 1 = car), splits in ``ImageSets/{train,test}.txt``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..records import ObjectAnnotation, Record, polygon_to_box, xywh_to_box
from . import values
from ._common import (
    ImageIndex,
    ReadResult,
    concat_results,
    default_dir,
    finish_record,
    list_files,
)
from .file_text import read_text
from .read_report import ReadReport

LEVIR_CLASSES = {1: "plane", 2: "ship", 3: "oil tank"}
VISDRONE_CLASSES = {
    1: "pedestrian", 2: "people", 3: "bicycle", 4: "car", 5: "van", 6: "truck", 7: "tricycle",
    8: "awning-tricycle", 9: "bus", 10: "motor", 11: "others",
}
CARPK_CLASSES = {1: "car"}

# a line parser returns an object, None to skip the line silently (blank), or raises ValueError
# with the reason; "ignored" objects are returned as the string "ignored"
LineParser = Callable[[str], "ObjectAnnotation | str | None"]


def _numbers(fields: list[str], n: int) -> list[float]:
    if len(fields) != n:
        raise ValueError(f"{len(fields)} fields")
    return values.numbers(fields, "field")


def _class_of(value: float, classes: dict[int, str]) -> str:
    if value != int(value) or int(value) not in classes:
        raise ValueError(f"class {value:g} is not one of {sorted(classes)}")
    return classes[int(value)]


def parse_levir_line(line: str) -> ObjectAnnotation:
    """``class x1 y1 x2 y2`` (LEVIR)."""
    c, x1, y1, x2, y2 = _numbers(line.split(), 5)
    return ObjectAnnotation(_class_of(c, LEVIR_CLASSES), polygon_to_box([x1, x2], [y1, y2]))


def parse_visdrone_line(line: str) -> ObjectAnnotation | str:
    """``left,top,width,height,score,category,truncation,occlusion`` (VisDrone-DET)."""
    fields = [f for f in line.replace(" ", "").split(",") if f != ""]
    left, top, w, h, _score, cat, _trunc, _occ = _numbers(fields, 8)
    if cat == 0:
        return "ignored"
    if w <= 0 or h <= 0:
        raise ValueError(f"width {w:g} / height {h:g} not positive")
    return ObjectAnnotation(_class_of(cat, VISDRONE_CLASSES), xywh_to_box(left, top, w, h))


def parse_carpk_line(line: str) -> ObjectAnnotation:
    """``x1 y1 x2 y2 class`` (CARPK)."""
    x1, y1, x2, y2, c = _numbers(line.split(), 5)
    return ObjectAnnotation(_class_of(c, CARPK_CLASSES), polygon_to_box([x1, x2], [y1, y2]))


def read_box_txt(
    label_dir: str | Path,
    image_dir: str | Path,
    parse_line: LineParser,
    expected: str,
    *,
    source: str,
    split: str | None = None,
    names: set[str] | None = None,
    strict: bool = True,
) -> ReadResult:
    """Every ``*.txt`` in ``label_dir`` (only the stems in ``names`` when given), one object per
    line, each image found in ``image_dir`` under any image extension."""
    label_dir = Path(label_dir)
    images = ImageIndex(image_dir)
    report = ReadReport(source=source, strict=strict)
    records = []
    for path in list_files(label_dir, "*.txt", report, f"a folder of {source} label files"):
        if names is not None and path.stem not in names:
            continue
        report.files += 1
        text = read_text(path, report)
        objects, lines = [], []
        if text is not None and not text.strip():
            report.note("empty_file", path, None, "label file holds no objects")
        for lineno, raw in enumerate((text or "").splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            try:
                obj = parse_line(line)
            except ValueError as e:
                report.malformed(path, lineno, f"{e} in {line!r}", expected)
                continue
            if obj == "ignored":
                report.note("ignored_region", path, lineno, "ignored region (category 0) skipped")
                continue
            objects.append(obj)
            lines.append(lineno)
        image_path = images.locate(path.stem + ".jpg")
        record = Record(image=str(image_path), source=source, image_id=path.stem, split=split,
                        objects=objects, annotation=str(path))
        records.append(finish_record(record, report, lines, image_path))
    return ReadResult(records, report)


def read_levir(folder: str | Path, *, source: str = "levir", strict: bool = True) -> ReadResult:
    """LEVIR's ``imageWithLabel`` folder (labels beside their images)."""
    return read_box_txt(folder, folder, parse_levir_line, "'class x1 y1 x2 y2', class 1..3",
                        source=source, strict=strict)


def read_visdrone(
    folder: str | Path, *, source: str = "visdrone", split: str | None = None, strict: bool = True
) -> ReadResult:
    """A VisDrone2019-DET split folder holding ``annotations/`` and ``images/``."""
    folder = Path(folder)
    return read_box_txt(folder / "annotations", folder / "images", parse_visdrone_line,
                        "'left,top,width,height,score,category,truncation,occlusion'",
                        source=source, split=split, strict=strict)


def read_carpk(
    data_dir: str | Path, *, source: str = "carpk", strict: bool = True
) -> ReadResult:
    """CARPK's ``data`` folder: ``Annotations/``, ``Images/``, ``ImageSets/{train,test}.txt``
    (each record gets its split; without the split files every label is read, split None)."""
    data_dir = Path(data_dir)
    images = default_dir([data_dir / "Images"])
    split_files = {s: data_dir / "ImageSets" / f"{s}.txt" for s in ("train", "test")}
    report = ReadReport(source=source, strict=strict)  # of the split files
    splits = {s: set((read_text(p, report) or "").split()) for s, p in split_files.items()
              if p.is_file()}
    return concat_results([read_box_txt(data_dir / "Annotations", images, parse_carpk_line,
                                        "'x1 y1 x2 y2 class', class 1", source=source,
                                        split=split, names=names, strict=strict)
                           for split, names in (splits or {None: None}).items()]
                          + [ReadResult([], report)], source, strict)
