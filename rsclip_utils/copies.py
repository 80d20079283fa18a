"""Copies of an image as real collections carry them: re-encoded, resized, shifted by a pixel,
cropped, brightened, flipped, rotated. The test cases of the contamination audit (notebook 04,
``benchmarks/bench_audit.py``, the tests): each takes and returns an RGB PIL image."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image


def _jpeg(quality: int) -> Callable[[Image.Image], Image.Image]:
    def f(image: Image.Image) -> Image.Image:
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        return Image.open(buffer).convert("RGB")
    return f


def _crop(fraction: float) -> Callable[[Image.Image], Image.Image]:
    def f(image: Image.Image) -> Image.Image:
        w, h = image.size
        dx, dy = max(1, round(fraction * w)), max(1, round(fraction * h))
        return image.crop((dx, dy, w - dx, h - dy))
    return f


def _brighten(image: Image.Image) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(image, np.float64) * 1.05, 0, 255).astype(np.uint8))


T = Image.Transpose
COPY_KINDS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "flipped left-right": lambda im: im.transpose(T.FLIP_LEFT_RIGHT),
    "flipped top-bottom": lambda im: im.transpose(T.FLIP_TOP_BOTTOM),
    "rotated 90 degrees": lambda im: im.transpose(T.ROTATE_90),
    "rotated 180 degrees": lambda im: im.transpose(T.ROTATE_180),
    "rotated 270 degrees": lambda im: im.transpose(T.ROTATE_270),
    "re-encoded (JPEG 50)": _jpeg(50),
    "re-encoded (JPEG 75)": _jpeg(75),
    "re-encoded (JPEG 95)": _jpeg(95),
    "resized 0.5x": lambda im: im.resize((max(1, im.width // 2), max(1, im.height // 2)),
                                         Image.Resampling.BILINEAR),
    "resized 2x": lambda im: im.resize((2 * im.width, 2 * im.height), Image.Resampling.BICUBIC),
    "shifted 1 px": lambda im: im.crop((1, 1, im.width, im.height)),
    "cropped 2 %": _crop(0.02),
    "brightened 5 %": _brighten,
    "rotated 90 degrees, JPEG 75": lambda im: _jpeg(75)(im.transpose(T.ROTATE_90)),
}

__all__ = ["COPY_KINDS"]
