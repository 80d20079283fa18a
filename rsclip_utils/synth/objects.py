"""Top-down objects of the embedded datasets: each has its own shape, colours and texture, so a
tiny CLIP can tell them apart. Introduced in notebook 00.

Every ``draw_*`` paints one object on a :class:`~rsclip_utils.synth.canvas.Canvas` and returns a
:class:`Thing`: its kind, oriented box (the DOTA-style annotation) and instance id. Shapes are
drawn around (0, 0) with the long axis on x, then scaled, turned and moved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .canvas import Canvas, jitter_colour, place, rotated_rect

# colour words used in captions -> RGB
CAR_COLOURS = {
    "red": (190, 40, 35),
    "white": (235, 235, 232),
    "black": (35, 35, 40),
    "blue": (40, 70, 170),
    "silver": (170, 172, 178),
    "yellow": (220, 190, 40),
}
ROOF_COLOURS = {
    "red": (165, 70, 50),
    "grey": (120, 118, 115),
    "white": (215, 212, 205),
    "blue": (70, 95, 140),
    "brown": (125, 90, 60),
}
PLANE_COLOURS = {"white": (238, 238, 236), "grey": (175, 178, 182)}
SHIP_COLOURS = {"white": (232, 232, 228), "grey": (140, 140, 145), "red": (170, 50, 40)}
TANK_COLOURS = {"white": (228, 228, 222), "grey": (170, 170, 165)}
COURT_COLOURS = {"green": (60, 130, 75), "blue": (55, 95, 160), "red": (160, 75, 60)}


@dataclass
class Thing:
    """One countable object as drawn: kind, oriented box corners (4, 2), instance id, colour."""

    kind: str
    obb: np.ndarray
    inst: int
    colour: str | None = None
    attrs: dict = field(default_factory=dict)

    @property
    def centre(self) -> tuple[float, float]:
        """Centre of the oriented box (mean of its corners)."""
        c = self.obb.mean(axis=0)
        return float(c[0]), float(c[1])


def _pick(rng, table: dict):
    name = list(table)[rng.integers(len(table))]
    return name, table[name]


def _shadow(canvas: Canvas, pts: np.ndarray, offset: float, darkness=(45, 45, 45)):
    canvas.polygon(pts + offset, fill=darkness)


_PLANE = np.array(
    [
        (0.55, 0.0),
        (0.45, 0.06),
        (0.10, 0.06),
        (-0.08, 0.48),
        (-0.20, 0.48),
        (-0.10, 0.06),
        (-0.38, 0.06),
        (-0.48, 0.20),
        (-0.55, 0.20),
        (-0.50, 0.0),
        (-0.55, -0.20),
        (-0.48, -0.20),
        (-0.38, -0.06),
        (-0.10, -0.06),
        (-0.20, -0.48),
        (-0.08, -0.48),
        (0.10, -0.06),
        (0.45, -0.06),
    ]
)


def draw_plane(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """An airliner seen from above: fuselage, swept wings, tailplane; shadow to the lower right."""
    name, colour = _pick(rng, PLANE_COLOURS)
    pts = place(_PLANE, cx, cy, theta, size)
    _shadow(canvas, pts, size * 0.08, (60, 60, 62))
    canvas.polygon(pts, jitter_colour(rng, colour, 8), cls=cls, inst=inst)
    stripe = place(
        np.array([(0.4, 0.02), (-0.4, 0.02), (-0.4, -0.02), (0.4, -0.02)]), cx, cy, theta, size
    )
    canvas.polygon(stripe, (90, 110, 150))
    return Thing("plane", rotated_rect(cx, cy, 1.1 * size, 0.96 * size, theta), inst, name)


def draw_ship(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A hull with a pointed bow and a darker superstructure near the stern, with a pale wake."""
    name, colour = _pick(rng, SHIP_COLOURS)
    beam = rng.uniform(0.09, 0.13)
    hull = np.array([(0.5, 0), (0.3, beam), (-0.5, beam), (-0.5, -beam), (0.3, -beam)])
    wake = place(
        np.array([(-0.5, 0.05), (-0.95, 0.14), (-0.95, -0.14), (-0.5, -0.05)]), cx, cy, theta, size
    )
    canvas.polygon(wake, (150, 185, 205))
    pts = place(hull, cx, cy, theta, size)
    canvas.polygon(pts, jitter_colour(rng, colour, 10), cls=cls, inst=inst)
    cabin = place(
        np.array(
            [(-0.15, beam * 0.6), (-0.42, beam * 0.6), (-0.42, -beam * 0.6), (-0.15, -beam * 0.6)]
        ),
        cx,
        cy,
        theta,
        size,
    )
    canvas.polygon(cabin, (70, 75, 85))
    return Thing("ship", rotated_rect(cx, cy, size, 2 * beam * size, theta), inst, name)


def draw_storage_tank(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A round tank roof with a darker rim ring and a crescent shadow."""
    name, colour = _pick(rng, TANK_COLOURS)
    r = size / 2
    canvas.ellipse(
        [cx - r + r * 0.25, cy - r + r * 0.25, cx + r + r * 0.25, cy + r + r * 0.25], (55, 55, 55)
    )
    canvas.ellipse(
        [cx - r, cy - r, cx + r, cy + r], jitter_colour(rng, colour, 8), cls=cls, inst=inst
    )
    ri = r * 0.7
    canvas.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], jitter_colour(rng, colour, 8))
    canvas.ellipse([cx - r * 0.12, cy - r * 0.12, cx + r * 0.12, cy + r * 0.12], (120, 120, 118))
    return Thing("storage tank", rotated_rect(cx, cy, size, size, 0.0), inst, name)


def draw_small_vehicle(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A car: a coloured box with a dark windscreen band."""
    name, colour = _pick(rng, CAR_COLOURS)
    w = size * 0.48
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta), jitter_colour(rng, colour, 10), cls=cls, inst=inst
    )
    c, s = math.cos(theta), math.sin(theta)
    canvas.polygon(
        rotated_rect(cx + c * size * 0.18, cy + s * size * 0.18, size * 0.16, w * 0.8, theta),
        (30, 35, 45),
    )
    return Thing("small vehicle", rotated_rect(cx, cy, size, w, theta), inst, name)


def draw_large_vehicle(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A truck: a long pale trailer and a coloured cab."""
    name, colour = _pick(
        rng, {"white": (225, 225, 220), "yellow": (210, 180, 60), "blue": (60, 90, 160)}
    )
    w = size * 0.32
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta), jitter_colour(rng, colour, 8), cls=cls, inst=inst
    )
    c, s = math.cos(theta), math.sin(theta)
    canvas.polygon(
        rotated_rect(cx + c * size * 0.4, cy + s * size * 0.4, size * 0.2, w, theta), (150, 40, 40)
    )
    return Thing("large vehicle", rotated_rect(cx, cy, size, w, theta), inst, name)


def draw_building(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None, aspect=None) -> Thing:
    """A roof (red, grey, white, blue or brown) with a ridge line and a shadow."""
    name, colour = _pick(rng, ROOF_COLOURS)
    w = size * (aspect if aspect is not None else rng.uniform(0.5, 0.9))
    pts = rotated_rect(cx, cy, size, w, theta)
    _shadow(canvas, pts, max(1.5, size * 0.15), (40, 42, 40))
    canvas.polygon(pts, jitter_colour(rng, colour, 10), cls=cls, inst=inst)
    c, s = math.cos(theta), math.sin(theta)
    canvas.line(
        [(cx - c * size * 0.4, cy - s * size * 0.4), (cx + c * size * 0.4, cy + s * size * 0.4)],
        tuple(int(v * 0.8) for v in colour),
        max(1, int(size * 0.06)),
    )
    return Thing("building", pts, inst, name)


def _court_lines(canvas, cx, cy, size, w, theta, centre_circle=False):
    white = (235, 235, 235)
    pts = rotated_rect(cx, cy, size * 0.9, w * 0.85, theta)
    canvas.line([*map(tuple, pts), tuple(pts[0])], white, 1)
    c, s = math.cos(theta), math.sin(theta)
    half = w * 0.85 / 2
    canvas.line([(cx + s * half, cy - c * half), (cx - s * half, cy + c * half)], white, 1)
    if centre_circle:
        r = w * 0.18
        canvas.draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=white)


def draw_tennis_court(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A green, blue or red hard court with white lines and a net across the middle."""
    name, colour = _pick(rng, COURT_COLOURS)
    w = size * 0.5
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta), jitter_colour(rng, colour, 8), cls=cls, inst=inst
    )
    _court_lines(canvas, cx, cy, size, w, theta)
    return Thing("tennis court", rotated_rect(cx, cy, size, w, theta), inst, name)


def draw_basketball_court(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A tan or blue court with white outline, centre line and centre circle."""
    name, colour = _pick(rng, {"orange": (200, 130, 70), "blue": (70, 110, 170)})
    w = size * 0.56
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta), jitter_colour(rng, colour, 8), cls=cls, inst=inst
    )
    _court_lines(canvas, cx, cy, size, w, theta, centre_circle=True)
    return Thing("basketball court", rotated_rect(cx, cy, size, w, theta), inst, name)


def _stadium(cx, cy, length, width, theta, n=10):
    """A running-track outline: a rectangle with half-discs at both ends."""
    r = width / 2
    straight = length / 2 - r
    pts = []
    for k in range(n + 1):
        a = -math.pi / 2 + math.pi * k / n
        pts.append((straight + r * math.cos(a), r * math.sin(a)))
    for k in range(n + 1):
        a = math.pi / 2 + math.pi * k / n
        pts.append((-straight + r * math.cos(a), r * math.sin(a)))
    return place(np.array(pts), cx, cy, theta)


def draw_ground_track_field(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A red running track around a green pitch with white lines."""
    w = size * 0.52
    canvas.polygon(
        _stadium(cx, cy, size, w, theta), jitter_colour(rng, (175, 75, 60), 10), cls=cls, inst=inst
    )
    canvas.polygon(
        _stadium(cx, cy, size * 0.78, w * 0.62, theta), jitter_colour(rng, (70, 140, 70), 8)
    )
    _court_lines(canvas, cx, cy, size * 0.55, w * 0.6, theta)
    return Thing("ground track field", rotated_rect(cx, cy, size, w, theta), inst, "red")


def draw_soccer_field(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A striped green pitch with white outline, halfway line and centre circle."""
    w = size * 0.64
    base = jitter_colour(rng, (75, 150, 70), 8)
    canvas.polygon(rotated_rect(cx, cy, size, w, theta), base, cls=cls, inst=inst)
    c, s = math.cos(theta), math.sin(theta)
    for k in range(-3, 4, 2):
        off = k * size / 8
        canvas.polygon(
            rotated_rect(cx + c * off, cy + s * off, size / 8, w, theta),
            tuple(int(v * 0.88) for v in base),
        )
    _court_lines(canvas, cx, cy, size, w, theta, centre_circle=True)
    return Thing("soccer field", rotated_rect(cx, cy, size, w, theta), inst, "green")


def draw_baseball_diamond(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A quarter-disc of sand with a grass infield square and white bases."""
    r = size
    n = 12
    fan = [(0.0, 0.0)] + [
        (r * math.cos(a), r * math.sin(a)) for a in np.linspace(-math.pi / 4, math.pi / 4, n)
    ]
    # local frame: home plate at (-r/2, 0), the fan opens along +x
    local = np.array(fan) - np.array([r / 2, 0])
    pts = place(local, cx, cy, theta)
    canvas.polygon(pts, jitter_colour(rng, (196, 160, 112), 10), cls=cls, inst=inst)
    d = r * 0.32
    infield = place(
        np.array([(0, 0), (d, d), (2 * d, 0), (d, -d)]) * 0.7 - np.array([r / 2 - 0.12 * r, 0]),
        cx,
        cy,
        theta,
    )
    canvas.polygon(infield, jitter_colour(rng, (80, 150, 75), 8))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    obb = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    return Thing("baseball diamond", obb, inst, "brown")


def draw_swimming_pool(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A turquoise pool with a pale rim."""
    w = size * 0.5
    canvas.polygon(rotated_rect(cx, cy, size * 1.15, w * 1.3, theta), (225, 220, 210))
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta),
        jitter_colour(rng, (60, 185, 215), 10),
        cls=cls,
        inst=inst,
    )
    return Thing("swimming pool", rotated_rect(cx, cy, size, w, theta), inst, "blue")


def draw_roundabout(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A grey ring road around a green island."""
    r = size / 2
    canvas.ellipse(
        [cx - r, cy - r, cx + r, cy + r], jitter_colour(rng, (105, 105, 108), 6), cls=cls, inst=inst
    )
    ri = r * 0.55
    canvas.ellipse([cx - ri, cy - ri, cx + ri, cy + ri], jitter_colour(rng, (80, 140, 70), 8))
    return Thing("roundabout", rotated_rect(cx, cy, size, size, 0.0), inst, "grey")


def draw_harbor(canvas: Canvas, rng, cx, cy, size, theta, inst, cls=None) -> Thing:
    """A pier: a long concrete jetty (``size`` long) with a row of dark bollards."""
    w = rng.uniform(5, 8)
    canvas.polygon(
        rotated_rect(cx, cy, size, w, theta),
        jitter_colour(rng, (185, 182, 172), 8),
        cls=cls,
        inst=inst,
    )
    c, s = math.cos(theta), math.sin(theta)
    for t in np.linspace(-0.4, 0.4, 5):
        x, y = cx + c * t * size, cy + s * t * size
        canvas.draw.point([(x, y)], fill=(60, 60, 60))
    return Thing("harbor", rotated_rect(cx, cy, size, w, theta), inst, "grey")


def draw_tree(canvas: Canvas, rng, cx, cy, size, cls=None):
    """A tree crown with a shadow (not an annotated object)."""
    r = size / 2
    canvas.ellipse(
        [cx - r + r * 0.4, cy - r + r * 0.4, cx + r + r * 0.4, cy + r + r * 0.4], (30, 45, 28)
    )
    canvas.ellipse([cx - r, cy - r, cx + r, cy + r], jitter_colour(rng, (45, 95, 45), 14), cls=cls)


DRAW = {
    "plane": draw_plane,
    "ship": draw_ship,
    "storage tank": draw_storage_tank,
    "small vehicle": draw_small_vehicle,
    "large vehicle": draw_large_vehicle,
    "building": draw_building,
    "tennis court": draw_tennis_court,
    "basketball court": draw_basketball_court,
    "ground track field": draw_ground_track_field,
    "soccer field": draw_soccer_field,
    "baseball diamond": draw_baseball_diamond,
    "swimming pool": draw_swimming_pool,
    "roundabout": draw_roundabout,
    "harbor": draw_harbor,
}

# Half the diagonal of each kind's footprint per unit of size: used to keep objects apart.
RADIUS = {
    "plane": 0.75,
    "ship": 0.55,
    "storage tank": 0.75,
    "small vehicle": 0.56,
    "large vehicle": 0.53,
    "building": 0.7,
    "tennis court": 0.57,
    "basketball court": 0.58,
    "ground track field": 0.57,
    "soccer field": 0.6,
    "baseball diamond": 0.75,
    "swimming pool": 0.65,
    "roundabout": 0.72,
    "harbor": 0.1,
}


class Placer:
    """Finds free spots for objects: rejection sampling against the discs already taken
    (NumPy over the taken discs once there are many: the same IEEE arithmetic, the same
    answers, faster for the 400 cars of a large parking lot)."""

    def __init__(self, size: tuple[int, int], rng, margin: float = 2.0):
        self.w, self.h = size
        self.rng = rng
        self.margin = margin
        self.taken: list[tuple[float, float, float]] = []
        self._array = np.zeros((0, 3))

    def free(self, cx, cy, r, gap=1.0) -> bool:
        """Whether a disc of radius ``r`` at (cx, cy) fits inside the margins without
        overlapping a taken one."""
        if cx - r < self.margin or cy - r < self.margin:
            return False
        if cx + r > self.w - 1 - self.margin or cy + r > self.h - 1 - self.margin:
            return False
        if len(self.taken) < 32:
            return all((cx - x) ** 2 + (cy - y) ** 2 >= (r + q + gap) ** 2
                       for x, y, q in self.taken)
        if len(self._array) != len(self.taken):
            self._array = np.asarray(self.taken, dtype=float)
        x, y, q = self._array.T
        return bool(((cx - x) ** 2 + (cy - y) ** 2 >= (r + q + gap) ** 2).all())

    def take(self, cx, cy, r):
        """Mark a disc as occupied."""
        self.taken.append((cx, cy, r))

    def find(self, r, ok=None, tries: int = 60, gap: float = 1.0, region=None):
        """A free centre for a disc of radius ``r`` (inside ``region`` = (x0, y0, x1, y1) and
        accepted by ``ok(cx, cy)``), or None after ``tries`` attempts."""
        x0, y0, x1, y1 = region or (0, 0, self.w, self.h)
        for _ in range(tries):
            cx, cy = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            if self.free(cx, cy, r, gap) and (ok is None or ok(cx, cy)):
                self.take(cx, cy, r)
                return cx, cy
        return None
