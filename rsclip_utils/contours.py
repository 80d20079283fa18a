"""Suzuki-Abe border following (Suzuki & Abe, CVGIP 30(1), 1985), written to give exactly what
``cv2.findContours`` gives. Introduced in notebook 01; Mask-to-Box (notebook 02) uses it.

The algorithm in one paragraph. Pad the image with a frame of zeros and treat every non-zero
pixel as 1. Scan it row by row. A pixel starts an *outer* border when it is 1 and its left
neighbour is 0; a 0-pixel starts a *hole* border when its left neighbour is a (not yet
right-marked) foreground pixel, and the hole border then starts at that foreground pixel. Each
new border gets the next number NBD (2, 3, ...) and is followed around its component, 8-connected
for the foreground: every pixel it visits is marked NBD, or -NBD when the pixel's right-hand
neighbour was examined and found 0 (a "right edge"), which keeps the scan from starting the
same border twice. Its parent in the hierarchy comes from the border that marked the last
marked pixel the scan passed on this row (LNBD): same kind (outer/outer, hole/hole) -> that
border's parent, different kind -> that border itself.

The eight directions, x to the right and y down, are::

    3 2 1
    4 . 0        0: (1, 0)   1: (1, -1)   2: (0, -1)   3: (-1, -1)
    5 6 7        4: (-1, 0)  5: (-1, 1)   6: (0, 1)    7: (1, 1)

OpenCV's details that the output depends on, all reproduced here (its
``modules/imgproc/src/contours_new.cpp``): the first neighbour is searched clockwise starting
left of the pixel for an outer border and right of it for a hole; each later step searches
counter-clockwise from the direction after the one we came from; a border stops when it is back
at its start pixel heading for its first neighbour again; CHAIN_APPROX_SIMPLE keeps a point only
where the direction changes; a new border is *prepended* to its parent's children, and the
output is the tree walked in pre-order (so siblings come out newest first); hierarchy rows are
``[next, prev, first_child, parent]``.

OpenCV stores marks in 7-bit labels that wrap around and then finds the border behind a label
with a bounding-box search; here every border has its own integer label, which is what the
paper describes and gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RETR_EXTERNAL, RETR_LIST, RETR_CCOMP, RETR_TREE = 0, 1, 2, 3
CHAIN_APPROX_NONE, CHAIN_APPROX_SIMPLE = 1, 2
MODES = {
    RETR_EXTERNAL: "RETR_EXTERNAL",
    RETR_LIST: "RETR_LIST",
    RETR_CCOMP: "RETR_CCOMP",
    RETR_TREE: "RETR_TREE",
}
METHODS = {CHAIN_APPROX_NONE: "CHAIN_APPROX_NONE", CHAIN_APPROX_SIMPLE: "CHAIN_APPROX_SIMPLE"}

# (dx, dy) of the eight directions, counter-clockwise on screen starting to the right
DIRECTIONS = ((1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1))


def _check_input(image, mode: int, method: int) -> np.ndarray:
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {MODES} (RETR_FLOODFILL is not supported)")
    if method not in METHODS:
        raise ValueError(f"method {method!r} is not one of {METHODS}")
    image = np.asarray(image)
    if image.ndim != 2:
        raise ValueError(f"expected a 2-D single-channel image, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"expected an image of at least 1x1 pixels, got shape {image.shape}")
    if image.dtype == np.bool_:
        return image
    if image.dtype != np.uint8:
        raise ValueError(
            f"expected dtype uint8 or bool, got {image.dtype} (cv2.findContours "
            "reads int32 images as labels in RETR_CCOMP / RETR_FLOODFILL, "
            "which this re-implementation does not)"
        )
    return image


@dataclass(frozen=True)
class BorderStart:
    """A border begins: its index, number NBD, kind, start pixel (x, y), parent index (-1 for
    the frame) and the LNBD mark the parent was read from (0 for the frame)."""

    border: int
    nbd: int
    is_hole: bool
    x: int
    y: int
    parent: int
    lnbd: int


@dataclass(frozen=True)
class Step:
    """One move along a border: from ``pixel`` to ``next_pixel`` in ``direction`` (-1 for a
    single pixel), after which ``pixel`` holds ``mark`` (NBD, -NBD for a right edge, or the
    earlier border's mark, which a visit that is not a right edge leaves as it was)."""

    border: int
    pixel: tuple[int, int]
    next_pixel: tuple[int, int]
    direction: int
    mark: int


class _Border:
    """One traced border: outer or hole, its parent and children (newest first), its points."""

    __slots__ = ("is_hole", "parent", "children", "points")

    def __init__(self, is_hole: bool, parent: int):
        self.is_hole = is_hole
        self.parent = parent  # index into the border list, -1 for the frame
        self.children: list[int] = []
        self.points: list[int] = []


def trace_border(
    f, i0: int, is_hole: bool, nbd: int, deltas: tuple, keep_all: bool, steps: list | None = None
) -> list[int]:
    """Follow one border from flat index ``i0``, marking it with ``nbd`` / ``-nbd`` in ``f``.

    ``f`` is the padded label image as a flat, writable sequence of ints; ``deltas`` are the flat
    offsets of the eight directions. Returns the visited pixels (every one with ``keep_all``,
    else only those where the direction changes). With a ``steps`` list, every move is appended
    to it as ``(pixel, next_pixel, direction, mark)`` for the step-by-step pictures."""
    # 1. first neighbour, clockwise, starting from the left (outer) or the right (hole)
    s_end = 0 if is_hole else 4
    s = s_end
    while True:
        s = (s - 1) & 7
        i1 = i0 + deltas[s]
        if f[i1] != 0 or s == s_end:
            break
    if f[i1] == 0:  # a single isolated pixel
        f[i0] = -nbd
        if steps is not None:
            steps.append((i0, i0, -1, -nbd))
        return [i0]
    points = []
    i3 = i0
    prev_s = s ^ 4
    while True:
        # 2. the next border pixel: counter-clockwise, from the direction after the one we came from
        s_end = s
        while True:
            s += 1
            i4 = i3 + deltas[s & 7]
            if f[i4] != 0:
                break
        s &= 7
        # 3. mark: -nbd if the right-hand neighbour (direction 0) was examined and is 0
        if 0 < s <= s_end:
            f[i3] = -nbd
        elif f[i3] == 1:
            f[i3] = nbd
        if keep_all or s != prev_s:
            points.append(i3)
        if steps is not None:
            steps.append((i3, i4, s, f[i3]))
        prev_s = s
        # 4. stop when back at the start, about to take the first step again
        if i4 == i0 and i3 == i1:
            return points
        i3 = i4
        s = (s + 4) & 7


def find_contours(image, mode: int, method: int, history: list | None = None):
    """Contours and hierarchy of a 2-D uint8 (or bool) image, exactly as ``cv2.findContours``.

    Returns ``(contours, hierarchy)``: a tuple of ``(n, 1, 2)`` int32 arrays of (x, y) points and
    a ``(1, N, 4)`` int32 array of ``[next, prev, first_child, parent]`` (-1 for none); an image
    without foreground gives ``((), None)``. ``mode`` and ``method`` take OpenCV's values
    (``cv2.RETR_*``, ``cv2.CHAIN_APPROX_NONE`` / ``SIMPLE``). Non-zero pixels are foreground.

    With a ``history`` list, what the algorithm does is appended to it, in order, as
    :class:`BorderStart` and :class:`Step` events (image coordinates), for step-by-step pictures.
    """
    image = _check_input(image, mode, method)
    h, w = image.shape
    W = w + 2
    labels = np.zeros((h + 2, W), dtype=np.int32)
    labels[1:-1, 1:-1] = image != 0
    f = memoryview(labels).cast("B").cast("i")  # flat, writable, shares memory with `labels`
    deltas = tuple(dx + dy * W for dx, dy in DIRECTIONS)
    keep_all = method == CHAIN_APPROX_NONE
    hierarchical = mode in (RETR_CCOMP, RETR_TREE)

    # Starts can only occur where the original image changes between 0 and non-zero.
    fg = labels != 0
    change = fg[1:-1, 1:-1] != fg[1:-1, :-2]  # pixel x vs its left neighbour, x = 1..w
    rows, cols = np.nonzero(change)
    rows, cols = rows + 1, cols + 1

    borders: list[_Border] = []
    root_children: list[int] = []
    label_of_border: dict[int, int] = {}  # nbd -> border index
    nbd = 1
    row, last_start = -1, 0
    for y, x in zip(rows.tolist(), cols.tolist()):
        if y != row:
            row, last_start = y, 0
        i = y * W + x
        p, prev = f[i], f[i - 1]
        outer = prev == 0 and p == 1
        hole = p == 0 and prev >= 1
        if not (outer or hole):
            continue
        # LNBD: the last marked pixel the scan passed on this row since the last border start
        seg = labels[y, last_start + 1 : x]
        marked = np.flatnonzero((seg > 1) | (seg < 0))
        if marked.size:
            lnbd_value = int(seg[marked[-1]])
        elif last_start > 0:
            lnbd_value = f[y * W + last_start]
        else:
            lnbd_value = 0  # the frame
        if mode == RETR_EXTERNAL and (hole or lnbd_value > 0):
            continue  # holes, and outer borders inside holes, are not wanted
        if not hierarchical or (outer and mode == RETR_CCOMP) or lnbd_value == 0:
            parent = -1
        else:
            b = label_of_border[abs(lnbd_value)]
            parent = borders[b].parent if borders[b].is_hole == hole else b
        nbd += 1
        start = i - 1 if hole else i
        border = _Border(hole, parent)
        steps = [] if history is not None else None
        border.points = trace_border(f, start, hole, nbd, deltas, keep_all, steps)
        if history is not None:
            history.append(
                BorderStart(len(borders), nbd, hole, x - 1 - hole, y - 1, parent, lnbd_value)
            )
            history.extend(
                Step(len(borders), (a % W - 1, a // W - 1), (b % W - 1, b // W - 1), s, mark)
                for a, b, s, mark in steps
            )
        label_of_border[nbd] = len(borders)
        (borders[parent].children if parent >= 0 else root_children).insert(0, len(borders))
        borders.append(border)
        last_start = x - 1 if hole else x
    return _results(borders, root_children, W)


def _results(borders: list[_Border], root_children: list[int], W: int):
    """The borders in OpenCV's order (pre-order, newest sibling first) and their hierarchy."""
    if not borders:
        return (), None
    order: list[int] = []
    stack = list(reversed(root_children))
    while stack:
        b = stack.pop()
        order.append(b)
        stack.extend(reversed(borders[b].children))
    position = {b: k for k, b in enumerate(order)}
    hierarchy = np.full((1, len(order), 4), -1, dtype=np.int32)
    contours = []
    for k, b in enumerate(order):
        border = borders[b]
        siblings = borders[border.parent].children if border.parent >= 0 else root_children
        j = siblings.index(b)
        if j + 1 < len(siblings):
            hierarchy[0, k, 0] = position[siblings[j + 1]]
        if j > 0:
            hierarchy[0, k, 1] = position[siblings[j - 1]]
        if border.children:
            hierarchy[0, k, 2] = position[border.children[0]]
        if border.parent >= 0:
            hierarchy[0, k, 3] = position[border.parent]
        flat = np.asarray(border.points, dtype=np.int64)
        pts = np.stack([flat % W - 1, flat // W - 1], axis=1).astype(np.int32)
        contours.append(pts.reshape(-1, 1, 2))
    return tuple(contours), hierarchy


def replay(image, history: list):
    """The padded label image after each event of a :func:`find_contours` history, for pictures:
    yields ``(event, labels)`` with 1 for unvisited foreground and the marks so far. The frame is
    row/column 0 and -1; image pixel (x, y) is ``labels[y + 1, x + 1]``."""
    labels = np.zeros((image.shape[0] + 2, image.shape[1] + 2), dtype=np.int32)
    labels[1:-1, 1:-1] = np.asarray(image) != 0
    for event in history:
        if isinstance(event, Step):
            labels[event.pixel[1] + 1, event.pixel[0] + 1] = event.mark
        yield event, labels.copy()
