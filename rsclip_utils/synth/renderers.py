"""Scene generators of the embedded datasets. Introduced in notebook 00.

Each scene class has its own ground texture, layout and objects (an airport has runways, an
apron and planes; a port has water, piers and ships; ...), so the scene class is visible at
64 px. ``render_scene(kind, rng, size)`` returns a :class:`Scene` with the image, the drawn
objects, the class and instance masks, and the facts captions are written from.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from .canvas import LANDCOVER, Canvas, add_grain, rotated_rect, textured
from .objects import DRAW, RADIUS, Placer, Thing, draw_tree

# Scene classes of the AID-like CLS set (AID's folder names): 16 of AID's 30, with the pairs
# AID confuses (three residential densities, industrial / parking, meadow / farmland / bare land).
SCENE_CLASSES = [
    "Airport",
    "BareLand",
    "BaseballField",
    "Beach",
    "DenseResidential",
    "Farmland",
    "Forest",
    "Industrial",
    "Meadow",
    "MediumResidential",
    "Parking",
    "Playground",
    "Port",
    "River",
    "SparseResidential",
    "StorageTanks",
]
# The EuroSAT-like set: EuroSAT's ten folder names, each drawn by the scene it looks like.
EUROSAT_CLASSES = {
    "AnnualCrop": "Farmland",
    "Forest": "Forest",
    "HerbaceousVegetation": "Shrubland",
    "Highway": "Highway",
    "Industrial": "Industrial",
    "Pasture": "Meadow",
    "PermanentCrop": "Orchard",
    "Residential": "DenseResidential",
    "River": "River",
    "SeaLake": "Lake",
}
# The UAV-like set: low-altitude views of eight scene kinds (folder name -> scene), in pairs a
# drone's-eye view confuses (crops / grass, parking / industry, town / village, river / road).
UAV_CLASSES = {
    "Farmland": "Farmland",
    "Grassland": "Meadow",
    "Highway": "Highway",
    "Industrial": "Industrial",
    "Parking": "Parking",
    "Residential": "MediumResidential",
    "River": "River",
    "Village": "SparseResidential",
}
# Object-rich scenes drawn for the DET and iSAID-style sets (DOTA and DIOR scenes: airports,
# harbours, parking lots, tank farms, sports grounds, towns, rivers, industry, roads).
DETECTION_SCENES = ["Airport", "Port", "Parking", "StorageTanks", "Sports", "DenseResidential",
                    "MediumResidential", "SparseResidential", "River", "Industrial", "Highway"]
# What the COUNT set counts, and the ground each is counted on.
COUNT_CATEGORIES = {
    "plane": "concrete",
    "ship": "water",
    "storage tank": "concrete",
    "small vehicle": "asphalt",
    "building": "grass",
}

GROUND = {
    "grass": (96, 128, 72),
    "dry_grass": (140, 142, 92),
    "soil": (158, 132, 98),
    "sand": (214, 200, 160),
    "water": (42, 82, 118),
    "asphalt": (92, 92, 96),
    "concrete": (172, 170, 164),
    "forest": (38, 76, 40),
    "crop_green": (92, 148, 62),
    "crop_yellow": (196, 180, 100),
    "crop_brown": (138, 108, 74),
    "urban": (150, 146, 138),
}


@dataclass
class Scene:
    """A rendered scene: image (uint8 HxWx3), objects, masks and the facts behind its captions."""

    kind: str
    image: np.ndarray
    things: list[Thing]
    cls_mask: np.ndarray | None
    inst_mask: np.ndarray | None
    facts: dict = field(default_factory=dict)

    def counts(self) -> Counter:
        """How many things of each kind the scene holds."""
        return Counter(t.kind for t in self.things)


class _Builder:
    def __init__(
        self,
        kind: str,
        rng,
        size: int,
        ground: str,
        masks: bool,
        base_class: int = 1,
        variation: float = 14.0,
        cells: int = 4,
    ):
        self.kind, self.rng, self.S = kind, rng, size
        self.c = Canvas(self.texture(ground, variation=variation, cells=cells), masks, base_class)
        self.placer = Placer((size, size), rng)
        self.things: list[Thing] = []
        self.facts: dict = {}

    def texture(self, ground: str, variation: float = 14.0, grain: float = 5.0, cells: int = 4):
        return textured(self.rng, (self.S, self.S), GROUND[ground], variation, grain, cells)

    def add(
        self,
        kind: str,
        n: int,
        size_range,
        theta=None,
        ok=None,
        region=None,
        gap=1.0,
        cls=None,
        tries: int = 60,
    ) -> int:
        """Place up to ``n`` objects of ``kind`` at free spots; returns how many fitted."""
        added = 0
        for _ in range(n):
            size = self.rng.uniform(*size_range)
            pos = self.placer.find(RADIUS[kind] * size, ok, region=region, gap=gap, tries=tries)
            if pos is None:
                continue
            th = (
                theta()
                if callable(theta)
                else (theta if theta is not None else self.rng.uniform(0, 2 * math.pi))
            )
            self.things.append(
                DRAW[kind](
                    self.c, self.rng, pos[0], pos[1], size, th, len(self.things) + 1, cls=cls
                )
            )
            added += 1
        return added

    def put(self, kind: str, cx, cy, size, theta, cls=None, along: float = 0.0, **kw) -> Thing:
        """Draw one object at a given spot (rows, grids) and mark the spot taken: a disc, or for
        long thin things (a jetty, a terminal) a row of discs of radius ``along``."""
        if along:
            for t in np.linspace(-0.5, 0.5, max(2, int(size / along))):
                self.placer.take(
                    cx + math.cos(theta) * t * size, cy + math.sin(theta) * t * size, along
                )
        else:
            self.placer.take(cx, cy, RADIUS[kind] * size)
        thing = DRAW[kind](
            self.c, self.rng, cx, cy, size, theta, len(self.things) + 1, cls=cls, **kw
        )
        self.things.append(thing)
        return thing

    def trees(self, n: int, size_range=(5, 9), ok=None, cls=None):
        for _ in range(n):
            s = self.rng.uniform(*size_range)
            pos = self.placer.find(s * 0.5, ok, tries=20, gap=-s * 0.3)
            if pos is not None:
                draw_tree(self.c, self.rng, pos[0], pos[1], s, cls=cls)

    def finish(self) -> Scene:
        img, cls, inst = self.c.to_arrays()
        img = add_grain(img, self.rng)
        return Scene(self.kind, img, self.things, cls, inst, self.facts)


def _inside_rect(x, y, cx, cy, length, width, theta, shrink=0.0) -> bool:
    c, s = math.cos(theta), math.sin(theta)
    u = (x - cx) * c + (y - cy) * s
    v = -(x - cx) * s + (y - cy) * c
    return abs(u) <= length / 2 - shrink and abs(v) <= width / 2 - shrink


def _dist_to_polyline(x, y, pts: np.ndarray) -> float:
    a, b = pts[:-1], pts[1:]
    ab = b - a
    t = np.clip(
        ((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / (ab**2).sum(1).clip(1e-9), 0, 1
    )
    px, py = a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]
    return float(np.sqrt((px - x) ** 2 + (py - y) ** 2).min())


def _dist_to_segments(x, y, segs: np.ndarray) -> float:
    """Distance from (x, y) to the nearest of many segments (K, 2, 2): the arithmetic of
    :func:`_dist_to_polyline` element by element, so the same numbers."""
    a, b = segs[:, 0], segs[:, 1]
    ab = b - a
    t = np.clip(
        ((x - a[:, 0]) * ab[:, 0] + (y - a[:, 1]) * ab[:, 1]) / (ab**2).sum(1).clip(1e-9), 0, 1
    )
    px, py = a[:, 0] + t * ab[:, 0], a[:, 1] + t * ab[:, 1]
    return float(np.sqrt((px - x) ** 2 + (py - y) ** 2).min())


def _orientation(theta: float) -> str:
    a = (math.degrees(theta) + 180) % 180
    if a < 22.5 or a >= 157.5:
        return "horizontal"
    if 67.5 <= a < 112.5:
        return "vertical"
    return "diagonal"


def _side_region(side: str, S: int, frac: float):
    """The polygon of one side of the image (``left`` ... ``bottom``) covering ``frac`` of it."""
    d = S * frac
    return {
        "left": [(0, 0), (d, 0), (d, S), (0, S)],
        "right": [(S - d, 0), (S, 0), (S, S), (S - d, S)],
        "top": [(0, 0), (S, 0), (S, d), (0, d)],
        "bottom": [(0, S - d), (S, S - d), (S, S), (0, S)],
    }[side]


def _on_side(x, y, side, S, frac) -> bool:
    d = S * frac
    return {"left": x < d, "right": x > S - d, "top": y < d, "bottom": y > S - d}[side]


def _area(S: int) -> float:
    return (S / 128) ** 2


# --- scene classes ---------------------------------------------------------------------------


def _airport(rng, S, masks):
    b = _Builder("Airport", rng, S, "dry_grass", masks)
    theta = float(rng.choice([0, math.pi / 2, math.pi / 4, -math.pi / 4])) + rng.normal(0, 0.05)
    off = rng.uniform(0.15, 0.3) * S * (1 if rng.random() < 0.5 else -1)
    c, s = math.cos(theta), math.sin(theta)
    rcx, rcy = S / 2 - s * off, S / 2 + c * off
    rw = rng.uniform(0.09, 0.12) * S
    b.c.paint("polygon", rotated_rect(rcx, rcy, 3 * S, rw, theta), b.texture("asphalt", 6, 3))
    b.c.line(
        [(rcx - c * 1.5 * S, rcy - s * 1.5 * S), (rcx + c * 1.5 * S, rcy + s * 1.5 * S)],
        (230, 230, 230),
        1,
    )
    side = -1 if off > 0 else 1  # the apron lies on the image-centre side of the runway
    apron_w = rng.uniform(0.38, 0.45) * S
    acx = rcx - s * side * (rw / 2 + apron_w / 2 + 3)
    acy = rcy + c * side * (rw / 2 + apron_w / 2 + 3)
    b.c.paint("polygon", rotated_rect(acx, acy, 3 * S, apron_w, theta), b.texture("concrete", 8, 4))
    terminal = rng.random() < 0.7
    if terminal:
        tx, ty = acx - s * side * apron_w * 0.4, acy + c * side * apron_w * 0.4
        length = S * rng.uniform(0.45, 0.6)
        b.put("building", tx, ty, length, theta, aspect=0.12, along=length * 0.08)
    on_apron = lambda x, y: _inside_rect(x, y, acx, acy, 3 * S, apron_w, theta, 7)  # noqa: E731
    n = int(rng.integers(2, 9) * _area(S) ** 0.8)
    b.add("plane", max(n, 1), (15, 23) if S <= 160 else (20, 30), ok=on_apron, tries=150)
    b.add("small vehicle", int(rng.integers(0, 4)), (6, 8), ok=on_apron)
    b.facts.update(runway=_orientation(theta), terminal=terminal)
    return b


def _port(rng, S, masks):
    b = _Builder("Port", rng, S, "concrete", masks)
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    frac = rng.uniform(0.45, 0.65)
    b.c.paint(
        "polygon",
        _side_region(side, S, frac),
        b.texture("water", 8, 3, cells=3),
        cls=LANDCOVER["water"],
    )
    shore = {"left": S * frac, "right": S - S * frac, "top": S * frac, "bottom": S - S * frac}[side]
    vertical = side in ("left", "right")
    into = -1 if side in ("left", "top") else 1  # the direction from the shore into the water
    n_piers = int(rng.integers(1, 4))
    pier_len = S * frac * rng.uniform(0.45, 0.7)
    for k in range(n_piers):
        along = S * (k + 1) / (n_piers + 1) + rng.uniform(-5, 5)
        mid = shore + into * pier_len / 2
        cx, cy = (mid, along) if vertical else (along, mid)
        theta = 0.0 if vertical else math.pi / 2
        b.put("harbor", cx, cy, pier_len, theta, along=4)
    n = int(rng.integers(1, 7) * _area(S) ** 0.8)
    b.add(
        "ship",
        max(n, 1),
        (14, 24) if S <= 160 else (14, 28),
        ok=lambda x, y: _on_side(x, y, side, S, frac * 0.9),
        tries=150,
        theta=lambda: (
            (0.0 if vertical else math.pi / 2) + rng.normal(0, 0.3) + math.pi * rng.integers(2)
        ),
    )
    b.add(
        "large vehicle",
        int(rng.integers(0, 4)),
        (11, 15),
        ok=lambda x, y: not _on_side(x, y, side, S, frac + 0.05),
    )
    b.facts.update(water_side=side)
    return b


def _parking(rng, S, masks):
    b = _Builder("Parking", rng, S, "asphalt", masks, variation=8)
    horizontal = rng.random() < 0.5
    car = rng.uniform(7, 9)
    tight = rng.random() < 0.2  # cars side by side, touching: one blob for Mask-to-Box
    pitch = car * (0.46 if tight else 0.75)
    row_gap = car * 2.6
    fill = rng.uniform(0.35, 0.95)
    n_rows = int((S - 8) // row_gap)
    for r in range(n_rows):
        y = 6 + row_gap * (r + 0.5)
        line_at = y - car * 0.7
        if horizontal:
            b.c.line([(2, line_at), (S - 2, line_at)], (205, 205, 200), 1)
        else:
            b.c.line([(line_at, 2), (line_at, S - 2)], (205, 205, 200), 1)
        for k in range(int((S - 8) // pitch)):
            x = 6 + pitch * (k + 0.5)
            if rng.random() < fill:
                cx, cy = (x, y) if horizontal else (y, x)
                theta = (
                    (math.pi / 2 if horizontal else 0.0)
                    + math.pi * rng.integers(2)
                    + rng.normal(0, 0.04)
                )
                if b.placer.free(cx, cy, car * 0.2, gap=-1):
                    b.put("small vehicle", cx, cy, car, theta, along=car * 0.2)
    b.add("large vehicle", int(rng.integers(0, 3)), (12, 16))
    b.facts.update(rows="horizontal" if horizontal else "vertical", fill=fill, tight=tight)
    return b


def _storage_tanks(rng, S, masks):
    b = _Builder("StorageTanks", rng, S, str(rng.choice(["concrete", "soil"])), masks)
    for _ in range(int(rng.integers(1, 3) * _area(S))):
        size = rng.uniform(11, 20)
        nx, ny = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        x0, y0 = rng.uniform(size, S - size * nx * 1.3), rng.uniform(size, S - size * ny * 1.3)
        for i in range(nx):
            for j in range(ny):
                cx, cy = x0 + i * size * 1.3, y0 + j * size * 1.3
                if b.placer.free(cx, cy, size * 0.5, gap=1):
                    b.put("storage tank", cx, cy, size, 0.0)
    b.add("storage tank", int(rng.integers(0, 4)), (9, 16))
    y = rng.uniform(0.2, 0.8) * S
    b.c.line([(0, y), (S, y + rng.uniform(-10, 10))], (120, 120, 115), 2)
    b.add("large vehicle", int(rng.integers(0, 3)), (11, 15))
    return b


def _playground(rng, S, masks):
    b = _Builder("Playground", rng, S, "grass", masks)
    size = rng.uniform(0.6, 0.8) * 128
    theta = float(rng.choice([0, math.pi / 2])) + rng.normal(0, 0.15)
    b.add(
        "ground track field",
        1 if S <= 160 else int(rng.integers(1, 3)),
        (size * 0.95, size),
        theta=theta,
    )
    b.add("building", int(rng.integers(1, 5)), (12, 22))
    b.trees(int(rng.integers(4, 20)))
    return b


def _baseball(rng, S, masks):
    b = _Builder("BaseballField", rng, S, "grass", masks)
    b.add("baseball diamond", int(rng.integers(1, 4)), (30, 44))
    b.trees(int(rng.integers(3, 15)))
    b.add("small vehicle", int(rng.integers(0, 5)), (6, 8))
    return b


def _residential(rng, S, masks, kind="DenseResidential", dense=True, n_range=None, ground=None):
    b = _Builder(kind, rng, S, ground or ("urban" if dense else "grass"), masks)
    theta = rng.normal(0, 0.1) + float(rng.choice([0, math.pi / 4])) * (rng.random() < 0.2)
    block = rng.uniform(30, 44)
    roads = []
    for k in range(-3, 4):
        off = k * block + rng.uniform(-2, 2)
        for ang in (theta, theta + math.pi / 2):
            ca, sa = math.cos(ang), math.sin(ang)
            cx, cy = S / 2 - sa * off, S / 2 + ca * off
            pts = [(cx - ca * 2 * S, cy - sa * 2 * S), (cx + ca * 2 * S, cy + sa * 2 * S)]
            b.c.paint("line", pts, b.texture("asphalt", 5, 3), cls=LANDCOVER["road"], width=5)
            roads.append(np.array(pts))
    grid = np.stack(roads)  # every road a segment: one vectorised distance for all of them
    road_ok = lambda x, y: _dist_to_segments(x, y, grid) > 5  # noqa: E731
    size_range = (8, 13) if dense else (10, 16)
    if n_range is None:
        n_range = (25, 45) if dense else (6, 14)
    n = int(rng.integers(*n_range) * _area(S))
    b.add(
        "building",
        n,
        size_range,
        theta=lambda: theta + math.pi / 2 * rng.integers(2),
        ok=road_ok,
        gap=1.5,
        cls=LANDCOVER["building"],
    )
    if not dense:
        b.add("swimming pool", int(rng.integers(0, 4) * _area(S)), (8, 12), ok=road_ok)
        if rng.random() < 0.5:
            b.add("roundabout", 1, (26, 34))
    b.trees(int(rng.integers(2, 10) * _area(S)), ok=road_ok)
    on_road = lambda x, y: _dist_to_segments(x, y, grid) < 1.5  # noqa: E731
    b.add(
        "small vehicle",
        int(rng.integers(0, 6) * _area(S)),
        (6, 7.5),
        ok=on_road,
        theta=lambda: theta + math.pi / 2 * rng.integers(4),
        gap=0.5,
    )
    return b


def _farmland(rng, S, masks):
    b = _Builder("Farmland", rng, S, "crop_brown", masks, base_class=LANDCOVER["agriculture"])
    theta = rng.uniform(0, math.pi)
    c, s = math.cos(theta), math.sin(theta)
    widths = rng.uniform(0.2, 0.45, 8) * S
    off = -S
    colours = []
    while off < S:
        w = float(widths[len(colours) % 8])
        crop = str(rng.choice(["crop_green", "crop_yellow", "crop_brown"]))
        colours.append(crop.split("_")[1])
        cx, cy = S / 2 - s * (off + w / 2), S / 2 + c * (off + w / 2)
        b.c.paint(
            "polygon",
            rotated_rect(cx, cy, 3 * S, w - 2, theta),
            b.texture(crop, 10, 4),
            cls=LANDCOVER["agriculture"],
        )
        stripes = int(w // 4)
        for k in range(stripes):
            o = off + 2 + k * 4
            px, py = S / 2 - s * o, S / 2 + c * o
            b.c.line(
                [(px - c * 2 * S, py - s * 2 * S), (px + c * 2 * S, py + s * 2 * S)],
                tuple(int(v * 0.85) for v in GROUND[crop]),
                1,
            )
        off += w
    b.facts.update(fields=len(colours), crops=sorted(set(colours)))
    return b


def _forest(rng, S, masks):
    b = _Builder("Forest", rng, S, "forest", masks, base_class=LANDCOVER["forest"], variation=10)
    path = rng.random() < 0.35
    if path:
        y = rng.uniform(0.2, 0.8) * S
        b.c.paint(
            "line",
            [(0, y), (S / 2, y + rng.uniform(-20, 20)), (S, y + rng.uniform(-20, 20))],
            b.texture("soil", 8, 4),
            cls=LANDCOVER["barren"],
            width=3,
        )
    for _ in range(int(rng.integers(150, 260) * _area(S))):
        s = rng.uniform(5, 11)
        draw_tree(b.c, rng, rng.uniform(0, S), rng.uniform(0, S), s, cls=LANDCOVER["forest"])
    b.facts.update(path=path)
    return b


def _river_polyline(rng, S, vertical: bool):
    t = np.linspace(-0.1, 1.1, 12) * S
    amp, freq, phase = rng.uniform(0.05, 0.2) * S, rng.uniform(0.5, 1.5), rng.uniform(0, 6.3)
    mid = rng.uniform(0.35, 0.65) * S
    w = mid + amp * np.sin(2 * math.pi * freq * t / S + phase)
    return np.stack([w, t], 1) if vertical else np.stack([t, w], 1)


def _river(rng, S, masks):
    b = _Builder("River", rng, S, str(rng.choice(["grass", "dry_grass"])), masks)
    vertical = rng.random() < 0.5
    pts = _river_polyline(rng, S, vertical)
    width = rng.uniform(0.12, 0.22) * S
    b.c.paint("line", pts, b.texture("sand", 6, 3), width=int(width + 6))
    b.c.paint(
        "line", pts, b.texture("water", 8, 3, cells=3), cls=LANDCOVER["water"], width=int(width)
    )
    bridge = rng.random() < 0.5
    if bridge:
        k = int(rng.integers(4, 8))
        (x0, y0), (x1, y1) = pts[k], pts[k + 1]
        along = math.atan2(y1 - y0, x1 - x0)
        size = width + 12
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        b.placer.take(cx, cy, size * 0.5)
        b.c.polygon(
            rotated_rect(cx, cy, size, 8, along + math.pi / 2),
            (150, 148, 140),
            inst=len(b.things) + 1,
        )
        b.c.line(
            [tuple(p) for p in rotated_rect(cx, cy, size, 8, along + math.pi / 2)[:2]],
            (90, 90, 90),
            1,
        )
        b.things.append(
            Thing(
                "bridge",
                rotated_rect(cx, cy, size, 8, along + math.pi / 2),
                len(b.things) + 1,
                "grey",
            )
        )
    on_water = lambda x, y: _dist_to_polyline(x, y, pts) < width / 2 - 4  # noqa: E731
    if rng.random() < 0.4:
        b.add(
            "ship",
            int(rng.integers(1, 3)),
            (12, 18),
            ok=on_water,
            theta=lambda: (
                math.atan2(pts[6, 1] - pts[5, 1], pts[6, 0] - pts[5, 0]) + math.pi * rng.integers(2)
            ),
        )
    off_water = lambda x, y: _dist_to_polyline(x, y, pts) > width / 2 + 4  # noqa: E731
    b.trees(int(rng.integers(5, 25) * _area(S)), ok=off_water)
    b.facts.update(river="vertical" if vertical else "horizontal", bridge=bridge)
    return b


def _beach(rng, S, masks):
    b = _Builder("Beach", rng, S, "sand", masks, variation=8)
    side = str(rng.choice(["left", "right", "top", "bottom"]))
    frac = rng.uniform(0.35, 0.6)
    vertical = side in ("left", "right")
    t = np.linspace(0, S, 14)
    d = S * frac + rng.uniform(-4, 4, t.size) + 5 * np.sin(t / S * 6 + rng.uniform(0, 6))
    edge = d if side in ("left", "top") else S - d
    line = np.stack([edge, t], 1) if vertical else np.stack([t, edge], 1)
    corner = {
        "left": [(0, S), (0, 0)],
        "right": [(S, S), (S, 0)],
        "top": [(S, 0), (0, 0)],
        "bottom": [(S, S), (0, S)],
    }[side]
    poly = [tuple(p) for p in line] + corner
    b.c.paint("polygon", poly, b.texture("water", 8, 3, cells=3), cls=LANDCOVER["water"])
    b.c.line([tuple(p) for p in line], (235, 240, 240), 3)
    n = int(rng.integers(0, 12))
    for _ in range(n):
        x, y = rng.uniform(0, S, 2)
        if not _on_side(x, y, side, S, frac + 0.08):
            r = rng.uniform(1.5, 3)
            b.c.ellipse(
                [x - r, y - r, x + r, y + r], tuple(int(v) for v in rng.integers(60, 250, 3))
            )
    b.facts.update(sea_side=side, umbrellas=n)
    return b


def _bare_land(rng, S, masks):
    b = _Builder(
        "BareLand",
        rng,
        S,
        str(rng.choice(["soil", "sand"])),
        masks,
        base_class=LANDCOVER["barren"],
        variation=22,
        cells=6,
    )
    tracks = int(rng.integers(0, 4))
    for _ in range(tracks):
        pts = [tuple(rng.uniform(0, S, 2)) for _ in range(3)]
        b.c.line(pts, (190, 170, 135), 2)
    for _ in range(int(rng.integers(0, 8))):
        x, y = rng.uniform(0, S, 2)
        r = rng.uniform(1.5, 3.5)
        b.c.ellipse([x - r, y - r, x + r, y + r], (95, 105, 70))
    b.facts.update(tracks=tracks)
    return b


def _sports(rng, S, masks):
    b = _Builder("Sports", rng, S, "grass", masks)
    if rng.random() < 0.5:
        b.add("ground track field", 1, (95, 110), theta=float(rng.choice([0, math.pi / 2])))
    elif rng.random() < 0.5:
        b.add("soccer field", 1, (50, 65), theta=float(rng.choice([0, math.pi / 2])))
    theta = float(rng.choice([0, math.pi / 2]))
    b.add("tennis court", int(rng.integers(1, 7) * _area(S) ** 0.5), (18, 24), theta=theta)
    b.add("basketball court", int(rng.integers(0, 4) * _area(S) ** 0.5), (16, 20), theta=theta)
    b.add("baseball diamond", int(rng.integers(0, 2)), (30, 40))
    b.add("swimming pool", int(rng.integers(0, 3)), (14, 20), theta=theta)
    b.trees(int(rng.integers(3, 12) * _area(S)))
    b.add("small vehicle", int(rng.integers(0, 6)), (6, 8))
    return b


SCENES = {
    "Airport": _airport,
    "BareLand": _bare_land,
    "BaseballField": _baseball,
    "Beach": _beach,
    "DenseResidential": _residential,
    "Farmland": _farmland,
    "Forest": _forest,
    "Parking": _parking,
    "Playground": _playground,
    "Port": _port,
    "River": _river,
    "StorageTanks": _storage_tanks,
    "Sports": _sports,
    "Residential": lambda rng, S, masks: _residential(rng, S, masks, "Residential", dense=False),
}


# --- scene classes added in generator v6: the pairs real scene sets confuse ------------------
# (dense / medium / sparse residential, industrial vs parking, meadow vs farmland, lake vs
# river vs beach, orchard vs forest, shrubland vs bare land; AID, NWPU-RESISC45 and EuroSAT
# name these classes, and their confusion matrices show them mixed up)


def _industrial(rng, S, masks):
    b = _Builder("Industrial", rng, S, str(rng.choice(["concrete", "urban", "asphalt"])), masks)
    theta = float(rng.choice([0, math.pi / 2])) + rng.normal(0, 0.05)
    b.add("building", int(rng.integers(3, 8) * _area(S)), (24, 44),
          theta=lambda: theta + math.pi / 2 * rng.integers(2), gap=3)
    b.add("large vehicle", int(rng.integers(1, 8) * _area(S) ** 0.5), (11, 15),
          theta=lambda: theta + math.pi / 2 * rng.integers(2))
    b.add("small vehicle", int(rng.integers(0, 12) * _area(S) ** 0.5), (6, 8),
          theta=lambda: theta + math.pi / 2 * rng.integers(2), gap=0.5)
    if rng.random() < 0.4:
        b.add("storage tank", int(rng.integers(1, 4)), (9, 14))
    b.trees(int(rng.integers(0, 6)))
    return b


def _meadow(rng, S, masks):
    b = _Builder("Meadow", rng, S, str(rng.choice(["grass", "crop_green", "dry_grass"])), masks,
                 variation=20, cells=int(rng.integers(3, 7)))
    if rng.random() < 0.3:
        pts = [tuple(rng.uniform(0, S, 2)) for _ in range(3)]
        b.c.line(pts, (150, 140, 100), 2)
    b.trees(int(rng.integers(0, 10) * _area(S)), size_range=(5, 10))
    return b


def _highway(rng, S, masks):
    b = _Builder("Highway", rng, S, str(rng.choice(["grass", "dry_grass", "crop_brown"])), masks)
    theta = rng.uniform(0, math.pi)
    c, s = math.cos(theta), math.sin(theta)
    off = rng.uniform(-0.15, 0.15) * S
    cx, cy = S / 2 - s * off, S / 2 + c * off
    width = rng.uniform(0.12, 0.2) * S
    pts = [(cx - c * 2 * S, cy - s * 2 * S), (cx + c * 2 * S, cy + s * 2 * S)]
    b.c.paint("line", pts, b.texture("asphalt", 5, 3), cls=LANDCOVER["road"], width=int(width))
    b.c.line(pts, (225, 225, 215), 1)
    on_road = lambda x, y: abs(-(x - cx) * s + (y - cy) * c) < width / 2 - 3  # noqa: E731
    b.add("small vehicle", int(rng.integers(2, 14) * _area(S) ** 0.5), (6, 7.5), ok=on_road,
          theta=lambda: theta + math.pi * rng.integers(2), gap=0.5)
    b.add("large vehicle", int(rng.integers(0, 4)), (11, 14), ok=on_road,
          theta=lambda: theta + math.pi * rng.integers(2))
    b.trees(int(rng.integers(0, 12) * _area(S)),
            ok=lambda x, y: abs(-(x - cx) * s + (y - cy) * c) > width / 2 + 3)
    b.facts.update(road=_orientation(theta))
    return b


def _lake(rng, S, masks):
    b = _Builder("Lake", rng, S, str(rng.choice(["grass", "forest", "sand"])), masks)
    cx, cy = rng.uniform(0.3, 0.7, 2) * S
    rx, ry = rng.uniform(0.35, 0.7, 2) * S
    ang = np.linspace(0, 2 * math.pi, 20, endpoint=False)
    radius = 1 + rng.uniform(-0.15, 0.15, ang.size)
    poly = [(cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)) for a, r in zip(ang, radius)]
    b.c.paint("polygon", poly, b.texture("water", 8, 3, cells=3), cls=LANDCOVER["water"])
    boats = 0
    if rng.random() < 0.3:
        inside = lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 < 0.5  # noqa: E731
        boats = b.add("ship", int(rng.integers(1, 3)), (8, 12), ok=inside)
    b.facts.update(boats=boats)
    return b


def _orchard(rng, S, masks):
    b = _Builder("Orchard", rng, S, str(rng.choice(["soil", "dry_grass", "crop_brown"])), masks,
                 base_class=LANDCOVER["agriculture"])
    theta = rng.uniform(0, math.pi)
    c, s = math.cos(theta), math.sin(theta)
    pitch = rng.uniform(6, 10)
    size = pitch * rng.uniform(0.55, 0.8)
    k = int(S / pitch) + 2
    for i in range(-k, k):
        for j in range(-k, k):
            x = S / 2 + (i * c - j * s) * pitch
            y = S / 2 + (i * s + j * c) * pitch
            if -size < x < S + size and -size < y < S + size and rng.random() < 0.92:
                draw_tree(b.c, rng, x, y, size, cls=LANDCOVER["agriculture"])
    return b


def _shrubland(rng, S, masks):
    b = _Builder("Shrubland", rng, S, str(rng.choice(["dry_grass", "soil", "grass"])), masks,
                 variation=18, cells=5)
    for _ in range(int(rng.integers(40, 120) * _area(S))):
        draw_tree(b.c, rng, rng.uniform(0, S), rng.uniform(0, S), rng.uniform(2.5, 5))
    return b


SCENES.update({
    "MediumResidential": lambda rng, S, masks: _residential(
        rng, S, masks, "MediumResidential", dense=False, n_range=(14, 24)),
    "SparseResidential": lambda rng, S, masks: _residential(
        rng, S, masks, "SparseResidential", dense=False, n_range=(3, 8)),
    "Industrial": _industrial,
    "Meadow": _meadow,
    "Highway": _highway,
    "Lake": _lake,
    "Orchard": _orchard,
    "Shrubland": _shrubland,
})


def render_scene(kind: str, rng: np.random.Generator, size: int, masks: bool = False) -> Scene:
    """Draw one scene of class ``kind`` (a key of ``SCENES``) at ``size`` x ``size`` pixels."""
    try:
        builder = SCENES[kind](rng, size, masks)
    except KeyError:
        raise ValueError(f"unknown scene {kind!r}; known: {sorted(SCENES)}") from None
    return builder.finish()


def _count_context(b: _Builder, category: str, rng) -> tuple[float, float, float, float]:
    """The scene around a COUNT image's objects (a runway beside the apron, a quay beside the
    water, a pipeline, parking lines, roads), as RemoteCount counts objects in real scenes;
    returns the region (x0, y0, x1, y1) the objects may use."""
    S = b.S
    if category == "plane":
        y = S * 0.88
        b.c.paint("polygon", [(0, y), (S, y), (S, S), (0, S)], b.texture("asphalt", 6, 3))
        b.c.line([(0, y + S * 0.06), (S, y + S * 0.06)], (230, 230, 230), 1)
        return (0, 0, S, y - 2)
    if category == "ship":
        x = S * 0.8
        b.c.paint("polygon", [(x, 0), (S, 0), (S, S), (x, S)], b.texture("concrete", 8, 4))
        return (0, 0, x - 2, S)
    if category == "storage tank":
        y = rng.uniform(0.3, 0.7) * S
        b.c.line([(0, y), (S, y + rng.uniform(-8, 8))], (120, 120, 115), 2)
        return (0, 0, S, S)
    if category == "small vehicle":
        for k in range(1, 6):
            b.c.line([(2, k * S / 6), (S - 2, k * S / 6)], (205, 205, 200), 1)
        return (0, 0, S, S)
    x = rng.uniform(0.3, 0.7) * S  # buildings: a road across the lawn
    b.c.paint("line", [(x, -5), (x + rng.uniform(-10, 10), S + 5)], b.texture("asphalt", 5, 3),
              width=6)
    b.placer.take(x, S / 2, 0)
    return (0, 0, S, S)


def render_count_scene(category: str, n: int, rng: np.random.Generator, size: int) -> Scene:
    """Exactly ``n`` objects of ``category`` in a simple scene of their usual kind (a COUNT
    image). Objects shrink step by step until all ``n`` fit, so the count is always exact."""
    scale = 1.0
    base = {
        "plane": (18, 26),
        "ship": (16, 26),
        "storage tank": (12, 18),
        "small vehicle": (8, 10),
        "building": (10, 16),
    }[category]
    for _attempt in range(12):
        b = _Builder("Count", rng, size, COUNT_CATEGORIES[category], masks=True)
        region = _count_context(b, category, rng)
        theta = float(rng.uniform(0, math.pi)) if category == "ship" else None
        got = b.add(category, n, (base[0] * scale, base[1] * scale), theta=theta, gap=2.0,
                    region=region, tries=120)
        if got == n:
            b.facts.update(category=category, count=n)
            return b.finish()
        scale *= 0.9
    raise RuntimeError(f"could not place {n} {category} objects in {size}px")


def _woods(b: _Builder, rng, clusters: int, radius, density: float, tree_size) -> None:
    """Clumps of trees (forest in the class mask): ``density`` trees per pixel of radius."""
    for _ in range(clusters):
        cx, cy, r = *rng.uniform(0, b.S, 2), rng.uniform(*radius)
        for _ in range(int(r * density)):
            a, d = rng.uniform(0, 2 * math.pi), rng.uniform(0, r)
            draw_tree(
                b.c,
                rng,
                cx + d * math.cos(a),
                cy + d * math.sin(a),
                rng.uniform(*tree_size),
                cls=LANDCOVER["forest"],
            )


def render_landcover(rng: np.random.Generator, size: int, domain: str) -> Scene:
    """A LoveDA-style land-cover tile (``urban`` or ``rural``); its class mask uses LANDCOVER."""
    S = size
    b = _Builder(
        f"landcover_{domain}", rng, S, "grass", masks=True, base_class=LANDCOVER["background"]
    )
    L = LANDCOVER
    if domain == "rural":
        for _ in range(int(rng.integers(2, 6))):
            crop = str(rng.choice(["crop_green", "crop_yellow", "crop_brown"]))
            cx, cy = rng.uniform(0, S, 2)
            b.c.paint(
                "polygon",
                rotated_rect(
                    cx, cy, rng.uniform(40, 110), rng.uniform(30, 80), rng.uniform(0, math.pi)
                ),
                b.texture(crop, 10, 4),
                cls=L["agriculture"],
            )
        _woods(b, rng, int(rng.integers(1, 4)), (15, 40), 1.5, (6, 11))
    else:
        _woods(b, rng, int(rng.integers(0, 3)), (10, 25), 1.0, (6, 10))
    if rng.random() < 0.6:
        pts = _river_polyline(rng, S, rng.random() < 0.5)
        b.c.paint(
            "line",
            pts,
            b.texture("water", 8, 3, cells=3),
            cls=L["water"],
            width=int(rng.uniform(10, 28)),
        )
    elif rng.random() < 0.5:
        cx, cy, r = *rng.uniform(0.2, 0.8, 2) * S, rng.uniform(12, 30)
        b.c.paint(
            "ellipse",
            [cx - r, cy - r * 0.7, cx + r, cy + r * 0.7],
            b.texture("water", 8, 3, cells=3),
            cls=L["water"],
        )
    for _ in range(int(rng.integers(0, 3))):
        cx, cy = rng.uniform(0, S, 2)
        b.c.paint(
            "polygon",
            rotated_rect(cx, cy, rng.uniform(20, 60), rng.uniform(15, 40), rng.uniform(0, math.pi)),
            b.texture("soil", 16, 5),
            cls=L["barren"],
        )
    n_roads = int(rng.integers(1, 3) if domain == "rural" else rng.integers(2, 5))
    for _ in range(n_roads):
        if rng.random() < 0.5:
            y0, y1 = rng.uniform(0, S, 2)
            pts = [(-5, y0), (S + 5, y1)]
        else:
            x0, x1 = rng.uniform(0, S, 2)
            pts = [(x0, -5), (x1, S + 5)]
        b.c.paint(
            "line", pts, b.texture("asphalt", 5, 3), cls=L["road"], width=int(rng.uniform(4, 8))
        )
    n_buildings = int(rng.integers(3, 12) if domain == "rural" else rng.integers(15, 40))
    b.add("building", int(n_buildings * _area(S)), (8, 16), cls=L["building"], gap=2)
    if rng.random() < 0.25:  # a no-data corner, as at LoveDA tile edges
        k = rng.uniform(0.15, 0.35) * S
        corner = [[(0, 0), (k, 0), (0, k)], [(S, S), (S - k, S), (S, S - k)]][int(rng.integers(2))]
        b.c.polygon(corner, (0, 0, 0), cls=0)
        b.facts["nodata"] = True
    scene = b.finish()
    if scene.facts.get("nodata"):
        scene.image[scene.cls_mask == 0] = 0  # no-data stays black after the grain
    return scene
