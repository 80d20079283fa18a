"""A drawing surface that paints an image and, in step, its class and instance masks.

Introduced in notebook 00 (the embedded datasets). Every shape drawn with a ``cls`` value also
lands in the class mask, and with an ``inst`` id in the instance mask, through the same PIL
rasteriser, so the masks agree with the pixels exactly.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

# Land-cover / object values of the class mask (the writers map them to LoveDA or iSAID codes).
LANDCOVER = {
    "background": 1,
    "building": 2,
    "road": 3,
    "water": 4,
    "barren": 5,
    "forest": 6,
    "agriculture": 7,
}


class Canvas:
    """An RGB image with an optional class mask (``L``) and instance mask (``I``, int32)."""

    def __init__(self, background: np.ndarray, masks: bool = True, base_class: int = 1):
        h, w = background.shape[:2]
        self.size = (w, h)
        self.image = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8), "RGB")
        self.draw = ImageDraw.Draw(self.image)
        self.cls = Image.new("L", (w, h), base_class) if masks else None
        self.inst = Image.new("I", (w, h), 0) if masks else None
        self._cls_draw = ImageDraw.Draw(self.cls) if masks else None
        self._inst_draw = ImageDraw.Draw(self.inst) if masks else None

    def _masks(self, method: str, args, kwargs, cls, inst):
        if cls is not None and self._cls_draw is not None:
            getattr(self._cls_draw, method)(*args, fill=cls, **kwargs)
        if inst is not None and self._inst_draw is not None:
            getattr(self._inst_draw, method)(*args, fill=inst, **kwargs)

    def polygon(self, pts, fill, cls=None, inst=None):
        """Fill a polygon in the image and, with ``cls``/``inst``, in the class and instance
        masks."""
        pts = [tuple(map(float, p)) for p in pts]
        self.draw.polygon(pts, fill=tuple(int(c) for c in fill))
        self._masks("polygon", (pts,), {}, cls, inst)

    def ellipse(self, box, fill, cls=None, inst=None):
        """Fill an ellipse (bounding box ``box``) in the image and the masks."""
        box = [float(v) for v in box]
        self.draw.ellipse(box, fill=tuple(int(c) for c in fill))
        self._masks("ellipse", (box,), {}, cls, inst)

    def line(self, pts, fill, width: int, cls=None, inst=None):
        """Draw a polyline of ``width`` pixels in the image and the masks."""
        pts = [tuple(map(float, p)) for p in pts]
        self.draw.line(pts, fill=tuple(int(c) for c in fill), width=int(width), joint="curve")
        self._masks("line", (pts,), {"width": int(width), "joint": "curve"}, cls, inst)

    def paint(self, shape: str, geometry, texture: np.ndarray, cls=None, inst=None, width: int = 1):
        """Fill a polygon, ellipse or thick line with a texture (HxWx3 float or uint8) instead of
        a flat colour; the masks get ``cls`` / ``inst`` as with the flat shapes."""
        region = Image.new("L", self.size, 0)
        draw = ImageDraw.Draw(region)
        if shape == "polygon":
            geometry = [tuple(map(float, p)) for p in geometry]
            draw.polygon(geometry, fill=255)
            args, kwargs = (geometry,), {}
        elif shape == "ellipse":
            geometry = [float(v) for v in geometry]
            draw.ellipse(geometry, fill=255)
            args, kwargs = (geometry,), {}
        elif shape == "line":
            geometry = [tuple(map(float, p)) for p in geometry]
            draw.line(geometry, fill=255, width=int(width), joint="curve")
            args, kwargs = (geometry,), {"width": int(width), "joint": "curve"}
        else:
            raise ValueError(f"unknown shape {shape!r}")
        tex = Image.fromarray(np.clip(texture, 0, 255).astype(np.uint8), "RGB")
        self.image.paste(tex, (0, 0), region)
        self._masks(shape, args, kwargs, cls, inst)

    def to_arrays(self):
        """(image uint8 HxWx3, class mask uint8 or None, instance mask int32 or None)."""
        img = np.asarray(self.image)
        cls = np.asarray(self.cls) if self.cls is not None else None
        inst = np.asarray(self.inst, dtype=np.int32) if self.inst is not None else None
        return img, cls, inst


def rotated_rect(cx: float, cy: float, length: float, width: float, theta: float) -> np.ndarray:
    """Corners (4, 2) of a rectangle ``length`` along direction ``theta`` (radians)."""
    c, s = math.cos(theta), math.sin(theta)
    ux, uy = c * length / 2, s * length / 2
    vx, vy = -s * width / 2, c * width / 2
    return np.array(
        [
            [cx - ux - vx, cy - uy - vy],
            [cx + ux - vx, cy + uy - vy],
            [cx + ux + vx, cy + uy + vy],
            [cx - ux + vx, cy - uy + vy],
        ]
    )


def place(local: np.ndarray, cx: float, cy: float, theta: float, scale: float = 1.0) -> np.ndarray:
    """Move a shape drawn around (0, 0) with its long axis on x: scale, turn, then shift."""
    c, s = math.cos(theta), math.sin(theta)
    pts = np.asarray(local, dtype=float) * scale
    return np.stack([cx + pts[:, 0] * c - pts[:, 1] * s, cy + pts[:, 0] * s + pts[:, 1] * c], 1)


def smooth_field(rng: np.random.Generator, size: tuple[int, int], cells: int = 4) -> np.ndarray:
    """A smooth random field in [-1, 1] (bicubic upsampling of a coarse random grid)."""
    w, h = size
    coarse = rng.uniform(-1, 1, (cells, cells)).astype(np.float32)
    up = Image.fromarray(coarse, "F").resize((w, h), Image.BICUBIC)
    return np.clip(np.asarray(up), -1.5, 1.5)


def textured(
    rng: np.random.Generator,
    size: tuple[int, int],
    base,
    variation: float = 18.0,
    grain: float = 6.0,
    cells: int = 4,
) -> np.ndarray:
    """A background of colour ``base`` with low-frequency shading and fine grain (float HxWx3)."""
    w, h = size
    field = smooth_field(rng, size, cells)[..., None]
    tint = rng.normal(0, 0.25, 3)
    img = np.asarray(base, dtype=np.float32) + variation * field * (1 + tint)
    img = img + rng.normal(0, grain, (h, w, 1)).astype(np.float32)
    return img


def add_grain(
    image: np.ndarray, rng: np.random.Generator, sigma: float = 3.0, illumination: float = 10.0
) -> np.ndarray:
    """Sensor-like finish: a gentle illumination gradient and per-pixel noise (uint8 out)."""
    h, w = image.shape[:2]
    field = smooth_field(rng, (w, h), 3)[..., None]
    out = image.astype(np.float32) + illumination * field + rng.normal(0, sigma, image.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def jitter_colour(rng: np.random.Generator, colour, amount: float = 12.0):
    """A colour near ``colour`` (each channel moved by up to ``amount``)."""
    return tuple(int(np.clip(c + rng.uniform(-amount, amount), 0, 255)) for c in colour)
