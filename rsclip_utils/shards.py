"""Decode-once training shards: every distinct training image decoded once, reduced, re-encoded
and written to webdataset tar shards, for this package's loop and for open_clip's trainer.
Introduced in notebook 05.

Why: the manifest has one row per caption (five per image), and a row-by-row loader opens and
decodes the original file for every row at full size: DOTA and iSAID scenes are 800 to 4,000 px
PNGs, AU-AIR and Stanford Drone frames 1,920 x 1,080 JPEGs. A GPU trains far faster than two
cores decode those (``benchmarks/bench_loader.py`` measures both paths on the same images).

What a shard folder holds (``write_shards``)::

    shard-00000.tar ...   one sample per image: KEY.jpg (or .png), KEY.txt, KEY.json
    sizes.json            {shard name: samples}, which open_clip's trainer reads
    shards.json           the index: the spec, the manifest's SHA-256, every shard's samples,
                          bytes and SHA-256, the images skipped and why
    shard-00000.tar.json  each shard's own record (written once the shard is complete: resume)

``KEY`` is the image's position among the manifest's distinct images (8 digits; webdataset
splits a name at its first dot). ``KEY.json`` holds every caption of the image, its original path
and source; ``KEY.txt`` holds one caption, drawn from (seed, key) when the shards are made,
because open_clip's trainer reads one text per sample.

Choices: an image whose shorter side exceeds ``shorter_side`` is reduced to it (bicubic), smaller
ones are kept as they are (enlarging adds no detail; the loop resizes its crop anyway). 256 suits
a 224-px model, whose crop the paper's augmentation takes from at least 60 % of the image; it
shrinks a 4,000-px DOTA scene 15.6 times, so an 8-px car becomes half a pixel: notebook 05 shows
which objects survive it. The same inputs and spec give the same bytes (tar headers carry no
time, owner or order that could differ; JPEG quality 95 from the same Pillow).

    python -m rsclip_utils.shards --manifest runs/paper/manifest_dedup.tsv \\
        --out runs/paper/shards [--shorter-side 256] [--samples-per-shard 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import re
import sys
import tarfile
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from PIL import Image

from .atomic import atomic_path, write_json
from .images import ImageError, open_rgb
from .manifest import read_manifest
from .paths import portable, resolved, run_folder_of
from .progress import tqdm
from .stamps import fingerprint, same_file

INDEX = "shards.json"
SIZES = "sizes.json"
IMAGE_FORMATS = ("jpg", "png")


@dataclass(frozen=True)
class ShardSpec:
    """How the shards are made (recorded in ``shards.json``; a change remakes them)."""

    shorter_side: int = 256
    image_format: str = "jpg"
    quality: int = 95  # JPEG only
    samples_per_shard: int = 1000
    seed: int = 0  # draws each sample's open_clip caption (KEY.txt)

    def check(self) -> None:
        """Refuse a spec that cannot make shards, naming the field."""
        if self.shorter_side < 16:
            raise ValueError(f"shorter_side {self.shorter_side} is below 16 px")
        if self.image_format not in IMAGE_FORMATS:
            raise ValueError(f"image_format {self.image_format!r} is not one of {IMAGE_FORMATS}")
        if not 1 <= self.quality <= 100:
            raise ValueError(f"quality {self.quality} is not in 1..100")
        if self.samples_per_shard < 1:
            raise ValueError(f"samples_per_shard {self.samples_per_shard} is below 1")


def shard_name(k: int) -> str:
    """The file name of shard ``k``."""
    return f"shard-{k:05d}.tar"


def sample_key(index: int) -> str:
    """The webdataset key of the ``index``-th distinct image (no dot: webdataset splits there)."""
    return f"{index:08d}"


def distinct_images(manifest: str | Path) -> list[dict]:
    """The manifest's distinct images in order of first appearance, each with all its captions:
    ``{"filepath", "captions", "source"}``."""
    images: dict[str, dict] = {}
    for row in read_manifest(manifest):
        entry = images.setdefault(row.filepath, {"filepath": row.filepath, "captions": [],
                                                 "source": row.source})
        entry["captions"].append(row.title)
    return list(images.values())


def reduce_image(image: Image.Image, shorter_side: int) -> Image.Image:
    """``image`` with its shorter side reduced to ``shorter_side`` (bicubic); smaller images as
    they are."""
    scale = shorter_side / min(image.size)
    if scale >= 1:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BICUBIC)


def encode_image(image: Image.Image, spec: ShardSpec) -> bytes:
    """The image's bytes in the shard's format."""
    buf = io.BytesIO()
    if spec.image_format == "jpg":
        image.save(buf, format="JPEG", quality=spec.quality)
    else:
        image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), 0, 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def _shard_digest(spec: ShardSpec, items: Sequence[tuple[int, dict]], folder: Path) -> str:
    """What a shard is made from: the spec and its images (paths as the shard writes them,
    captions, sources, keys); the images' content is checked apart (:func:`_reusable`)."""
    run_dir = run_folder_of(folder / INDEX)
    body = json.dumps([asdict(spec), [[i, {**e, "filepath": portable(e["filepath"], folder / INDEX,
                                                                      run_dir)}]
                                      for i, e in items]], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _write_shard(job: tuple) -> dict:
    """Write one shard (via a temporary file, renamed when complete) and its record: the shard's
    size, time and SHA-256, and each source image's (checked when the shard is reused)."""
    folder, k, items, spec = job
    folder = Path(folder)
    path = folder / shard_name(k)
    run_dir = run_folder_of(folder / INDEX)
    skipped, samples, sources = [], 0, {}
    with atomic_path(path) as partial:
        with tarfile.open(partial, "w", format=tarfile.USTAR_FORMAT) as tar:
            for index, entry in items:
                where = portable(entry["filepath"], folder / INDEX, run_dir)
                try:
                    sources[where] = fingerprint(entry["filepath"])
                    image = reduce_image(open_rgb(entry["filepath"]), spec.shorter_side)
                except (ImageError, OSError) as e:
                    skipped.append({"filepath": entry["filepath"], "reason": str(e)})
                    continue
                key = sample_key(index)
                caption = random.Random(f"{spec.seed}/{key}").choice(entry["captions"])
                meta = {"captions": entry["captions"], "filepath": where,
                        "source": entry["source"], "width": image.width, "height": image.height}
                _add(tar, f"{key}.{spec.image_format}", encode_image(image, spec))
                _add(tar, f"{key}.txt", caption.encode("utf-8"))
                _add(tar, f"{key}.json", json.dumps(meta, ensure_ascii=False,
                                                    sort_keys=True).encode("utf-8"))
                samples += 1
        # the record before the shard takes its name (the rename keeps size and time): a shard
        # without its record is never ours (foreign_files), a record without its shard is stale
        record = {"name": path.name, "samples": samples, **fingerprint(partial),
                  "skipped": skipped, "made_from": _shard_digest(spec, items, folder),
                  "sources": sources}
        write_json(Path(str(path) + ".json"), record)
    return record


def _reusable(folder: Path, k: int, made_from: str, content: bool = False) -> dict | None:
    """The record of shard ``k`` when it is complete, made from the same inputs, holds the bytes
    it was written with, and its source images hold theirs (size and time first, the bytes when
    those differ or ``content``); else None (the shard is rewritten)."""
    path = folder / shard_name(k)
    try:
        record = json.loads(Path(str(path) + ".json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("made_from") != made_from:
        return None
    if same_file(path, record, content) is not None:
        return None
    run_dir = run_folder_of(folder)
    for where, recorded in record.get("sources", {}).items():
        if same_file(resolved(where, folder / INDEX, run_dir), recorded, content) is not None:
            return None
    return record


_OURS = re.compile(r"shard-\d{5}\.tar(\.json|\.partial)?|sizes\.json|shards\.json(\.stamp\.json)?"
                   r"|\..*\.tmp")


def foreign_files(folder: str | Path) -> list[str]:
    """The files in ``folder`` that :func:`write_shards` did not write: names it never uses, and
    shard-named tars without their record (each shard's record is written before the shard
    takes its name, so such a tar is another tool's)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    entries = sorted(folder.iterdir())
    names = {p.name for p in entries}
    out = []
    for p in entries:
        if p.is_dir() or not _OURS.fullmatch(p.name):
            out.append(p.name + ("/" if p.is_dir() else ""))
        elif p.name.endswith(".tar") and p.name + ".json" not in names:
            out.append(p.name)
    return out


def write_shards(manifest: str | Path, folder: str | Path, spec: ShardSpec = ShardSpec(),
                 workers: int | None = None, progress: bool = True,
                 content: bool = False) -> dict:
    """Write the manifest's images to webdataset shards in ``folder`` (see the module docstring)
    with ``workers`` processes (None: one per core); complete shards made from the same inputs,
    whose bytes and source images are as recorded (``content``: hashed), are kept (resume), the
    others rewritten. A folder holding files this function did not write is refused, listing
    them, and left as it is. Returns the report, also written as ``shards.json``."""
    spec.check()
    folder = Path(folder)
    foreign = foreign_files(folder)
    if foreign:
        raise FileExistsError(f"{folder} holds files rsclip_utils.shards did not write ("
                              + ", ".join(foreign[:10]) + (", ..." if len(foreign) > 10 else "")
                              + "); they are left as they are: choose another folder")
    folder.mkdir(parents=True, exist_ok=True)
    images = distinct_images(manifest)
    if not images:
        raise ValueError(f"{manifest}: no rows to write to shards")
    n = spec.samples_per_shard
    indexed = list(enumerate(images))
    chunks = [indexed[s:s + n] for s in range(0, len(indexed), n)]
    records: dict[int, dict] = {}
    jobs = []
    for k, items in enumerate(chunks):
        record = _reusable(folder, k, _shard_digest(spec, items, folder), content)
        if record is not None:
            records[k] = record
        else:
            jobs.append((str(folder), k, items, spec))
    for stale in folder.glob("shard-*.tar*"):  # beyond this manifest's, half-written (ours)
        if int(stale.name[6:11]) >= len(chunks) or stale.name.endswith(".partial"):
            stale.unlink()
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs) or 1))
    bar = tqdm(total=len(images), initial=sum(len(chunks[k]) for k in records), unit="img",
               desc="shards", disable=not progress)
    if workers == 1 or len(jobs) <= 1:
        done = map(_write_shard, jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(workers)
        done = pool.map(_write_shard, jobs)
    try:
        for job, record in zip(jobs, done):
            records[job[1]] = record
            bar.update(len(job[2]))
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown()
    ordered = [records[k] for k in range(len(chunks))]
    sizes = {r["name"]: r["samples"] for r in ordered}
    write_json(folder / SIZES, sizes)
    report = {
        "spec": asdict(spec),
        "manifest": portable(os.path.abspath(manifest), folder / INDEX,
                             run_folder_of(folder / INDEX)),
        "manifest_sha256": hashlib.sha256(Path(manifest).read_bytes()).hexdigest(),
        "images": len(images),
        "samples": sum(sizes.values()),
        "captions": sum(len(e["captions"]) for e in images),
        "bytes": sum(r["bytes"] for r in ordered),
        "shards": [{k: r[k] for k in ("name", "samples", "bytes", "sha256")} for r in ordered],
        "reused_shards": len(records) - len(jobs),
        "skipped": [s for r in ordered for s in r["skipped"]],
    }
    write_json(folder / INDEX, report)
    return report


def is_shard_folder(path: str | Path) -> bool:
    """Whether ``path`` is a folder written by :func:`write_shards`."""
    return Path(path).is_dir() and (Path(path) / INDEX).is_file()


def read_index(folder: str | Path) -> dict:
    """``shards.json`` of a shard folder; a clear error when it is not one."""
    folder = Path(folder)
    if not is_shard_folder(folder):
        raise FileNotFoundError(f"{folder}: no {INDEX}; not a folder written by "
                                "rsclip_utils.shards.write_shards")
    return json.loads((folder / INDEX).read_text())


def content_digest(folder: str | Path) -> str:
    """SHA-256 of what a shard folder holds (its spec and every shard's SHA-256), the same for
    shards written at once or resumed: what a training checkpoint records."""
    index = read_index(folder)
    body = json.dumps([index["spec"], [(s["name"], s["sha256"]) for s in index["shards"]]],
                      sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def shard_urls(folder: str | Path) -> str:
    """The shards as one brace pattern, for open_clip's ``--train-data``."""
    shards = read_index(folder)["shards"]
    last = len(shards) - 1
    pattern = f"shard-{{00000..{last:05d}}}.tar" if last else shard_name(0)
    return str(Path(folder) / pattern)


def shards_of_rank(folder: str | Path, rank: int, world: int) -> list[str]:
    """The shard names process ``rank`` of ``world`` reads (every ``world``-th, from ``rank``);
    an error when there are fewer shards than processes."""
    names = [s["name"] for s in read_index(folder)["shards"]]
    if len(names) < world:
        raise ValueError(f"{folder}: {len(names)} shards for {world} processes; write shards "
                         "with fewer samples_per_shard (each process reads its own shards)")
    return names[rank::world]


def scan_shard(path: str | Path) -> list[dict]:
    """The samples of one shard, from its tar headers: ``{"key", "image": (offset, size),
    "format", "meta": {...}}`` in the shard's order."""
    samples: dict[str, dict] = {}
    with tarfile.open(path, "r") as tar:
        for member in tar:
            key, _, ext = member.name.partition(".")
            entry = samples.setdefault(key, {"key": key})
            if ext in IMAGE_FORMATS:
                entry["image"], entry["format"] = (member.offset_data, member.size), ext
            elif ext == "json":
                entry["meta"] = json.loads(tar.extractfile(member).read())
    missing = [k for k, e in samples.items() if "image" not in e or "meta" not in e]
    if missing:
        raise ValueError(f"{path}: samples {missing[:5]} lack an image or their .json")
    return list(samples.values())


def main(argv: list[str] | None = None) -> int:
    """The preparation as a command (see the module docstring)."""
    d = ShardSpec()
    parser = argparse.ArgumentParser(prog="python -m rsclip_utils.shards",
                                     description="Write a manifest's images to decode-once "
                                     "webdataset shards (resumable, reproducible).")
    parser.add_argument("--manifest", required=True, help="manifest TSV (rsclip_utils.manifest)")
    parser.add_argument("--out", required=True, help="folder of the shards")
    parser.add_argument("--shorter-side", type=int, default=d.shorter_side,
                        help="reduce larger images to this shorter side (px)")
    parser.add_argument("--image-format", choices=IMAGE_FORMATS, default=d.image_format)
    parser.add_argument("--quality", type=int, default=d.quality, help="JPEG quality")
    parser.add_argument("--samples-per-shard", type=int, default=d.samples_per_shard)
    parser.add_argument("--seed", type=int, default=d.seed, help="draws each KEY.txt caption")
    parser.add_argument("--workers", type=int, default=None, help="processes (default: cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    spec = ShardSpec(args.shorter_side, args.image_format, args.quality, args.samples_per_shard,
                     args.seed)
    try:
        report = write_shards(args.manifest, args.out, spec, args.workers, not args.quiet)
    except (OSError, ValueError) as e:  # FileExistsError: a folder of other files, listed
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{report['images']} images -> {report['samples']} samples in "
          f"{len(report['shards'])} shards ({report['bytes'] / 1e6:.1f} MB; "
          f"{report['reused_shards']} reused) in {args.out}")
    for skipped in report["skipped"]:
        print(f"skipped {skipped['filepath']}: {skipped['reason']}")
    print(f"open_clip: --dataset-type webdataset --train-data '{shard_urls(args.out)}'")
    return 0


if __name__ == "__main__":
    sys.exit(main())
