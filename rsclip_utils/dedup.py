"""p-Hash de-duplication: the hash, the paper's segment dictionaries, duplicate groups, and the
clean-up of the training manifest. Introduced in notebook 04.

RemoteCLIP (section III-B3) computes a p-Hash per image, splits each hash into segments, keeps one
dictionary per segment from segment value to images, compares the images that share a bucket by
Hamming distance, and calls a pair a duplicate when the distance is "less than the threshold of
2". The pigeonhole principle makes this exact: two hashes that differ in at most ``d`` bits
differ in at most ``d`` segments, so with more than ``d`` segments at least one segment is equal
and the pair shares a bucket.

- :func:`phash` is bit-identical to ``imagehash.phash`` (grey, 32x32 Lanczos, 2-D DCT-II with
  ``scipy.fftpack``, the 8x8 low frequencies against their median; first bit = most significant).
  :func:`phash_files` hashes files in worker processes with one batched DCT per chunk.
- :func:`find_duplicate_pairs` returns exactly the pairs at distance <= ``max_distance``. By
  default it merges the ``segments`` into ``max_distance + 1`` keys of consecutive segments:
  the pigeonhole guarantee still holds (``d`` differences leave one key untouched) and far fewer
  unrelated hashes share a bucket (4 x 16-bit buckets hold ~15 random hashes each at a million
  hashes, 2 x 32-bit ones almost none). ``merge=False`` keeps the paper's one dictionary per
  segment; both give the same pairs.
- :func:`duplicate_groups` collapses identical hashes first (flat tiles and no-data images
  often share one hash), so a group of 100,000 identical hashes costs what one hash costs.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import scipy.fftpack
from PIL import Image

from .atomic import write_json
from .images import DEEP_MODES, open_image, to_uint8
from .manifest import images, read_manifest, select_rows, write_manifest_rows
from .paths import portable, resolved, run_folder_of
from .progress import tqdm

HASH_SIZE = 8
IMG_SIZE = 32  # hash_size * highfreq_factor (4), as imagehash
_BIT_WEIGHTS = (np.uint64(1) << np.arange(63, -1, -1, dtype=np.uint64))


def gray32(image, fast: bool = False) -> np.ndarray:
    """The 32x32 grey image p-Hash reads (a path, a PIL image or an array). ``fast`` lets JPEG
    decode at a reduced size (PIL ``draft``), which is quicker but not bit-identical."""
    if isinstance(image, (str, os.PathLike)):
        if not fast:  # the one reader of every stage (deep images stretched, bad files named)
            return gray32(open_image(image))
        with Image.open(image) as im:
            im.draft("L", (IMG_SIZE * 2, IMG_SIZE * 2))
            return gray32(open_image(image) if im.mode in DEEP_MODES else im)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(to_uint8(image))
    if image.mode in DEEP_MODES:  # stretched to 8 bits, as every stage reads it (images.py)
        image = Image.fromarray(to_uint8(np.asarray(image)))
    small = image.convert("L").resize((IMG_SIZE, IMG_SIZE), Image.Resampling.LANCZOS)
    return np.asarray(small)


def hashes_from_gray(stack: np.ndarray) -> np.ndarray:
    """p-Hashes (uint64) of an (N, 32, 32) stack of grey images, as imagehash computes them one
    by one (the DCT runs once over the whole stack; its values are the same)."""
    dct = scipy.fftpack.dct(scipy.fftpack.dct(stack, axis=1), axis=2)
    low = dct[:, :HASH_SIZE, :HASH_SIZE].reshape(len(stack), -1)
    bits = low > np.median(low, axis=1, keepdims=True)
    return (bits.astype(np.uint64) * _BIT_WEIGHTS).sum(axis=1, dtype=np.uint64)


def phash(image) -> int:
    """The 64-bit p-Hash of one image (path, PIL image or array) as an int; equal to
    ``int(str(imagehash.phash(image)), 16)``."""
    return int(hashes_from_gray(gray32(image)[None].astype(np.uint8))[0])


def hamming(a, b) -> np.ndarray | int:
    """Number of differing bits between 64-bit hashes (arrays broadcast)."""
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    out = np.bitwise_count(x)
    return int(out) if out.ndim == 0 else out


@dataclass
class HashResult:
    """Hashes of files, in input order; ``ok`` is False where a file could not be read, and
    ``errors`` says why (path, message)."""

    paths: list[str]
    hashes: np.ndarray
    ok: np.ndarray
    errors: list[tuple[str, str]] = field(default_factory=list)


# The audit of evaluation images (beyond the paper): every evaluation image is hashed as it is
# and as its 2 % centre crop, each in the eight flips and 90-degree rotations (training applies
# flips and rotations, so such a copy of a test image *is* the test image), and a training image
# within AUDIT_DISTANCE of any of the 16 is contamination. The distance was chosen from copies
# of the 74 real AID and RSSCN7 samples (benchmarks/bench_audit.py; notebook 04 shows the sweep):
# the smallest at which flipped, rotated, re-encoded (JPEG 50-95), resized (0.5x, 2x), 1-px
# shifted, 2 %-cropped and 5 %-brightened copies are all found at >= 99 % (at 6, one JPEG-50
# copy of 74 was missed), with the closest unrelated real image 14 bits away.
AUDIT_DISTANCE = 8
AUDIT_CROP = 0.02
_D8 = (lambda a: a, np.fliplr, np.flipud, lambda a: np.rot90(a, 1), lambda a: np.rot90(a, 2),
       lambda a: np.rot90(a, 3), np.transpose, lambda a: np.rot90(np.fliplr(a)))
AUDIT_VARIANTS = 2 * len(_D8)


def audit_grays(image) -> np.ndarray:
    """The (16, 32, 32) grey images the audit hashes for one evaluation image: the image and its
    2 % centre crop, each in the eight flips and 90-degree rotations."""
    im = open_image(image) if isinstance(image, (str, os.PathLike)) else image
    w, h = im.size
    dx, dy = round(AUDIT_CROP * w), round(AUDIT_CROP * h)
    crop = im.crop((dx, dy, w - dx, h - dy)) if w - 2 * dx > 0 and h - 2 * dy > 0 else im
    return np.stack([np.ascontiguousarray(f(g)) for g in (gray32(im), gray32(crop))
                     for f in _D8])


def _hash_chunk(args) -> tuple[np.ndarray, np.ndarray, list]:
    paths, fast, variants = args
    grays, ok, errors = [], np.zeros(len(paths), bool), []
    for i, p in enumerate(paths):
        try:
            grays.append(audit_grays(p) if variants else gray32(p, fast)[None])
            ok[i] = True
        except Exception as e:  # noqa: BLE001 - any decoder failure: list it, go on
            errors.append((str(p), f"{type(e).__name__}: {e}"))
    width = AUDIT_VARIANTS if variants else 1
    hashes = np.zeros((len(paths), width), np.uint64)
    if grays:
        stack = np.concatenate(grays)
        hashes[ok] = hashes_from_gray(stack).reshape(-1, width)
    return (hashes if variants else hashes[:, 0]), ok, errors


def phash_files(paths: Sequence[str | os.PathLike], workers: int | None = None,
                chunk: int = 256, fast: bool = False, progress: bool = True,
                variants: bool = False) -> HashResult:
    """p-Hashes of many files: chunks in worker processes, one batched DCT per chunk.
    Unreadable files are listed in the result, not fatal. With ``variants`` each file gets the
    audit's 16 hashes (:func:`audit_grays`), an (n, 16) array."""
    paths = [str(p) for p in paths]
    chunks = [(paths[i:i + chunk], fast, variants) for i in range(0, len(paths), chunk)]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    bar = tqdm(total=len(paths), desc="p-Hash", unit="img", disable=not progress)
    results = []
    if workers > 1 and len(chunks) > 1:
        with get_context("spawn").Pool(workers) as pool:
            for res in pool.imap(_hash_chunk, chunks):
                results.append(res)
                bar.update(len(res[1]))
    else:
        for c in chunks:
            results.append(_hash_chunk(c))
            bar.update(len(c[0]))
    bar.close()
    if not results:
        shape = (0, AUDIT_VARIANTS) if variants else (0,)
        return HashResult(paths, np.zeros(shape, np.uint64), np.zeros(0, bool))
    return HashResult(paths, np.concatenate([r[0] for r in results]),
                      np.concatenate([r[1] for r in results]), [e for r in results for e in r[2]])


# --- the segment index -------------------------------------------------------------------------

def _check(hashes, max_distance: int, segments: int) -> np.ndarray:
    h = np.asarray(hashes, dtype=np.uint64).ravel()
    if not 64 % segments == 0 or segments < 1:
        raise ValueError(f"segments must divide 64 (1, 2, 4, 8, ...), got {segments}")
    if segments <= max_distance:
        raise ValueError(f"{segments} segments cannot find every pair within distance "
                         f"{max_distance}: the pigeonhole guarantee needs segments > max_distance")
    if max_distance < 0:
        raise ValueError(f"max_distance must be >= 0, got {max_distance}")
    return h


def key_ranges(segments: int, max_distance: int, merge: bool = True) -> list[tuple[int, int]]:
    """``(shift, bits)`` of each bucket key, most significant first: one per segment
    (``merge=False``, the paper), or the segments merged into ``max_distance + 1`` runs of
    consecutive segments."""
    width = 64 // segments
    groups = ([[k] for k in range(segments)] if not merge else
              [list(g) for g in np.array_split(np.arange(segments), max_distance + 1)])
    return [(64 - width * (g[-1] + 1), width * len(g)) for g in groups]


def _keys(h: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """One bucket key per hash, in the smallest unsigned type that holds it (numpy sorts
    8/16/32-bit keys by radix)."""
    k = (h >> np.uint64(shift)) & np.uint64((1 << bits) - 1) if bits < 64 else h
    for dtype, limit in ((np.uint16, 16), (np.uint32, 32)):
        if bits <= limit:
            return k.astype(dtype)
    return k


def segment_dictionaries(hashes, segments: int = 4) -> list[dict[int, list[int]]]:
    """The paper's structure, for small examples: per segment, segment value -> image indices."""
    h = np.asarray(hashes, dtype=np.uint64)
    out = []
    for shift, bits in key_ranges(segments, 0, merge=False):
        d = defaultdict(list)
        for i, v in enumerate(_keys(h, shift, bits).tolist()):
            d[v].append(i)
        out.append(dict(d))
    return out


def _bucket_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All index pairs (a, b), a before b in sorted order, of entries with equal keys."""
    order = np.argsort(keys)  # any order inside a bucket will do
    k = keys[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    ends = np.r_[starts[1:], len(k)]
    sizes = ends - starts
    multi = sizes > 1
    if not multi.any():
        empty = np.zeros(0, np.int64)
        return empty, empty
    # for every position p of a shared bucket: partners p+1 .. end-1
    pos = np.concatenate([np.arange(s, e) for s, e in zip(starts[multi], ends[multi])]) \
        if multi.sum() < 64 else _positions(starts[multi], sizes[multi])
    bucket_end = np.repeat(ends[multi], sizes[multi])
    counts = bucket_end - pos - 1
    left = np.repeat(pos, counts)
    first = np.cumsum(counts) - counts
    right = left + 1 + (np.arange(counts.sum()) - np.repeat(first, counts))
    return order[left], order[right]


def _positions(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Concatenated ranges start..start+size-1, vectorised."""
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return np.repeat(starts, sizes) + offsets


def find_duplicate_pairs(hashes, max_distance: int = 1, segments: int = 4,
                         merge: bool = True) -> np.ndarray:
    """Index pairs ``(i, j)``, ``i < j``, whose hashes differ in at most ``max_distance`` bits:
    an ``(M, 2)`` int64 array sorted by ``i`` then ``j``. Exact (equal to brute force) because
    ``segments > max_distance`` is required. The hashes must be distinct (identical hashes are
    :func:`duplicate_groups`' job)."""
    h = _check(hashes, max_distance, segments)
    s = np.sort(h)
    if (s[1:] == s[:-1]).any():
        raise ValueError("repeated hash values: find_duplicate_pairs needs distinct hashes "
                         "(duplicate_groups collapses identical ones first)")
    return _pairs(h, max_distance, segments, merge)


def _pairs(h: np.ndarray, max_distance: int, segments: int, merge: bool) -> np.ndarray:
    n = len(h)
    found = []
    for shift, bits in key_ranges(segments, max_distance, merge):
        a, b = _bucket_pairs(_keys(h, shift, bits))
        if len(a):
            close = np.bitwise_count(h[a] ^ h[b]) <= max_distance
            i, j = np.minimum(a[close], b[close]), np.maximum(a[close], b[close])
            found.append(i.astype(np.int64) * n + j)
    if not found:
        return np.zeros((0, 2), np.int64)
    codes = np.unique(np.concatenate(found))
    return np.stack([codes // n, codes % n], axis=1)


def cross_pairs(a, b, max_distance: int = 1, segments: int = 4) -> np.ndarray:
    """Pairs ``(i, j)`` with ``a[i]`` and ``b[j]`` at most ``max_distance`` bits apart, sorted;
    identical hashes included (the audit of an evaluation set's own train/test split)."""
    a, b = np.asarray(a, np.uint64).ravel(), np.asarray(b, np.uint64).ravel()
    values, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    if len(values) == 0:
        return np.zeros((0, 2), np.int64)
    close = find_duplicate_pairs(values, max_distance, segments)
    same = np.arange(len(values))
    close = np.concatenate([close, close[:, ::-1], np.stack([same, same], 1)])
    in_a = defaultdict(list)
    in_b = defaultdict(list)
    for pos, v in enumerate(inverse.tolist()):
        (in_a if pos < len(a) else in_b)[v].append(pos - (0 if pos < len(a) else len(a)))
    out = {(i, j) for u, v in close.tolist() for i in in_a.get(u, ()) for j in in_b.get(v, ())}
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 2)


def within(a, b, max_distance: int, block: int = 1 << 22) -> np.ndarray:
    """Every ``(i, j)`` with ``a[i]`` and ``b[j]`` at most ``max_distance`` bits apart, sorted,
    by comparing every pair in blocks (exact at any distance: the audit's wide threshold is
    beyond the segment index's pigeonhole range)."""
    a, b = np.asarray(a, np.uint64).ravel(), np.asarray(b, np.uint64).ravel()
    out = []
    step = max(1, block // max(1, len(b)))
    for start in range(0, len(a), step):
        d = np.bitwise_count(a[start:start + step, None] ^ b[None, :])
        i, j = np.nonzero(d <= max_distance)
        out.append(np.stack([i + start, j], 1))
    return (np.concatenate(out).astype(np.int64) if out else np.zeros((0, 2), np.int64))


def brute_force_pairs(hashes, max_distance: int) -> np.ndarray:
    """The same as :func:`find_duplicate_pairs` by comparing every pair, identical hashes
    included: the tests' oracle, and the generator's check of its own set (notebook 00)."""
    h = np.asarray(hashes, dtype=np.uint64)
    out = []
    for i in range(len(h) - 1):
        d = np.bitwise_count(h[i + 1:] ^ h[i])
        for j in np.flatnonzero(d <= max_distance):
            out.append((i, i + 1 + int(j)))
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def _unique(h: np.ndarray):
    """Distinct hashes, the first index of each, and the index of each hash's distinct value
    (np.unique with return_index and return_inverse, by one sort)."""
    order = np.argsort(h)
    hs = h[order]
    new = np.r_[True, hs[1:] != hs[:-1]]
    starts = np.flatnonzero(new)
    inverse = np.empty(len(h), np.int64)
    inverse[order] = np.cumsum(new) - 1
    return hs[starts], np.minimum.reduceat(order, starts), inverse


def duplicate_groups(hashes, max_distance: int = 1, segments: int = 4) -> np.ndarray:
    """A group id per hash: the connected components of "distance <= max_distance", numbered in
    order of first appearance. Identical hashes are collapsed before any pair is formed."""
    h = _check(hashes, max_distance, segments)
    if len(h) == 0:
        return np.zeros(0, np.int64)
    from scipy.sparse import coo_matrix  # here, not at import: hashing workers never need it
    from scipy.sparse.csgraph import connected_components

    unique, first, inverse = _unique(h)
    pairs = _pairs(unique, max_distance, segments, merge=True)
    n = len(unique)
    graph = coo_matrix((np.ones(len(pairs), np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_groups, labels = connected_components(graph, directed=False)
    first_of_group = np.full(n_groups, len(h), np.int64)
    np.minimum.at(first_of_group, labels, first)  # where each group first appears
    rank = np.empty(n_groups, np.int64)
    rank[np.argsort(first_of_group, kind="stable")] = np.arange(n_groups)
    return rank[labels][inverse]


# --- de-duplicating the training manifest -----------------------------------------------------

@dataclass
class DedupReport:
    """What the clean-up found and removed, per training source and per evaluation set."""

    parameters: dict
    sources: dict = field(default_factory=dict)
    evaluation: dict = field(default_factory=dict)
    evaluation_splits: dict = field(default_factory=dict)
    unreadable: list = field(default_factory=list)
    pairs: list = field(default_factory=list)  # (removed, because_of, distance, reason)

    def to_dict(self, examples: int = 20) -> dict:
        """JSON-ready form of the report (``dedup_report.json``)."""
        return {"parameters": self.parameters, "sources": self.sources,
                "evaluation": self.evaluation, "evaluation_splits": self.evaluation_splits,
                "unreadable": self.unreadable,
                "removed_examples": self.pairs[:examples], "removed_total": len(self.pairs)}


def dedup_manifest(manifest: str | Path, evaluation: dict[str, Sequence[str]],
                   out_dir: str | Path, max_distance: int = 1, segments: int = 4,
                   workers: int | None = None, progress: bool = True,
                   splits: dict[str, dict[str, Sequence[str]]] | None = None,
                   audit_distance: int | None = AUDIT_DISTANCE) -> DedupReport:
    """Remove near-duplicates from a training manifest and write ``manifest_dedup.tsv`` and
    ``dedup_report.json`` into ``out_dir``.

    - Across sets: a training image within ``max_distance`` of any evaluation image (the sets in
      ``evaluation``: name -> image paths) is removed from training; evaluation is never touched.
    - Within training: of each group of near-duplicate training images the first in manifest
      order is kept (deterministic), the others are removed.
    - Beyond the paper (``audit_distance``, None: off): a training image within
      ``audit_distance`` of any evaluation image, of its 2 % centre crop, or of their flips and
      90-degree rotations (:func:`audit_grays`) is removed as contamination too.
    - Unreadable training images are removed and listed.
    - Within an evaluation set (``splits``: name -> {"train": paths, "test": paths}, the scene
      sets whose train part fits linear probes and k-NN): pairs across its own split are
      counted and listed (``evaluation_splits``); they are the data's problem to fix, so
      nothing is removed.
    """
    manifest, out_dir = Path(manifest), Path(out_dir)
    rows = read_manifest(manifest)
    source_of = images(rows)
    train_paths = list(source_of)
    eval_items = [(name, str(p)) for name, paths in evaluation.items() for p in paths]
    all_paths = train_paths + [p for _, p in eval_items]
    hashed = phash_files(all_paths, workers=workers, progress=progress)
    n_train = len(train_paths)
    report = DedupReport({"max_distance": max_distance, "segments": segments,
                          "manifest": str(manifest), "rule": "distance <= max_distance",
                          "audit_distance": audit_distance,
                          "audit": "evaluation images as they are and 2 % centre-cropped, each "
                                   "in 8 flips / rotations" if audit_distance is not None
                                   else "off"})
    report.unreadable = [{"path": p, "why": why} for p, why in hashed.errors]
    ok = hashed.ok
    idx = np.flatnonzero(ok)
    groups = np.full(len(all_paths), -1, np.int64)
    groups[idx] = duplicate_groups(hashed.hashes[idx], max_distance, segments)

    removed: dict[str, tuple[str, str]] = {}  # training path -> (reason, because of)
    for i in np.flatnonzero(~ok[:n_train]):
        removed[train_paths[i]] = ("unreadable", "")
    members = defaultdict(list)
    for i in idx:
        members[int(groups[i])].append(int(i))
    hit_evals: set[int] = set()  # evaluation images with a copy in training (either rule)
    hit_distance: dict[str, int] = {}
    eval_eval_groups = 0
    for items in members.values():
        if len(items) < 2:
            continue
        train = [i for i in items if i < n_train]
        evals = [i for i in items if i >= n_train]
        if evals and len(evals) > 1 and len({eval_items[e - n_train][0] for e in evals}) > 1:
            eval_eval_groups += 1
        if evals:
            anchor = all_paths[evals[0]]
            if train:
                hit_evals.update(e - n_train for e in evals)
            for i in train:
                removed[train_paths[i]] = (
                    f"contamination: near-duplicate of evaluation image in "
                    f"{eval_items[evals[0] - n_train][0]}", anchor)
        elif len(train) > 1:
            keep = min(train)  # the first in manifest order
            for i in train:
                if i != keep:
                    reason = ("duplicate within " + source_of[train_paths[i]]
                              if source_of[train_paths[i]] == source_of[train_paths[keep]]
                              else "duplicate across sources")
                    removed[train_paths[i]] = (reason, train_paths[keep])

    if audit_distance is not None and eval_items:
        variant = phash_files([p for _, p in eval_items], workers=workers, progress=progress,
                              variants=True)
        train_ok = np.flatnonzero(ok[:n_train])
        good = np.flatnonzero(variant.ok)
        flat = variant.hashes[good].reshape(-1)
        hits = within(hashed.hashes[train_ok], flat, audit_distance)
        first_hit = {}
        for i, j in hits.tolist():
            t = int(train_ok[i])
            if t not in first_hit:
                first_hit[t] = int(good[j // AUDIT_VARIANTS])
                hit_distance[train_paths[t]] = hamming(hashed.hashes[t], flat[j])
        for i, e in sorted(first_hit.items()):
            path = train_paths[i]
            if removed.get(path, ("",))[0].startswith("contamination"):
                continue
            name, anchor = eval_items[e]
            removed[path] = (f"contamination: copy (flipped, rotated, cropped or within "
                             f"{audit_distance}) of evaluation image in {name}", anchor)
        hit_evals |= set(first_hit.values())
        report.unreadable += [{"path": p, "why": why} for p, why in variant.errors]

    eval_hit = Counter(eval_items[e][0] for e in hit_evals)
    position = {p: i for i, p in enumerate(all_paths)}
    for p, (reason, other) in removed.items():
        dist = hit_distance.get(p) if reason.startswith("contamination: copy") else (
            hamming(hashed.hashes[position[p]], hashed.hashes[position[other]])
            if other and ok[position[p]] else None)
        report.pairs.append({"removed": p, "source": source_of[p], "because_of": other,
                             "distance": dist, "reason": reason})
    for p in train_paths:
        s = report.sources.setdefault(source_of[p], {"images": 0, "rows": 0, "kept_images": 0,
                                                      "removed": Counter()})
        s["images"] += 1
        if p in removed:
            s["removed"][removed[p][0].split(":")[0]] += 1
        else:
            s["kept_images"] += 1
    kept_rows = select_rows(rows, drop_images=removed)
    for r in rows:
        report.sources[r.source]["rows"] += 1
    for s in report.sources.values():
        s["removed"] = dict(s["removed"])
    for name, paths in evaluation.items():
        report.evaluation[name] = {"images": len(paths), "with_copies_in_training": eval_hit[name]}
    report.evaluation["groups_spanning_evaluation_sets"] = eval_eval_groups
    for name, parts in (splits or {}).items():
        a, b = ([str(p) for p in parts.get(k, ())] for k in ("train", "test"))
        extra = phash_files([p for p in a + b if p not in position], workers=workers,
                            progress=False)
        known = {**{p: (hashed.hashes[i], bool(ok[i])) for p, i in position.items()},
                 **{p: (h, bool(good)) for p, h, good in zip(extra.paths, extra.hashes,
                                                              extra.ok)}}
        a_ok = [p for p in a if known[p][1]]
        b_ok = [p for p in b if known[p][1]]
        found = cross_pairs([known[p][0] for p in a_ok], [known[p][0] for p in b_ok],
                            max_distance, segments)
        report.evaluation_splits[name] = {
            "train": len(a), "test": len(b), "pairs_across_split": len(found),
            "examples": [{"train": a_ok[i], "test": b_ok[j]} for i, j in found[:20].tolist()]}

    out_dir.mkdir(parents=True, exist_ok=True)
    write_manifest_rows(out_dir / "manifest_dedup.tsv", kept_rows)
    write_report(report.to_dict(), out_dir / "dedup_report.json")
    return report


# (removed_examples, each removal's images), (unreadable, its file), (evaluation_splits, ...)
_REPORT_PATHS = (("removed_examples", ("removed", "because_of")), ("unreadable", ("path",)))


def _report_paths(d: dict, change) -> dict:
    """``d`` (``dedup_report.json``) with ``change`` applied to the image paths it holds."""
    d = json.loads(json.dumps(d, default=int))
    for section, keys in _REPORT_PATHS:
        for entry in d.get(section, []):
            for key in keys:
                if isinstance(entry.get(key), str) and entry[key]:
                    entry[key] = change(entry[key])
    for split in d.get("evaluation_splits", {}).values():
        for pair in split.get("examples", []):
            for key in ("train", "test"):
                if isinstance(pair.get(key), str):
                    pair[key] = change(pair[key])
    return d


def write_report(report: dict, path: str | Path) -> None:
    """Write ``dedup_report.json`` atomically; images inside the run folder are named relative
    to the report's folder, as in the manifest (:func:`rsclip_utils.paths.portable`)."""
    run_dir = run_folder_of(path)
    write_json(path, _report_paths(report, lambda p: portable(p, path, run_dir)))


def read_report(path: str | Path) -> dict:
    """``dedup_report.json`` as :func:`write_report` wrote it, its image paths absolute."""
    run_dir = run_folder_of(path)
    return _report_paths(json.loads(Path(path).read_text()),
                         lambda p: resolved(p, path, run_dir))
