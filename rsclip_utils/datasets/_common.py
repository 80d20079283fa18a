"""Plumbing shared by the readers: the result type, image look-up, each record checked against
its image. Introduced in notebook 00 (decoding files: ``file_text.py``; checking values:
``values.py``)."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..images import header, incomplete
from ..records import Box, ObjectAnnotation, Record, clip_box
from .read_report import ReadReport

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp")


@dataclass
class ReadResult(Sequence):
    """Records plus the report of what the reader met; iterates and indexes like the records."""

    records: list[Record]
    report: ReadReport

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __repr__(self) -> str:
        return f"ReadResult({self.report.summary()})"


def concat_results(parts: Sequence[ReadResult], source: str, strict: bool = True) -> ReadResult:
    """Several reader calls of one source (splits, folders) as one result with one report."""
    report = ReadReport(source=source, strict=strict)
    records: list[Record] = []
    for p in parts:
        report.merge(p.report)
        records.extend(p.records)
    return ReadResult(records, report)


def image_size(path: str | Path) -> tuple[int, int]:
    """(width, height) from the image header, without decoding the pixels (a TIFF that PIL
    cannot identify is asked of ``tifffile``: :func:`rsclip_utils.images.header`)."""
    return header(path)[0]


class ImageIndex:
    """Finds ``stem.ext`` in a folder for any image extension; lists the folder once."""

    def __init__(self, folder: str | Path | None):
        self.folder = Path(folder) if folder is not None else None
        self._by_stem: dict[str, Path] = {}
        self._by_name: dict[str, Path] = {}
        if self.folder is not None and self.folder.is_dir():
            for entry in sorted(os.scandir(self.folder), key=lambda e: e.name):
                if entry.is_file():
                    p = Path(entry.path)
                    self._by_name[p.name] = p
                    if p.suffix.lower() in IMAGE_EXTENSIONS:
                        self._by_stem.setdefault(p.stem, p)

    def locate(self, name: str, any_extension: bool = True) -> Path | None:
        """The image called ``name`` (or, with ``any_extension``, one with its stem); if there is
        none, the path it would have, so that the record names it and the report says it is
        missing. None when the index has no folder."""
        if self.folder is None:
            return None
        found = self._by_name.get(name)
        if found is None and any_extension:
            found = self._by_stem.get(Path(name).stem)
        return found or self.folder / name


def finish_record(
    record: Record,
    report: ReadReport,
    object_lines: Sequence[int | None] | None = None,
    image_path: Path | None = None,
) -> Record:
    """Check a parsed record against its image and count it in the report.

    - image missing: noted (``missing_image``), the record is kept with the size the annotation
      gave (None if none);
    - image present: its header gives the size (a header that does not parse is noted as
      ``unreadable_image``, a JPEG or PNG cut short as ``truncated_image``, an image deeper
      than 8 bits or of more than three bands as ``deep_image`` with what reading it does:
      which bands become R, G, B and the stretch, :func:`rsclip_utils.images.depth_note`); a
      different annotated size is noted (``size_mismatch``) and the image's own size wins,
      since boxes must fit its pixels;
    - boxes are clipped to the image (``box_clipped``); boxes with no pixel inside are dropped
      and listed (``box_outside_image``).
    """
    ann = record.annotation or record.image or record.image_id
    if image_path is not None and image_path.is_file():
        try:
            (w, h), deep = header(image_path)
        except Exception as e:  # noqa: BLE001 - any decoder error means the same to a batch
            report.note("unreadable_image", image_path, None, f"{type(e).__name__}: {e}")
        else:
            cut = incomplete(image_path)
            if cut:
                report.note("truncated_image", image_path, None, cut)
            if deep:
                report.note("deep_image", image_path, None, deep)
            if record.width is not None and (record.width, record.height) != (w, h):
                report.note(
                    "size_mismatch",
                    ann,
                    None,
                    f"annotation says {record.width}x{record.height}, image {image_path} "
                    f"is {w}x{h}; using the image's size",
                )
            record.width, record.height = w, h
    elif image_path is not None:
        report.note("missing_image", ann, None, f"image not found: {image_path}")

    if record.width is not None and record.height is not None:
        kept: list[ObjectAnnotation] = []
        lines = list(object_lines) if object_lines is not None else [None] * len(record.objects)
        for obj, line in zip(record.objects, lines):
            clipped = clip_box(obj.box, record.width, record.height)
            if clipped is None:
                report.note(
                    "box_outside_image",
                    ann,
                    line,
                    f"{obj.label} box {list(obj.box)} lies outside the "
                    f"{record.width}x{record.height} image; dropped",
                )
                continue
            if clipped != tuple(obj.box):
                report.note(
                    "box_clipped",
                    ann,
                    line,
                    f"{obj.label} box {list(obj.box)} clipped to {list(clipped)} "
                    f"({record.width}x{record.height} image)",
                )
                obj.box = clipped
            kept.append(obj)
        record.objects = kept

    report.records += 1
    report.objects += len(record.objects)
    report.captions += len(record.captions)
    return record


def list_files(folder: Path, pattern: str, report: ReadReport, expected: str) -> list[Path]:
    """The files matching ``pattern`` in ``folder`` whatever the case of their letters
    (``P0001.TXT`` is a label file as ``P0001.txt`` is), sorted by name. A folder that does not
    exist is malformed (strict: :class:`FormatError`); one holding none of them is noted
    (``empty_folder``); every other file in it that is not an image (labels may lie beside
    their images) is noted (``other_file``), and so is every sub-folder: neither is read."""
    folder = Path(folder)
    if not folder.is_dir():
        report.malformed(folder, None, "no such folder", expected)
        return []
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        p = Path(entry.path)
        if entry.is_file() and fnmatch.fnmatchcase(entry.name.lower(), pattern.lower()):
            found.append(p)
        elif entry.is_dir():
            report.note("other_file", p, None, f"a sub-folder; not read (only {pattern} "
                        "files of this folder are)")
        elif p.suffix.lower() not in IMAGE_EXTENSIONS:
            report.note("other_file", p, None, f"not a {pattern} file; not read")
    if not found:
        report.note("empty_folder", folder, None, f"no {pattern} file in this folder")
    return found


def valid_box(box: Box) -> bool:
    """xmin <= xmax and ymin <= ymax."""
    return box[0] <= box[2] and box[1] <= box[3]


def default_dir(candidates: Sequence[Path]) -> Path | None:
    """The first candidate folder that exists, else the first candidate (reported as missing)."""
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0] if candidates else None
