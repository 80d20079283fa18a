"""Segmentation masks of the SEG-4 sets: their encodings, decoding to label maps, and readers that
pair images with masks. Introduced in notebook 00; notebook 02 (Mask-to-Box) builds on it.

Encodings (``MASK_FORMATS``):

- ``loveda``: LoveDA index PNG, 0 = no-data, 1 background, 2 building, 3 road, 4 water,
  5 barren, 6 forest, 7 agriculture.
- ``isprs_index``: ISPRS Potsdam / Vaihingen as converted by mmsegmentation's
  ``tools/dataset_converters/{potsdam,vaihingen}.py``: 0 = boundary / ignore (the eroded labels'
  black), 1 impervious surface, 2 building, 3 low vegetation, 4 tree, 5 car, 6 clutter. (The
  converter reads the RGB label with OpenCV, in BGR order; its colour list therefore maps blue to
  building and red to clutter, as the ISPRS legend says.)
- ``isprs_rgb``: the original ISPRS colour code (white impervious, blue building, cyan low
  vegetation, green tree, yellow car, red clutter; black boundary in the eroded labels), decoded
  to the same values as ``isprs_index``.
- ``isaid_color``: iSAID ``*_instance_color_RGB.png``, one colour per class (the palette of
  mmsegmentation's iSAIDDataset, RGB order, checked against the real masks), 0 = background.
- ``isaid_id``: iSAID ``*_instance_id_RGB.png``: every instance its own colour; decoded to the
  integer ``R + 256 G + 65536 B`` (0 = no instance).

Values or colours outside the table are counted per value in :class:`LabelMap` ``unknown`` and
become ``UNKNOWN`` (255); nothing is guessed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from ..records import Record
from ._common import IMAGE_EXTENSIONS, ReadResult, concat_results, finish_record, image_size
from .read_report import ReadReport

UNKNOWN = 255


@dataclass(frozen=True)
class MaskFormat:
    """How a mask file encodes classes: index values, class colours, or instance colours."""

    name: str
    encoding: str  # "index" | "rgb" | "instance_rgb"
    classes: dict[int, str]
    ignore: dict[int, str]
    colours: dict[tuple[int, int, int], int] = field(default_factory=dict)

    def value_of(self, class_name: str) -> int:
        """The mask value of a class name; an unknown name raises KeyError listing the known
        ones."""
        for v, n in self.classes.items():
            if n == class_name:
                return v
        raise KeyError(
            f"{class_name!r} is not a class of {self.name}: {list(self.classes.values())}"
        )


LOVEDA = MaskFormat(
    "loveda",
    "index",
    classes={
        1: "background",
        2: "building",
        3: "road",
        4: "water",
        5: "barren",
        6: "forest",
        7: "agriculture",
    },
    ignore={0: "no-data"},
)
_ISPRS_CLASSES = {
    1: "impervious surface",
    2: "building",
    3: "low vegetation",
    4: "tree",
    5: "car",
    6: "clutter",
}
ISPRS_INDEX = MaskFormat("isprs_index", "index", classes=_ISPRS_CLASSES, ignore={0: "boundary"})
ISPRS_RGB = MaskFormat(
    "isprs_rgb",
    "rgb",
    classes=_ISPRS_CLASSES,
    ignore={0: "boundary"},
    colours={
        (0, 0, 0): 0,
        (255, 255, 255): 1,
        (0, 0, 255): 2,
        (0, 255, 255): 3,
        (0, 255, 0): 4,
        (255, 255, 0): 5,
        (255, 0, 0): 6,
    },
)
_ISAID = [
    ("ship", (0, 0, 63)),
    ("storage_tank", (0, 63, 63)),
    ("baseball_diamond", (0, 63, 0)),
    ("tennis_court", (0, 63, 127)),
    ("basketball_court", (0, 63, 191)),
    ("Ground_Track_Field", (0, 63, 255)),
    ("Bridge", (0, 127, 63)),
    ("Large_Vehicle", (0, 127, 127)),
    ("Small_Vehicle", (0, 0, 127)),
    ("Helicopter", (0, 0, 191)),
    ("Swimming_pool", (0, 0, 255)),
    ("Roundabout", (0, 191, 127)),
    ("Soccer_ball_field", (0, 127, 191)),
    ("plane", (0, 127, 255)),
    ("Harbor", (0, 100, 155)),
]
ISAID_COLOR = MaskFormat(
    "isaid_color",
    "rgb",
    classes={i + 1: n for i, (n, _) in enumerate(_ISAID)},
    ignore={0: "background"},
    colours={(0, 0, 0): 0, **{c: i + 1 for i, (_, c) in enumerate(_ISAID)}},
)
ISAID_ID = MaskFormat("isaid_id", "instance_rgb", classes={}, ignore={0: "no instance"})

MASK_FORMATS = {f.name: f for f in (LOVEDA, ISPRS_INDEX, ISPRS_RGB, ISAID_COLOR, ISAID_ID)}


def _rgb_key(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


@cache
def _colour_table(fmt_name: str) -> np.ndarray:
    """A 2**24 lookup from packed RGB to class value (UNKNOWN elsewhere); built once."""
    table = np.full(1 << 24, UNKNOWN, dtype=np.uint8)
    for (r, g, b), v in MASK_FORMATS[fmt_name].colours.items():
        table[(r << 16) | (g << 8) | b] = v
    return table


@dataclass
class LabelMap:
    """A decoded mask: a 2-D array of class values plus what the values mean."""

    labels: np.ndarray
    format: MaskFormat
    unknown: dict[str, int]
    path: str | None = None

    @property
    def classes(self) -> dict[int, str]:
        """Mask value -> class name of this map's format."""
        return self.format.classes

    def present(self) -> dict[str, int]:
        """Pixel count of every class that occurs."""
        values, counts = np.unique(self.labels, return_counts=True)
        return {
            self.format.classes[v]: int(c)
            for v, c in zip(values.tolist(), counts.tolist())
            if v in self.format.classes
        }


def _as_format(fmt: str | MaskFormat) -> MaskFormat:
    if isinstance(fmt, MaskFormat):
        return fmt
    try:
        return MASK_FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown mask format {fmt!r}; known: {sorted(MASK_FORMATS)}") from None


def decode_array(array: np.ndarray, fmt: str | MaskFormat, path: str | None = None) -> LabelMap:
    """Decode a mask held in memory (see :func:`decode_mask`)."""
    fmt = _as_format(fmt)
    where = path or "mask array"
    if fmt.encoding == "index":
        if array.ndim != 2:
            raise ValueError(
                f"{where}: {fmt.name} masks are single-channel, got shape {array.shape}"
            )
        valid = np.zeros(max(int(array.max(initial=0)) + 1, 256), dtype=bool)
        valid[list(fmt.classes) + list(fmt.ignore)] = True
        bad = ~valid[array]
        labels = array.astype(np.uint8, copy=True)
        values, counts = np.unique(array[bad], return_counts=True)
        labels[bad] = UNKNOWN
        unknown = {str(v): int(c) for v, c in zip(values.tolist(), counts.tolist())}
        return LabelMap(labels, fmt, unknown, path)
    if array.ndim != 3 or array.shape[2] < 3:
        raise ValueError(f"{where}: {fmt.name} masks are RGB, got shape {array.shape}")
    key = _rgb_key(array[..., :3])
    if fmt.encoding == "instance_rgb":
        return LabelMap(key, fmt, {}, path)
    labels = _colour_table(fmt.name)[key]
    bad = labels == UNKNOWN
    unknown = {}
    if bad.any():
        values, counts = np.unique(key[bad], return_counts=True)
        unknown = {
            f"rgb({v >> 16},{(v >> 8) & 255},{v & 255})": int(c)
            for v, c in zip(values.tolist(), counts.tolist())
        }
    return LabelMap(labels, fmt, unknown, path)


def decode_mask(path: str | Path, fmt: str | MaskFormat) -> LabelMap:
    """Read a mask file and decode it to a label map (values per ``MASK_FORMATS``)."""
    fmt = _as_format(fmt)
    with Image.open(path) as im:
        if fmt.encoding == "index":
            if im.mode not in ("L", "P", "I", "I;16"):
                raise ValueError(
                    f"{path}: mode {im.mode} is not a single-channel index mask "
                    f"({fmt.name} expects L or P)"
                )
            array = np.asarray(im)
        else:
            array = np.asarray(im.convert("RGB"))
    return decode_array(array, fmt, str(path))


def encode_mask(labels: np.ndarray, fmt: str | MaskFormat) -> np.ndarray:
    """The inverse of :func:`decode_array`: class values (or instance ids) to the file's pixels."""
    fmt = _as_format(fmt)
    if fmt.encoding == "index":
        return labels.astype(np.uint8)
    if fmt.encoding == "instance_rgb":
        ids = labels.astype(np.int64)
        return np.stack([(ids >> 16) & 255, (ids >> 8) & 255, ids & 255], -1).astype(np.uint8)
    out = np.zeros(labels.shape + (3,), dtype=np.uint8)
    for colour, v in fmt.colours.items():
        out[labels == v] = colour
    return out


def _pair(
    report: ReadReport,
    image_path: Path,
    mask_path: Path,
    *,
    source: str,
    split: str | None,
    fmt: MaskFormat,
    image_id: str,
    extra: dict | None = None,
):
    """One image/mask record; a missing mask is noted, a size mismatch is malformed."""
    report.files += 1
    record = Record(
        image=str(image_path),
        source=source,
        image_id=image_id,
        split=split,
        mask=str(mask_path),
        mask_format=fmt.name,
        annotation=str(mask_path),
        extra=extra or {},
    )
    if not mask_path.is_file():
        report.note("missing_mask", image_path, None, f"mask not found: {mask_path}")
        record.mask = None
    elif image_path.is_file():
        try:
            size_m = image_size(mask_path)
        except Exception as e:  # noqa: BLE001 - any decoder error means the same to a batch
            report.malformed(mask_path, None, f"the mask cannot be read ({type(e).__name__}: {e})",
                             "a mask image")
            return None
        try:
            size_i = image_size(image_path)
        except Exception:  # noqa: BLE001 - finish_record notes the unreadable image
            size_i = size_m
        if size_i != size_m:
            report.malformed(
                mask_path,
                None,
                f"mask is {size_m[0]}x{size_m[1]} but image {image_path} is "
                f"{size_i[0]}x{size_i[1]}",
                "a mask of the image's size",
            )
            return None
    return finish_record(record, report, None, image_path)


def _images_in(folder: Path, skip_suffixes: tuple[str, ...] = ()) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        Path(e.path)
        for e in os.scandir(folder)
        if e.is_file()
        and Path(e.name).suffix.lower() in IMAGE_EXTENSIONS
        and not any(Path(e.name).stem.endswith(s) for s in skip_suffixes)
    )


def read_seg_pairs(
    image_dir: str | Path,
    mask_dir: str | Path,
    mask_format: str,
    *,
    source: str,
    split: str | None = None,
    mask_suffix: str = "",
    mask_ext: str = ".png",
    strict: bool = True,
) -> ReadResult:
    """Pair every image in ``image_dir`` with ``mask_dir/<stem><mask_suffix><mask_ext>``."""
    fmt = _as_format(mask_format)
    report = ReadReport(source=source, strict=strict)
    records = []
    for p in _images_in(Path(image_dir)):
        r = _pair(
            report,
            p,
            Path(mask_dir) / f"{p.stem}{mask_suffix}{mask_ext}",
            source=source,
            split=split,
            fmt=fmt,
            image_id=p.stem,
        )
        if r is not None:
            records.append(r)
    return ReadResult(records, report)


def read_loveda(root: str | Path, *, source: str = "loveda", strict: bool = True) -> ReadResult:
    """LoveDA in its official layout ``{Train,Val,Test}/{Urban,Rural}/{images_png,masks_png}``,
    or in mmsegmentation's ``img_dir[/split]`` + ``ann_dir[/split]`` layout."""
    root = Path(root)
    results = []
    for split_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        for domain in ("Urban", "Rural"):
            d = split_dir / domain
            if (d / "images_png").is_dir():
                r = read_seg_pairs(
                    d / "images_png",
                    d / "masks_png",
                    "loveda",
                    source=source,
                    split=split_dir.name.lower(),
                    strict=strict,
                )
                for rec in r.records:
                    rec.extra["domain"] = domain.lower()
                    rec.image_id = f"{split_dir.name.lower()}/{domain.lower()}/{rec.image_id}"
                results.append(r)
    if not results:
        results = _read_mmseg_layout(root, "loveda", source, strict)
    return concat_results(results, source, strict)


def _read_mmseg_layout(root: Path, fmt: str, source: str, strict: bool) -> list[ReadResult]:
    img_dir, ann_dir = root / "img_dir", root / "ann_dir"
    splits = [p.name for p in sorted(img_dir.iterdir()) if p.is_dir()] if img_dir.is_dir() else []
    if splits:
        return [
            read_seg_pairs(img_dir / s, ann_dir / s, fmt, source=source, split=s, strict=strict)
            for s in splits
        ]
    return [read_seg_pairs(img_dir, ann_dir, fmt, source=source, strict=strict)]


def read_isprs(
    root: str | Path, *, source: str, mask_format: str = "isprs_index", strict: bool = True
) -> ReadResult:
    """Potsdam or Vaihingen in mmsegmentation's ``img_dir`` / ``ann_dir`` layout."""
    return concat_results(_read_mmseg_layout(Path(root), mask_format, source, strict), source,
                          strict)


ISAID_COLOR_SUFFIX = "_instance_color_RGB"
ISAID_ID_SUFFIX = "_instance_id_RGB"


def read_isaid(root: str | Path, *, source: str = "isaid", strict: bool = True) -> ReadResult:
    """iSAID's official mask layout ``{split}/images/Pxxxx.png`` with
    ``Pxxxx_instance_color_RGB.png`` (classes) and ``Pxxxx_instance_id_RGB.png`` (instances)."""
    root = Path(root)
    fmt = ISAID_COLOR
    report = ReadReport(source=source, strict=strict)
    records = []
    for split_dir in sorted(p for p in root.iterdir() if (p / "images").is_dir()):
        folder = split_dir / "images"
        for p in _images_in(folder, skip_suffixes=(ISAID_COLOR_SUFFIX, ISAID_ID_SUFFIX)):
            ids = folder / f"{p.stem}{ISAID_ID_SUFFIX}.png"
            if not ids.is_file():
                report.note("missing_mask", p, None, f"instance mask not found: {ids}")
            r = _pair(
                report,
                p,
                folder / f"{p.stem}{ISAID_COLOR_SUFFIX}.png",
                source=source,
                split=split_dir.name,
                fmt=fmt,
                image_id=p.stem,
                extra={"instance_mask": str(ids)} if ids.is_file() else {},
            )
            if r is not None:
                records.append(r)
    return ReadResult(records, report)
