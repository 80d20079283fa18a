"""One image reader for every stage (hashing, training, evaluation, figures), so that a file
means the same pixels everywhere and a file that cannot be decoded is named. Introduced in
notebook 00.

Policy, for what real downloads bring:

- 8-bit images (RGB, grey, palette, RGBA, CMYK, 1-bit) are decoded completely (a truncated file
  fails here, not half-way through training) and left as PIL decodes them; ``open_rgb``
  converts them with PIL, so p-Hashes of 8-bit files stay bit-identical to imagehash's.
- Deeper images (16- and 32-bit integers, floats; GeoTIFFs of several bands) are stretched
  linearly from their smallest to their largest finite value to 0..255 (a constant image gives
  0; NaN and inf give 0). PIL's own ``convert`` would saturate a 16-bit tile to white (every
  value above 255), so that distinct tiles would hash alike; imagehash, which calls it, does
  exactly that, so on deep images our p-Hash differs from imagehash's on purpose.
- Images of more than three bands keep the first three as R, G, B, stretched together (one or
  two bands: the first, as grey). TIFFs that PIL cannot read, or reads only the first page of
  (multi-band, 16-bit RGB), are read with ``tifffile``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


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


def _from_array(a: np.ndarray, path) -> Image.Image:
    a = _bands_last(np.squeeze(a))
    if a.ndim == 3:
        a = a[..., :3] if a.shape[2] >= 3 else a[..., 0]
    if a.ndim != 2 and not (a.ndim == 3 and a.shape[2] == 3):
        raise ImageError(f"{path}: an image of shape {a.shape} is not 2-D")
    return Image.fromarray(to_uint8(a))


def open_image(path: str | Path) -> Image.Image:
    """The image as an 8-bit PIL image (mode L, RGB, or what PIL decoded for 8-bit files),
    fully decoded; :class:`ImageError` naming the file when it cannot be."""
    try:
        with Image.open(path) as im:
            im.load()  # decode now: a truncated or damaged file fails here
            if getattr(im, "n_frames", 1) > 1 and Path(path).suffix.lower() in (".tif", ".tiff"):
                raise ValueError("a TIFF of several pages (bands stored as pages)")
            if im.mode in DEEP_MODES:
                return _from_array(np.asarray(im), path)
            return im.copy()  # 8-bit: as PIL decodes it
    except ImageError:
        raise
    except Exception as e:  # noqa: BLE001 - PIL raises OSError, SyntaxError, ValueError, ...
        if Path(path).suffix.lower() in (".tif", ".tiff"):
            try:
                import tifffile

                return _from_array(tifffile.imread(path), path)
            except ImageError:
                raise
            except Exception:  # noqa: BLE001 - report PIL's reason, the first reader's
                pass
        raise ImageError(f"{path}: cannot decode the image ({type(e).__name__}: {e})") from e


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
