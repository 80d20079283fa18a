"""The contamination audit: recall on copies of real evaluation images, and false removals.

Evaluation images: the real AID and RSSCN7 samples in ``../shared/realdata`` (74 images).
Training side: every copy of each in ``rsclip_utils.copies.COPY_KINDS`` (flipped, rotated,
re-encoded at JPEG 50-95, resized 0.5x and 2x, shifted 1 px, cropped 2 %, brightened 5 %)
plus every other real image of the folder (the unrelated ones). Both go through
``dedup.dedup_manifest`` as a training manifest against the evaluation images. Baseline in the
same run: the paper's rule alone (``audit_distance=None``: distance <= 1 on the plain hash).
Evaluation files are hashed before and after: the audit only reads them.

Reading: the paper's rule misses every flipped or rotated copy and most shifted or cropped
ones; the audit (16 hashes per evaluation image: as it is and 2 % centre-cropped, in the 8 flips
and rotations, distance <= ``AUDIT_DISTANCE``) finds them, and removes no unrelated image.

    python benchmarks/bench_audit.py
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from rsclip_utils import dedup
from rsclip_utils.copies import COPY_KINDS
from rsclip_utils.images import open_rgb
from rsclip_utils.manifest import ManifestRow, write_manifest_rows
from rsclip_utils.paths import find_realdata

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp")


def real_images(realdata: Path) -> tuple[list[Path], list[Path]]:
    """The evaluation images (AID and RSSCN7 samples) and every other real image."""
    evaluation = sorted((realdata / "aid_scene_subset").rglob("*.jpg")) + sorted(
        (realdata / "rsscn7_subset").rglob("*.jpg"))
    others = [p for p in sorted(realdata.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES
              and p not in set(evaluation)]
    return evaluation, others


def measure(evaluation: list[Path], others: list[Path], folder: Path) -> dict:
    """Per copy kind: copies found by the paper's rule and by the audit; unrelated removed."""
    rows, kind_of = [], {}
    for k, path in enumerate(evaluation):
        image = open_rgb(path)
        for kind, make in COPY_KINDS.items():
            copy = folder / f"{k:03d}_{len(kind_of):05d}.png"
            make(image).save(copy)
            kind_of[str(copy)] = kind
            rows.append(ManifestRow(str(copy), "a copy .", "copies", copy.stem, "train"))
    for path in others:
        kind_of[str(path)] = "unrelated"
        rows.append(ManifestRow(str(path), "another image .", "others", path.stem, "train"))
    manifest = folder / "manifest.tsv"
    write_manifest_rows(manifest, rows)
    before = [hashlib.sha256(p.read_bytes()).hexdigest() for p in evaluation]
    out = {}
    for rule, distance in (("paper", None), ("audit", dedup.AUDIT_DISTANCE)):
        report = dedup.dedup_manifest(manifest, {"eval": [str(p) for p in evaluation]},
                                      folder / rule, workers=1, progress=False,
                                      audit_distance=distance)
        removed = Counter(kind_of[p["removed"]] for p in report.pairs
                          if p["reason"].startswith("contamination"))
        out[rule] = removed
    variants = dedup.phash_files(evaluation, workers=1, progress=False, variants=True).hashes
    plain = dedup.phash_files(others, workers=1, progress=False).hashes
    out["closest_unrelated"] = int(np.bitwise_count(plain[:, None] ^ variants.reshape(1, -1))
                                   .min()) if len(plain) else None
    after = [hashlib.sha256(p.read_bytes()).hexdigest() for p in evaluation]
    out["untouched"] = before == after
    out["kinds"] = Counter(kind_of.values())
    return out


def main() -> int:
    realdata = find_realdata()
    if realdata is None:
        print("../shared/realdata is absent (set RSCLIP_REALDATA): no real images to measure on")
        return 0
    evaluation, others = real_images(realdata)
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(evaluation, others, Path(tmp))
    kinds = result["kinds"]
    print(f"{len(evaluation)} real evaluation images (AID, RSSCN7), {kinds['unrelated']} other "
          f"real images; audit distance {dedup.AUDIT_DISTANCE}, paper's rule distance <= 1\n")
    print("| copy of an evaluation image | copies | found by the paper's rule | found by the "
          "audit |")
    print("|---|---|---|---|")
    for kind in COPY_KINDS:
        n = kinds[kind]
        print(f"| {kind} | {n} | {result['paper'][kind]} ({result['paper'][kind] / n:.1%}) | "
              f"{result['audit'][kind]} ({result['audit'][kind] / n:.1%}) |")
    print(f"| unrelated real images removed (should be 0) | {kinds['unrelated']} | "
          f"{result['paper']['unrelated']} | {result['audit']['unrelated']} |")
    print(f"\nclosest unrelated real image to any of the 16 hashes of an evaluation image: "
          f"{result['closest_unrelated']} bits (the audit removes at <= {dedup.AUDIT_DISTANCE})")
    print(f"evaluation files unchanged (SHA-256 before and after): {result['untouched']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
