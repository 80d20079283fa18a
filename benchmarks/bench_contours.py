"""The package's Suzuki-Abe tracer against cv2.findContours, in the same process.

Prints, for 1024x1024 maps with foreground = label > 0 (a random 6-class label map with a few
hundred components, and the real LoveDA masks where ../shared/realdata is present), the time
of ``rsclip_utils.contours.find_contours`` as a ratio to ``cv2.findContours``. Target: at most
50x (issue 3); a straightforward NumPy-indexing version measures about 155x here.

Reading: what makes the tracer fast is that NumPy finds the only places a border can start (the
0/1 changes of the original image), so Python never scans pixel by pixel; the border following
runs on a flat ``memoryview`` of the padded label image; LNBD is read from a NumPy slice of the
current row only when a border starts. On maps with few, long borders the fixed cost of padding
and finding the changes dominates.

    python benchmarks/bench_contours.py
"""

from __future__ import annotations

import os
import platform
import sys
import timeit
from pathlib import Path

import cv2
import numpy as np

from rsclip_utils import datasets as ds
from rsclip_utils.contours import find_contours
from rsclip_utils.paths import find_realdata

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers.labelmaps import random_label_map  # noqa: E402  (a test helper, not the package)

COMBOS = [
    ("LIST, NONE", cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE),
    ("TREE, SIMPLE", cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE),
    ("CCOMP, SIMPLE", cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE),
]


def best(fn, repeat: int) -> float:
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def maps() -> list[tuple[str, np.ndarray]]:
    label_map = random_label_map(1024, classes=6, components=300, rng=np.random.default_rng(0))
    out = [("random 6-class map, label > 0", (label_map > 0).astype(np.uint8))]
    real = find_realdata()
    if real is not None:
        for r in ds.read_real_samples(real)["LoveDA"][:1]:
            labels = ds.decode_mask(r.mask, "loveda").labels
            out.append((f"LoveDA {r.image_id}, label > 0", (labels > 0).astype(np.uint8)))
            out.append((f"LoveDA {r.image_id}, building", (labels == 2).astype(np.uint8)))
    return out


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; OpenCV {cv2.__version__}")
    print("| map | contours | mode | cv2.findContours | find_contours | ratio |")
    print("|---|---|---|---|---|---|")
    for name, img in maps():
        for label, mode, method in COMBOS:
            n = len(cv2.findContours(img, mode, method)[0])
            t_cv = best(lambda: cv2.findContours(img, mode, method), 20)  # noqa: B023
            t_py = best(lambda: find_contours(img, mode, method), 5)  # noqa: B023
            print(
                f"| {name} | {n} | {label} | {t_cv * 1e3:.2f} ms | {t_py * 1e3:.1f} ms | "
                f"{t_py / t_cv:.0f}x |"
            )


if __name__ == "__main__":
    main()
