"""One image reader for every stage (hashing, training, evaluation, figures), so that a file
means the same pixels everywhere and a file that cannot be decoded is named. Introduced in
notebook 00.

Policy, for what real downloads bring:

- 8-bit images (RGB, grey, palette, RGBA, CMYK, 1-bit) are decoded completely (a truncated file
  fails here, not half-way through training) and left as PIL decodes them; ``open_rgb``
  converts them with PIL, so p-Hashes of 8-bit files stay bit-identical to imagehash's.
- Deeper images (16- and 32-bit integers, signed integers, floats; GeoTIFFs of several bands)
  are stretched linearly from their smallest to their largest finite value to 0..255 (a
  constant image gives 0; NaN and inf give 0; so does a GeoTIFF's no-data value, GDAL_NODATA
  tag 42113, which is left out of the smallest and largest). PIL's own ``convert`` would
  saturate a 16-bit tile to white (every value above 255), so that distinct tiles would hash
  alike; imagehash, which calls it, does exactly that, so on deep images our p-Hash differs
  from imagehash's on purpose.
- The depth and the bands are read from the file's header, not from PIL's mode, which hides
  both: PIL opens a 16-bit RGB TIFF or PNG (and a 16-bit RGB TIFF with an extra band) as 8-bit
  ``RGB``/``RGBA``, keeping each value's high byte, so that values up to 10,200 come out at
  most 39. A TIFF's BitsPerSample (tag 258), SamplesPerPixel (277), SampleFormat (339) and page
  count, and a PNG's IHDR bit depth, decide; such files are read at full depth with
  ``tifffile`` (TIFF) or OpenCV (PNG) and stretched.
- Images of more than three bands keep the first three as R, G, B (bands 1, 2, 3 in file
  order, whatever they hold: an alpha or near-infrared fourth band is left out), stretched
  together, so that their relative brightness is kept; one or two bands: the first, as grey.
  A TIFF storing its bands as pages counts its pages as bands. :func:`depth_note` says in one
  line what is done to a file (the readers list it in their report as ``deep_image``), and
  :func:`open_image` leaves the same line in the image's ``info["stretch"]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")
_TIFF = (".tif", ".tiff")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_COLOURS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # IHDR colour type -> samples per pixel
_SAMPLE_KINDS = {1: "unsigned", 2: "signed", 3: "float"}  # TIFF SampleFormat
_PIL_CONVERTS = ("1", "L", "P", "RGB", "RGBA", "LA", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBa",
                 "La")  # 8-bit modes whose conversion to RGB is right as PIL does it


class ImageError(ValueError):
    """An image file that cannot be decoded, with its path and why."""


def to_uint8(a: np.ndarray) -> np.ndarray:
    """An array of any numeric type stretched linearly to 0..255 by its finite minimum and
    maximum (8-bit arrays are returned as they are)."""
    if a.dtype == np.uint8:
        return a
    a = np.asarray(a, dtype=np.float64)
    finite = np.isfinite(a)
    out = np.zeros(a.shape, dtype=np.float64)
    if finite.any():
        lo, hi = a[finite].min(), a[finite].max()
        if hi > lo:
            out[finite] = (a[finite] - lo) / (hi - lo) * 255.0
    return np.round(out).clip(0, 255).astype(np.uint8)


def _bands_last(a: np.ndarray) -> np.ndarray:
    """(h, w, bands) from (bands, h, w) or (h, w, bands); a 2-D array as it is."""
    if a.ndim == 3 and a.shape[0] < min(a.shape[1:]) and a.shape[0] < a.shape[2]:
        a = np.moveaxis(a, 0, -1)
    return a


def _from_array(a: np.ndarray, path, bands_last: bool = False) -> Image.Image:
    """An 8-bit image of an array: ``bands_last`` when it is (h, w[, bands]) already (no axis
    is guessed, so a 1-pixel-high image stays one), else guessed by :func:`_bands_last`."""
    a = a if bands_last else _bands_last(np.squeeze(a))
    if a.ndim == 3:
        a = a[..., :3] if a.shape[2] >= 3 else a[..., 0]
    if a.ndim != 2 and not (a.ndim == 3 and a.shape[2] == 3):
        raise ImageError(f"{path}: an image of shape {a.shape} is not 2-D")
    return Image.fromarray(to_uint8(a))


def _largest(value, default: int) -> int:
    if isinstance(value, (tuple, list)):
        return max(value) if value else default
    return default if value is None else int(value)


def _layout(im: Image.Image) -> tuple[int, int, str]:
    """(bits per sample, bands, sample kind) the open file holds, from its header: what PIL's
    mode does not tell (a 16-bit RGB TIFF or PNG opens as 8-bit ``RGB``)."""
    if im.format == "TIFF":
        tags = im.tag_v2
        bits = _largest(tags.get(258), 1)
        bands = _largest(tags.get(277), 1)
        kind = _SAMPLE_KINDS.get(_largest(tags.get(339), 1), "unsigned")
        pages = getattr(im, "n_frames", 1)
        return bits, bands * pages if bands == 1 else bands, kind
    if im.format == "PNG" and getattr(im, "filename", None):
        with open(im.filename, "rb") as f:
            head = f.read(26)
        if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
            return head[24], _PNG_COLOURS.get(head[25], len(im.getbands())), "unsigned"
    if im.mode in DEEP_MODES:
        return ((16, 1, "unsigned") if im.mode.startswith("I;16")
                else (32, 1, "float" if im.mode == "F" else "signed"))
    return 8, len(im.getbands()), "unsigned"


def _full_depth_reader(im: Image.Image) -> str | None:
    """``"tifffile"`` or ``"opencv"`` where PIL's decoding would lose depth or bands (the
    file is then read with that library), None where PIL keeps every value."""
    bits, bands, kind = _layout(im)
    if im.format == "TIFF":
        if getattr(im, "n_frames", 1) > 1:
            return "tifffile"  # bands stored as pages: PIL reads only the first
        if im.mode not in DEEP_MODES and (bits > 8 or kind != "unsigned"
                                          or bands != len(im.getbands())):
            return "tifffile"
    if im.format == "PNG" and bits > 8 and im.mode not in DEEP_MODES:
        return "opencv"
    return None


def _describe(bits: int, bands: int, kind: str) -> str | None:
    """The note for a file of this layout; None for plain 8-bit of at most three bands."""
    deep = bits > 8 or kind != "unsigned"
    if not deep and bands <= 3:
        return None
    what = {"float": f"{bits}-bit float", "signed": f"{bits}-bit signed"}.get(kind, f"{bits}-bit")
    parts = [f"{what} image of {bands} band{'s' if bands != 1 else ''}"]
    if bands > 3:
        parts.append(f"bands 1-3 become R, G, B (band{'s' if bands > 4 else ''} "
                     f"4{f'-{bands}' if bands > 4 else ''} left out)")
    elif bands == 2:
        parts.append("band 1 becomes grey (band 2 left out)")
    if deep:
        parts.append("stretched linearly from its smallest to its largest value to 0..255"
                     + (" (the bands together)" if bands > 1 else ""))
    return "; ".join(parts)


def depth_note(path: str | Path) -> str | None:
    """One line saying what :func:`open_image` does to an image that is not plain 8-bit RGB or
    grey (deeper than 8 bits, signed or float samples, more than three bands, bands as TIFF
    pages), read from the header without decoding; None for an 8-bit image of at most three
    bands (RGBA, palette, CMYK and 1-bit included: PIL converts those)."""
    return header(path)[1]


def header(path: str | Path) -> tuple[tuple[int, int], str | None]:
    """((width, height), :func:`depth_note`'s line) from the file's header, without decoding
    the pixels; a TIFF that PIL cannot identify (float64, 16-bit of five bands, ...) is asked
    of ``tifffile``. Raises what ``PIL.Image.open`` raises for a file that neither reads."""
    try:
        with Image.open(path) as im:
            return im.size, _note_of(im, path)
    except Exception:
        if Path(path).suffix.lower() not in _TIFF:
            raise
        try:
            return _tiff_size(path), _tiff_note(path)
        except Exception:  # noqa: BLE001 - PIL's error is the one to show
            pass
        raise


def _note_of(im: Image.Image, path) -> str | None:
    if _full_depth_reader(im) == "tifffile":
        return _tiff_note(path)
    bits, bands, kind = _layout(im)
    if bits <= 8 and kind == "unsigned" and im.mode in _PIL_CONVERTS:
        return None  # alpha, ink or a palette: PIL's own conversion to RGB is right
    return _describe(bits, bands, kind)


def _read_tiff(path) -> np.ndarray:
    """A TIFF's first series as (h, w, bands) (or (h, w)) by its axes: Y and X first, every
    other axis (samples, pages, channels) flattened into bands, in file order."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        a, axes = series.asarray(), series.axes
        nodata = _nodata(tif.pages[0])
    if "Y" not in axes or "X" not in axes:
        raise ImageError(f"{path}: a TIFF with axes {axes!r} has no Y and X axes")
    a = np.moveaxis(a, [axes.index("Y"), axes.index("X")], [0, 1])
    if nodata is not None and a.dtype != np.uint8:  # left out of the stretch: it gives 0
        a = np.where(a == nodata, np.nan, a.astype(np.float64))
    return a.reshape(a.shape[0], a.shape[1], -1)


def _nodata(page) -> float | None:
    """A GeoTIFF's no-data value (GDAL_NODATA, tag 42113, written as text), or None."""
    tag = page.tags.get(42113)
    try:
        return float(str(tag.value).strip("\x00 ")) if tag is not None else None
    except ValueError:
        return None


def _read_png16(path) -> np.ndarray:
    import cv2

    a = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if a is None:
        raise ValueError("OpenCV cannot decode the 16-bit PNG")
    if a.ndim == 3 and a.shape[2] >= 3:
        a = np.concatenate([a[..., 2::-1], a[..., 3:]], axis=2)  # BGR(A) -> RGB(A)
    return a


def open_image(path: str | Path) -> Image.Image:
    """The image as an 8-bit PIL image (mode L, RGB, or what PIL decoded for 8-bit files),
    fully decoded; :class:`ImageError` naming the file when it cannot be. An image that was
    stretched or lost bands carries :func:`depth_note`'s line in ``info["stretch"]``."""
    try:
        with Image.open(path) as im:
            reader = _full_depth_reader(im)
            note = _note_of(im, path)
            if reader == "tifffile":
                image = _from_array(_read_tiff(path), path, bands_last=True)
            elif reader == "opencv":
                image = _from_array(_read_png16(path), path, bands_last=True)
            else:
                im.load()  # decode now: a truncated or damaged file fails here
                if im.mode in DEEP_MODES:
                    image = _from_array(np.asarray(im), path)
                else:
                    image = im.copy()  # 8-bit: as PIL decodes it
            if note:
                image.info["stretch"] = note
            return image
    except ImageError:
        raise
    except Exception as e:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError, ...
        if Path(path).suffix.lower() in _TIFF:
            try:
                image = _from_array(_read_tiff(path), path, bands_last=True)
            except ImageError:
                raise
            except Exception:  # noqa: BLE001 - report PIL's reason, the first reader's
                pass
            else:
                note = _tiff_note(path)
                if note:
                    image.info["stretch"] = note
                return image
        raise ImageError(f"{path}: cannot decode the image ({type(e).__name__}: {e})") from e


def _tiff_size(path) -> tuple[int, int]:
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        axes, shape = series.axes, series.shape
    return int(shape[axes.index("X")]), int(shape[axes.index("Y")])


def _tiff_note(path) -> str | None:
    """:func:`depth_note` for a TIFF read with ``tifffile`` (from its header)."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        axes, shape, dtype = series.axes, series.shape, series.dtype
    bands = int(np.prod([n for ax, n in zip(axes, shape) if ax not in "YX"], dtype=np.int64))
    kind = {"f": "float", "i": "signed"}.get(dtype.kind, "unsigned")
    return _describe(dtype.itemsize * 8, bands, kind)


def open_rgb(path: str | Path) -> Image.Image:
    """The image as 8-bit RGB (see the module's policy)."""
    image = open_image(path)
    return image if image.mode == "RGB" else image.convert("RGB")


def load_rgb(path: str | Path) -> np.ndarray:
    """The image as an (h, w, 3) uint8 array (see the module's policy)."""
    return np.asarray(open_rgb(path))


_TAIL = 4096  # bytes of a file's end searched for its end marker


def incomplete(path: str | Path) -> str | None:
    """Why a JPEG or PNG file is cut short, read from its last bytes without decoding (None when
    it ends as its format requires, or is of another format). Introduced in notebook 00.

    The readers call this for every image, where a full decode (:func:`open_image`) would cost
    seconds per DOTA scene: a JPEG must hold its end-of-image marker ``FF D9`` in its last 4 KiB
    (the coded data cannot contain it, since every ``FF`` there is followed by ``00`` or a
    restart marker; some cameras write padding after it), a PNG must end with its ``IEND``
    chunk. Damage inside a complete-length file is found by :func:`open_image`, when the image
    is decoded (training checks every image before its first step).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".jpg", ".jpeg", ".png"):
        return None
    with path.open("rb") as f:
        head = f.read(8)
        size = f.seek(0, 2)
        f.seek(max(0, size - _TAIL))
        tail = f.read()
    if head.startswith(b"\xff\xd8"):
        if b"\xff\xd9" not in tail:
            return f"JPEG of {size} bytes has no end-of-image marker: the file is cut short"
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        if not tail.endswith(b"IEND\xaeB`\x82"):
            return f"PNG of {size} bytes does not end with its IEND chunk: the file is cut short"
    return None
