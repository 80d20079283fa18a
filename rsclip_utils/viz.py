"""Pictures shared by the notebooks: image grids, records with their boxes, masks over images,
histograms. Introduced in notebook 00."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Polygon, Rectangle

from .datasets import load_rgb
from .datasets.segmentation import LabelMap
from .records import Record

PALETTE = plt.get_cmap("tab20").colors


def colour_for(label: str) -> tuple:
    """A stable colour per label (same label, same colour, in every figure)."""
    return PALETTE[sum(map(ord, label)) % len(PALETTE)]


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
    for o in record.objects:
        c = colour_for(o.label)
        x0, y0, x1, y1 = o.box
        ax.add_patch(
            Rectangle(
                (x0 - 0.5, y0 - 0.5), x1 - x0 + 1, y1 - y0 + 1, fill=False, edgecolor=c, linewidth=1
            )
        )
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
            ax.text(x0, y0 - 1, o.label, color=c, fontsize=fontsize, va="bottom")
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
