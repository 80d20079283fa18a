"""Pictures shared by the notebooks: image grids, records with their boxes, masks over images,
histograms. Introduced in notebook 00."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch, Polygon, Rectangle

from .datasets import load_rgb
from .datasets.segmentation import LabelMap
from .records import Record

PALETTE = plt.get_cmap("tab20").colors


# colour_for's colours: the ten strong tab10 colours first, then their light tab20 halves, then
# tab20b and tab20c: 60 in all
LABEL_PALETTE = (
    plt.get_cmap("tab10").colors
    + PALETTE[1::2]
    + plt.get_cmap("tab20b").colors
    + plt.get_cmap("tab20c").colors
)
_label_colours: dict[str, tuple] = {}


def colour_for(label: str) -> tuple:
    """One colour per label, handed out in the order labels are first drawn in this process: a
    label keeps its colour in every later figure, and different labels get different colours
    (up to the palette's 60; beyond that they repeat)."""
    if label not in _label_colours:
        _label_colours[label] = LABEL_PALETTE[len(_label_colours) % len(LABEL_PALETTE)]
    return _label_colours[label]


def image_grid(
    images: Sequence[np.ndarray],
    titles: Sequence[str] | None = None,
    ncols: int = 6,
    size: float = 2.2,
    fontsize: int = 8,
):
    """A grid of images with optional titles; returns the figure."""
    n = len(images)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for i, img in enumerate(images):
        ax = axes.flat[i]
        ax.imshow(img)
        if titles is not None:
            ax.set_title(titles[i], fontsize=fontsize)
    fig.tight_layout()
    return fig


def table(rows: Sequence[Sequence], header: Sequence[str]) -> None:
    """A small Markdown table in the notebook (plain text in a terminal)."""
    from IPython.display import Markdown, display

    lines = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    display(Markdown("\n".join(lines)))


def draw_boxes(ax, boxes, colour=None, linestyle: str = "-", linewidth: float = 1.0,
               offset: tuple[float, float] = (0, 0)) -> None:
    """(label, box) pairs as rectangles on ``ax``; a box ``[x0, y0, x1, y1]`` is inclusive in
    pixels, so its rectangle runs from pixel edge to pixel edge. ``colour``: one for all (None:
    :func:`colour_for` each label); ``offset``: subtracted, for a crop."""
    dx, dy = offset
    for label, (x0, y0, x1, y1) in boxes:
        ax.add_patch(Rectangle((x0 - dx - 0.5, y0 - dy - 0.5), x1 - x0 + 1, y1 - y0 + 1,
                               fill=False, linestyle=linestyle, linewidth=linewidth,
                               edgecolor=colour or colour_for(label)))


def draw_record(
    ax,
    record: Record,
    image: np.ndarray | None = None,
    polygons: bool = True,
    labels: bool = True,
    fontsize: int = 6,
):
    """The record's image with every object's box (and polygon, dashed) on ``ax``."""
    if image is None:
        image = load_rgb(record.image)
    ax.imshow(image)
    draw_boxes(ax, [(o.label, o.box) for o in record.objects])
    for o in record.objects:
        c = colour_for(o.label)
        x0, y0, x1, y1 = o.box
        if polygons and o.polygon:
            for ring in o.polygon:
                ax.add_patch(
                    Polygon(
                        np.array(ring).reshape(-1, 2),
                        closed=True,
                        fill=False,
                        edgecolor=c,
                        linewidth=0.8,
                        linestyle="--",
                    )
                )
        if labels:
            ax.text(x0, y0 - 1, o.label, color=c, fontsize=fontsize, va="bottom",
                    clip_on=True)  # a label at the top edge stays inside the image
    ax.set_xlim(-0.5, image.shape[1] - 0.5)
    ax.set_ylim(image.shape[0] - 0.5, -0.5)
    ax.axis("off")


def record_grid(
    records: Sequence[Record],
    ncols: int = 4,
    size: float = 3.2,
    title: Callable[[Record], str] | None = None,
    **kw,
):
    """Several records with their boxes; returns the figure."""
    n = len(records)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, r in zip(axes.flat, records):
        draw_record(ax, r, **kw)
        ax.set_title(title(r) if title else f"{r.image_id}: {len(r.objects)} objects", fontsize=8)
    fig.tight_layout()
    return fig


def mask_colours(label_map: LabelMap) -> np.ndarray:
    """An RGB picture of a label map: one colour per class, ignored values black."""
    rgb = np.zeros(label_map.labels.shape + (3,), dtype=np.float32)
    for value, name in label_map.classes.items():
        rgb[label_map.labels == value] = colour_for(name)
    return rgb


def mask_legend(ax, label_map: LabelMap, fontsize: int = 7) -> None:
    """A legend of the classes present in the label map."""
    present = label_map.present()
    handles = [Rectangle((0, 0), 1, 1, color=colour_for(n)) for n in present]
    ax.legend(
        handles,
        list(present),
        fontsize=fontsize,
        loc="lower left",
        bbox_to_anchor=(1.0, 0.0),
        frameon=False,
    )


def bar_counts(ax, counts: Counter, top: int = 20, title: str = "") -> None:
    """Horizontal bars of the most common labels."""
    items = counts.most_common(top)[::-1]
    ax.barh([k for k, _ in items], [v for _, v in items], color=[colour_for(k) for k, _ in items])
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)


def box_sizes(records: Sequence[Record]) -> np.ndarray:
    """sqrt(box area) of every object, in pixels."""
    return np.array(
        [
            np.sqrt((o.box[2] - o.box[0] + 1) * (o.box[3] - o.box[1] + 1))
            for r in records
            for o in r.objects
        ],
        dtype=float,
    )


ARROWS = {
    0: (1, 0),
    1: (1, -1),
    2: (0, -1),
    3: (-1, -1),
    4: (-1, 0),
    5: (-1, 1),
    6: (0, 1),
    7: (1, 1),
}


def label_grid(
    ax,
    labels: np.ndarray,
    pixel=None,
    direction: int | None = None,
    title: str = "",
    numbers: bool = True,
    fontsize: int = 7,
):
    """A small (padded) label image cell by cell: 0 white, 1 grey, +NBD in colour, -NBD in a
    darker shade, optionally the current pixel boxed and the step direction as an arrow.
    ``pixel`` is in image coordinates (the padding frame is at -1). Introduced in notebook 01."""
    h, w = labels.shape
    rgb = np.ones((h, w, 3))
    rgb[labels == 1] = (0.75, 0.75, 0.75)
    for v in np.unique(np.abs(labels[(labels != 0) & (labels != 1)])):
        c = np.array(PALETTE[int(v) % len(PALETTE)])
        rgb[labels == v] = c
        rgb[labels == -v] = c * 0.6
    ax.imshow(rgb, extent=(-1.5, w - 1.5, h - 1.5, -1.5), interpolation="nearest")
    ax.set_xticks(range(-1, w - 1))
    ax.set_yticks(range(-1, h - 1))
    ax.tick_params(labelsize=max(7, fontsize - 1), length=0)  # coordinates, readable
    ax.set_xticks(np.arange(-1.5, w - 1.5), minor=True)
    ax.set_yticks(np.arange(-1.5, h - 1.5), minor=True)
    ax.grid(which="minor", color="white", linewidth=0.5)
    if numbers:
        for (yy, xx), v in np.ndenumerate(labels):
            if v not in (0, 1):
                ax.text(xx - 1, yy - 1, str(v), ha="center", va="center", fontsize=fontsize)
    if pixel is not None:
        x, y = pixel
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
        if direction is not None and direction >= 0:
            dx, dy = ARROWS[direction]
            ax.annotate(
                "",
                xy=(x + 0.8 * dx, y + 0.8 * dy),
                xytext=(x, y),
                arrowprops={"arrowstyle": "->", "color": "red", "linewidth": 1.5},
            )
    ax.set_title(title, fontsize=9)


def mark_legend(target, labels: np.ndarray, fontsize: int = 7, **kw):
    """The key to :func:`label_grid`'s colours for the marks in ``labels``: grey for foreground
    not yet visited, each border number's colour for NBD and its darker shade for -NBD (a right
    edge). ``target`` is an axis or a figure. Introduced in notebook 01."""
    handles = [Patch(color=(0.75, 0.75, 0.75), label="1: foreground, not visited yet")]
    for v in np.unique(np.abs(labels[(labels != 0) & (labels != 1)])).tolist():
        c = np.array(PALETTE[int(v) % len(PALETTE)])
        handles += [Patch(color=c, label=f"{v}: border {v} (NBD)"),
                    Patch(color=c * 0.6, label=f"-{v}: border {v}, right edge (-NBD)")]
    kw = {"loc": "center left", "bbox_to_anchor": (1.0, 0.5), **kw}
    target.legend(handles=handles, fontsize=fontsize, **kw)


def hierarchy_tree(ax, hierarchy: np.ndarray, names: Sequence[str] | None = None):
    """The contour tree of an OpenCV-style hierarchy ``[next, prev, first_child, parent]``:
    one node per contour, children below their parent, siblings in output order."""
    h = hierarchy.reshape(-1, 4)
    n = len(h)
    depth = np.zeros(n, int)
    for i in range(n):
        j = i
        while h[j, 3] >= 0:
            depth[i] += 1
            j = h[j, 3]
    x_of, next_x = {}, [0.0]

    def place(i):
        child = h[i, 2]
        kids = []
        while child >= 0:
            kids.append(child)
            place(child)
            child = h[child, 0]
        if kids:
            x_of[i] = float(np.mean([x_of[k] for k in kids]))
        else:
            x_of[i] = next_x[0]
            next_x[0] += 1

    roots = [i for i in range(n) if h[i, 3] < 0 and h[i, 1] < 0]
    r = roots[0] if roots else None
    while r is not None and r >= 0:
        place(r)
        r = h[r, 0]
    for i in range(n):
        if h[i, 3] >= 0:
            ax.plot([x_of[i], x_of[h[i, 3]]], [-depth[i], -depth[h[i, 3]]], color="grey", zorder=1)
    for i in range(n):
        ax.scatter([x_of[i]], [-depth[i]], s=380, color=PALETTE[i % len(PALETTE)], zorder=2)
        ax.text(
            x_of[i],
            -depth[i],
            names[i] if names else str(i),
            ha="center",
            va="center",
            fontsize=7,
            zorder=3,
        )
    ax.set_ylim(-depth.max() - 0.6, 0.6)
    ax.set_xlim(-0.7, max(next_x[0] - 0.3, 0.7))
    ax.axis("off")


def draw_contours(
    ax, image: np.ndarray, contours, title: str = "", points: bool = False, cmap: str = "gray"
):
    """An image with contours (OpenCV layout, (n, 1, 2) arrays) drawn over it, each in a colour
    and numbered at its first point."""
    ax.imshow(image, cmap=cmap, interpolation="nearest")
    for k, c in enumerate(contours):
        pts = c.reshape(-1, 2)
        closed = np.vstack([pts, pts[:1]])
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(closed[:, 0], closed[:, 1], color=colour, linewidth=1.5)
        if points:
            ax.scatter(pts[:, 0], pts[:, 1], s=14, color=colour, zorder=3)
        ax.text(
            pts[0, 0],
            pts[0, 1],
            str(k),
            color="black",
            fontsize=7,
            bbox={"facecolor": colour, "edgecolor": "none", "pad": 1},
        )
    ax.set_title(title, fontsize=9)
    ax.axis("off")
