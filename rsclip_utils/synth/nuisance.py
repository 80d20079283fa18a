"""Nuisance variation of the embedded world: what changes between real remote-sensing images of
the same class. Introduced in notebook 00.

Real scene sets mix sensors, seasons, hours and altitudes: AID's images come from several
Google Earth sensors at 0.5 to 8 m ground sampling distance (GSD), EuroSAT's from Sentinel-2 at
10 m, UAV sets from a few tens of metres up. A class is then not one colour, and features that
only measure colour do not separate classes. Each :class:`Style` is one such source:

- photometric (every image of every set): sensor colour response (per-channel gain), season
  (vegetation browner or lusher), illumination (brightness, gamma), saturation, haze (a smooth
  veil towards a grey-white airlight), sensor noise;
- geometric (scene sets only, whose labels do not depend on position): GSD (``zoom`` > 1 sees
  more ground per pixel, < 1 less: drawn larger and reduced, or cut from the centre and
  enlarged), a rotation by a multiple of 90 degrees and a flip, and blur (optics, resampling).

Training sources keep their geometry, because their boxes, masks and captions ("on the left")
describe it; their photometric variation mirrors the many sensors of DET-10 and SEG-4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .canvas import smooth_field


@dataclass(frozen=True)
class Style:
    """One imaging source: ranges from which each image draws its conditions."""

    name: str
    zoom: tuple[float, float] = (1.0, 1.0)
    rotate: bool = False
    gain: float = 0.12
    season: tuple[float, float] = (-0.3, 0.6)
    brightness: tuple[float, float] = (0.8, 1.2)
    gamma: tuple[float, float] = (0.85, 1.2)
    saturation: tuple[float, float] = (0.65, 1.25)
    haze: tuple[float, float] = (0.0, 0.25)
    blur: tuple[float, float] = (0.0, 0.0)
    noise: float = 2.0


# The scene sets' photometric ranges are wide: real scene sets mix sensors whose colour balance
# differs by tens of percent, every season and hour, clear and hazy days (AID: Google Earth
# mosaics of several sensors; EuroSAT: Sentinel-2 over all of Europe and the year), so a class
# has no fixed colour and a random network's colour statistics do not name it.
_WIDE = dict(gain=0.25, season=(-0.5, 1.0), brightness=(0.65, 1.35), gamma=(0.7, 1.4),
             saturation=(0.35, 1.3))
STYLES = {
    # DET-10 / SEG-4 / RET-3 sources: many satellite and aerial sensors, every season
    "source": Style("source"),
    # AID-like: Google Earth mosaics, 0.5-8 m GSD (a factor of about 2 either way here)
    "aid": Style("aid", zoom=(0.75, 1.6), rotate=True, haze=(0.0, 0.35), **_WIDE),
    # EuroSAT-like: Sentinel-2 at 10 m, 64 px tiles: coarse, hazy, low contrast
    "eurosat": Style("eurosat", zoom=(1.5, 2.4), rotate=True, haze=(0.1, 0.45),
                     blur=(0.3, 0.8), **{**_WIDE, "saturation": (0.3, 1.0)}),
    # UAV-like: low altitude, fine GSD, little haze, consumer cameras' colour balance
    "uav": Style("uav", zoom=(0.45, 0.7), rotate=True, haze=(0.0, 0.1), noise=3.0,
                 **{**_WIDE, "saturation": (0.6, 1.5)}),
}


def draw_conditions(style: Style, rng: np.random.Generator) -> dict:
    """One image's conditions, drawn from ``style`` (recorded in the ground truth)."""
    u = lambda lo_hi: float(rng.uniform(*lo_hi))  # noqa: E731
    return {
        "zoom": u(style.zoom),
        "rotate": int(rng.integers(4)) if style.rotate else 0,
        "flip": bool(rng.random() < 0.5) if style.rotate else False,
        "gain": [float(g) for g in 1 + rng.uniform(-style.gain, style.gain, 3)],
        "season": u(style.season),
        "brightness": u(style.brightness),
        "gamma": u(style.gamma),
        "saturation": u(style.saturation),
        "haze": u(style.haze),
        "blur": u(style.blur),
        "noise_seed": int(rng.integers(2**31)),
    }


def photometric(image: np.ndarray, c: dict, noise: float) -> np.ndarray:
    """The colour of one image under conditions ``c`` (uint8 in, uint8 out): per channel the
    sensor gain, the illumination and its gamma (one look-up table each), then the season on
    vegetation, the saturation, the haze and the noise."""
    levels = np.arange(256, dtype=np.float32) / 255
    x = np.empty(image.shape, np.float32)
    for k in range(3):
        lut = np.clip(levels * np.float32(c["gain"][k] * c["brightness"]), 0, 1) ** c["gamma"]
        x[..., k] = lut.astype(np.float32)[image[..., k]]
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    vegetation = np.clip((g - np.maximum(r, b)) * 8, 0, 1)
    r += np.float32(c["season"] * 0.18) * vegetation  # autumn / dry season: greens turn brown
    g -= np.float32(c["season"] * 0.06) * vegetation
    grey = ((r + g + b) * np.float32(1 / 3))[..., None]
    x = grey + np.float32(c["saturation"]) * (x - grey)
    rng = np.random.default_rng(c["noise_seed"])
    if c["haze"] > 0:
        h, w = x.shape[:2]
        veil = (c["haze"] * (0.75 + 0.25 * smooth_field(rng, (w, h), 3)))[..., None]
        x = x * (1 - veil) + 0.82 * veil
    shot = rng.standard_normal((*x.shape[:2], 1), dtype=np.float32)  # grain, the same in R, G, B
    x = x * 255 + shot * np.float32(noise)
    return np.clip(x, 0, 255).astype(np.uint8)


def render_size(out: int, c: dict) -> int:
    """The size to draw a scene at so that, reduced or cut to ``out``, it has the drawn GSD."""
    return max(out, int(round(out * c["zoom"])))


def geometric(image: np.ndarray, c: dict, out: int) -> np.ndarray:
    """GSD, rotation, flip and blur of one scene-set image; returns ``out`` x ``out``."""
    im = Image.fromarray(image)
    if c["zoom"] < 1:  # finer GSD: the centre, enlarged
        side = max(8, int(round(im.width * c["zoom"])))
        x0 = (im.width - side) // 2
        im = im.crop((x0, x0, x0 + side, x0 + side))
    im = im.resize((out, out), Image.LANCZOS)
    if c["rotate"]:
        im = im.transpose((Image.ROTATE_90, Image.ROTATE_180, Image.ROTATE_270)[c["rotate"] - 1])
    if c["flip"]:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    if c["blur"] > 0:
        im = im.filter(ImageFilter.GaussianBlur(c["blur"]))
    return np.asarray(im)
