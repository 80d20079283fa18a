"""Readers of the two UAV sources of DET-10 that are not one text file per image.

Introduced in notebook 00.

- AU-AIR (Bozcan & Kayacan 2020): one ``annotations.json``,
  ``{"annotations": [{"image_name", "image_width:", "image_height", "bbox": [{"top", "left",
  "height", "width", "class"}]}], "categories": [...]}``; the width key really ends in a colon
  in the released file (both spellings are accepted). ``class`` indexes ``categories``
  (Human, Car, Truck, Van, Motorbike, Bicycle, Bus, Trailer).
- Stanford Drone Dataset (Robicquet et al. 2016): per video
  ``annotations/<scene>/video<k>/annotations.txt``, lines
  ``track_id xmin ymin xmax ymax frame lost occluded generated "label"``; the images are video
  frames, which RemoteCLIP used but did not say how it sampled. Here every ``frame_step``-th
  frame becomes a record whose image is ``frames/<scene>/video<k>/<frame>.jpg`` under the dataset
  root (:func:`extract_sdd_frames` writes them from ``videos/<scene>/video<k>/video.mov``).
  Boxes flagged ``lost`` (outside the view) are skipped and counted per file.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..errors import FormatError
from ..records import ObjectAnnotation, Record, polygon_to_box, xywh_to_box
from . import values
from ._common import (
    ImageIndex,
    ReadResult,
    default_dir,
    finish_record,
    image_size,
)
from .file_text import read_json, read_text
from .read_report import ReadReport

AUAIR_CATEGORIES = ["Human", "Car", "Truck", "Van", "Motorbike", "Bicycle", "Bus", "Trailer"]
SDD_LABELS = ("Pedestrian", "Biker", "Skater", "Cart", "Car", "Bus")
SDD_EXPECTED = "'track_id xmin ymin xmax ymax frame lost occluded generated \"label\"'"


def read_auair(
    json_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str = "auair",
    strict: bool = True,
) -> ReadResult:
    """AU-AIR's ``annotations.json``; images default to the ``images`` folder beside it."""
    json_path = Path(json_path)
    images = ImageIndex(image_dir or default_dir([json_path.parent / "images"]))
    report = ReadReport(source=source, strict=strict)
    report.files = 1
    expected = "{'annotations': [...], 'categories': [...]}"
    records = []
    jf = read_json(json_path, report, expected)
    if jf is None:
        return ReadResult(records, report)
    data = jf.data
    if not isinstance(data, dict) or not isinstance(data.get("annotations"), list):
        report.malformed(json_path, None, "no 'annotations' list at the top level", expected)
        return ReadResult(records, report)
    categories = data.get("categories") or AUAIR_CATEGORIES
    try:
        if not isinstance(categories, list):
            raise ValueError(f"is {type(categories).__name__}, not a list")
        categories = [values.class_name(c, f"[{k}]") for k, c in enumerate(categories)]
    except ValueError as e:
        report.malformed(json_path, None, f"categories {e}", "a list of class names")
        return ReadResult(records, report)
    for i, entry in enumerate(data["annotations"]):
        where = f"annotations[{i}]"
        try:
            jf.object_entry(entry)
            name = values.json_text(entry.get("image_name"), "image_name")
            width = entry.get("image_width", entry.get("image_width:"))
            height = entry.get("image_height")
            width = None if width is None else values.dimension(width, "image_width", text_ok=False)
            height = (None if height is None
                      else values.dimension(height, "image_height", text_ok=False))
            boxes = entry.get("bbox") or []
            if not isinstance(boxes, list):
                raise ValueError(f"bbox is {type(boxes).__name__}, not a list")
        except ValueError as e:
            report.malformed(json_path, None, f"{where} {e}",
                             "{'image_name', 'image_width', 'image_height', 'bbox': [...]}")
            continue
        objects = []
        for j, b in enumerate(boxes):
            try:
                if not isinstance(b, dict):
                    raise ValueError(f"is {type(b).__name__}, not an object")
                left, top, w, h = (values.number(b.get(k), k, text_ok=False)
                                   for k in ("left", "top", "width", "height"))
                cls = values.json_id(b.get("class"), "class")
                if not isinstance(cls, int) or not 0 <= cls < len(categories):
                    raise ValueError(f"class {cls!r} is not an index into {len(categories)} "
                                     "categories")
                if w < 0 or h < 0:
                    raise ValueError(f"negative size {w}x{h}")
            except ValueError as e:
                report.malformed(json_path, None, f"{where}.bbox[{j}] {e}",
                                 "top, left, height, width and a class index into categories")
                continue
            objects.append(ObjectAnnotation(categories[cls], xywh_to_box(left, top, w, h)))
        image_path = images.locate(name, False)
        record = Record(image=str(image_path), source=source, image_id=Path(name).stem,
                        width=width, height=height,
                        objects=objects, annotation=f"{json_path}#{where}")
        records.append(finish_record(record, report, None, image_path))
    return ReadResult(records, report)


def sdd_frame_path(root: Path, scene: str, video: str, frame: int) -> Path:
    """Where the frame image of a Stanford Drone record lives (see :func:`extract_sdd_frames`)."""
    return Path(root) / "frames" / scene / video / f"{frame:05d}.jpg"


def read_stanford_drone(
    root: str | Path,
    *,
    frame_step: int = 300,
    source: str = "stanford_drone",
    strict: bool = True,
) -> ReadResult:
    """Every ``annotations/<scene>/video<k>/annotations.txt`` under ``root``; one record per
    ``frame_step``-th frame (300: one frame every 10 s of the 30 fps videos)."""
    root = Path(root)
    report = ReadReport(source=source, strict=strict)
    records = []
    for path in sorted((root / "annotations").glob("*/*/annotations.txt")):
        scene, video = path.parent.parent.name, path.parent.name
        report.files += 1
        text = read_text(path, report) or ""
        frames: dict[int, list[tuple[ObjectAnnotation, int]]] = defaultdict(list)
        lost = 0
        for lineno, raw in enumerate(text.splitlines(), 1):
            parts = raw.split()
            if not parts:
                continue
            try:
                if len(parts) != 10:
                    raise ValueError(f"{len(parts)} fields")
                x0, y0, x1, y1 = (values.number(v, "coordinate") for v in parts[1:5])
                if not parts[5].isdigit():
                    raise ValueError(f"frame {parts[5]!r} is not a frame number")
                frame, is_lost = int(parts[5]), parts[6] == "1"
                label = values.class_name(parts[9].strip('"'), "label")
            except ValueError as e:
                report.malformed(path, lineno, f"{e} in {raw.strip()!r}", SDD_EXPECTED)
                continue
            if frame % frame_step:
                continue
            if is_lost:
                lost += 1
                continue
            frames[frame].append((ObjectAnnotation(label, polygon_to_box([x0, x1], [y0, y1])),
                                  lineno))
        reference = path.parent / "reference.jpg"  # a still of the view, same size as the frames
        size = (None, None)
        if reference.is_file():
            try:
                size = image_size(reference)
            except Exception as e:  # noqa: BLE001 - any decoder error means the same here
                report.note("unreadable_image", reference, None,
                            f"{type(e).__name__}: {e}; frame sizes come from the frames")
        if lost:
            report.note("lost_track", path, None,
                        f"{lost} boxes flagged lost (outside the view) in sampled frames, skipped")
        for frame in sorted(frames):
            image_path = sdd_frame_path(root, scene, video, frame)
            objs = frames[frame]
            record = Record(image=str(image_path), source=source,
                            image_id=f"{scene}_{video}_{frame:05d}", width=size[0],
                            height=size[1], objects=[o for o, _ in objs],
                            annotation=str(path), extra={"frame": frame})
            records.append(finish_record(record, report, [ln for _, ln in objs], image_path))
    return ReadResult(records, report)


def extract_sdd_frames(root: str | Path, records: list[Record], progress: bool = True) -> int:
    """Write the frames that Stanford Drone ``records`` name, from each video's ``video.mov``;
    returns how many were written (frames already there are kept)."""
    import cv2

    from ..progress import tqdm

    root = Path(root)
    wanted: dict[Path, list[tuple[int, Path]]] = defaultdict(list)
    for r in records:
        scene, video = Path(r.image).parent.parent.name, Path(r.image).parent.name
        if not Path(r.image).is_file():
            wanted[root / "videos" / scene / video / "video.mov"].append(
                (r.extra["frame"], Path(r.image)))
    written = 0
    for movie, frames in tqdm(sorted(wanted.items()), disable=not progress, desc="SDD frames"):
        if not movie.is_file():
            raise FileNotFoundError(f"{movie}: the video for {len(frames)} annotated frames")
        cap = cv2.VideoCapture(str(movie))
        for frame, out in sorted(frames):
            cap.set(cv2.CAP_PROP_POS_FRAMES, frame)
            ok, image = cap.read()
            if not ok:
                raise FormatError(movie, None, f"frame {frame} cannot be decoded",
                                  "a video with that many frames")
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), image)
            written += 1
        cap.release()
    return written
