"""Random label maps for tests and benchmarks of contour tracing and Mask-to-Box.

A helper of the tests and benchmarks, not of the package. Blobs of several classes (ellipses,
rotated rectangles, polygons), some with holes and some with islands inside the holes, on a
background of 0.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw


def random_label_map(
    size: int | tuple[int, int],
    classes: int = 6,
    components: int = 300,
    rng: np.random.Generator | None = None,
    max_extent: float = 80.0,
    holes: float = 0.2,
) -> np.ndarray:
    """A (h, w) uint8 map with about ``components`` blobs of values 1..``classes``.

    ``holes`` is the share of blobs drawn as rings (a hole, sometimes with an island in it)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    h, w = (size, size) if isinstance(size, int) else size
    im = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(im)
    for _ in range(components):
        value = int(rng.integers(1, classes + 1))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(min(3.0, max_extent / 4), max(max_extent / 2, 1.0))
        shape = rng.integers(3)
        if shape == 0:
            e = rng.uniform(0.4, 1.0)
            box = [cx - r, cy - r * e, cx + r, cy + r * e]
            draw.ellipse(box, fill=value)
        else:
            n = 4 if shape == 1 else int(rng.integers(5, 9))
            theta = rng.uniform(0, math.pi)
            radii = np.full(n, r) if shape == 1 else rng.uniform(0.5, 1.0, n) * r
            angles = theta + np.linspace(0, 2 * math.pi, n, endpoint=False)
            draw.polygon(
                [(cx + q * math.cos(a), cy + q * math.sin(a)) for q, a in zip(radii, angles)],
                fill=value,
            )
        if rng.random() < holes and r > 6:
            ri = r * rng.uniform(0.3, 0.6)
            draw.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], fill=0)
            if rng.random() < 0.5 and ri > 4:
                rs = ri * 0.4
                draw.ellipse([cx - rs, cy - rs, cx + rs, cy + rs], fill=value)
    return np.asarray(im)
