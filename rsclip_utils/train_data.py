"""The training loop's data: the paper's augmentation, and the two datasets the loop reads, the
manifest row by row (small runs) or decode-once shards (:mod:`rsclip_utils.shards`, large runs).
Introduced in notebook 05.

Both give (image tensor, token ids, index) and the same two methods the loop calls:
``steps_per_epoch(batch_size, world)`` and ``local_batches(epoch, batch_size, rank, world)``.
Every random choice is drawn from the seed, the epoch and the sample, so a resumed run sees the
same data as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import random
from pathlib import Path

import torch
from PIL import Image

from .images import ImageError, open_rgb
from .manifest import read_manifest
from .progress import tqdm
from .shards import read_index, scan_shard, shards_of_rank


def to_tensor(image: Image.Image, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    """A square RGB image as a normalised (3, size, size) float tensor."""
    x = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    x = x.view(image.height, image.width, 3).permute(2, 0, 1).float() / 255
    return (x - mean) / std


CROP_SCALE = (0.6, 1.0)  # the share of the image's area a random crop keeps (the paper: unsaid)


def crop_box(w: int, h: int, rng: random.Random,
             scale: tuple[float, float] = CROP_SCALE) -> tuple[int, int, int, int]:
    """The random crop of :func:`paper_augment`, ``(x, y, width, height)``: a share of the area
    drawn from ``scale``, an aspect ratio from 3/4 to 4/3 (torchvision's RandomResizedCrop rule,
    ten tries, else the whole image)."""
    for _ in range(10):
        area = w * h * rng.uniform(*scale)
        aspect = math.exp(rng.uniform(math.log(3 / 4), math.log(4 / 3)))
        cw, ch = int(round(math.sqrt(area * aspect))), int(round(math.sqrt(area / aspect)))
        if 0 < cw <= w and 0 < ch <= h:
            return rng.randint(0, w - cw), rng.randint(0, h - ch), cw, ch
    return 0, 0, w, h


def paper_augment(image: Image.Image, size: int, rng: random.Random,
                  scale: tuple[float, float] = CROP_SCALE) -> Image.Image:
    """The paper's augmentations: a random crop resized to the input size, a horizontal flip,
    a rotation by 0, 90, 180 or 270 degrees (top-down images have no "up")."""
    x, y, cw, ch = crop_box(*image.size, rng, scale)
    out = image.crop((x, y, x + cw, y + ch)).resize((size, size), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        out = out.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    k = rng.randrange(4)
    if k:
        out = out.transpose((Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180,
                             Image.Transpose.ROTATE_270)[k - 1])
    return out


class ManifestDataset(torch.utils.data.Dataset):
    """(image tensor, token ids, index) per manifest row; the augmentation of row ``i`` in epoch
    ``e`` is drawn from (seed, e, i), so it is the same in any process and after a resume.

    With ``cache_images`` (the default) every distinct image is decoded once, on first use, and
    kept in memory with its shorter side at most ``2 * size`` pixels (the crop of the paper's
    augmentation is then resized from that copy); captions are tokenized once, in one batch.
    Measured on the default run: decoding and tokenizing anew every step cost about as much as
    the tiny model's step itself (benchmarks/bench_training.py)."""

    def __init__(self, manifest: str | Path, size: int, mean, std, tokenizer, seed: int = 0,
                 augment: bool = True, cache_images: bool = True):
        rows = [(r.filepath, r.title) for r in read_manifest(manifest)]
        if not rows:
            raise ValueError(f"{manifest}: no rows")
        self.paths, self.captions = zip(*rows)
        self.size, self.seed, self.augment, self.epoch = size, seed, augment, 0
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)
        self.tokenizer = tokenizer
        self.tokens = tokenizer(list(self.captions))
        self.cache_images = cache_images
        self._images: dict[str, Image.Image] = {}

    def __len__(self) -> int:
        return len(self.paths)

    def check_images(self, progress: bool = False) -> None:
        """Decode every distinct image once (kept when caching), before training starts: an
        :class:`~rsclip_utils.images.ImageError` naming every file that cannot be decoded
        (the first ten, and how many), so that no run dies at a bad file half-way."""
        first_row = {}
        for i, path in enumerate(self.paths):
            first_row.setdefault(path, i)
        bad = []
        for i in tqdm(first_row.values(), desc="check images", unit="img",
                      disable=not progress):
            try:
                self.image(i)
            except ImageError as e:
                bad.append(str(e))
        if bad:
            raise ImageError(f"{len(bad)} training image(s) cannot be decoded; fix or drop "
                             "their rows before training:\n  " + "\n  ".join(bad[:10]))

    def image(self, i: int) -> Image.Image:
        """Row ``i``'s image, RGB (decoded once and reduced when caching)."""
        path = self.paths[i]
        cached = self._images.get(path)
        if cached is not None:
            return cached
        image = open_rgb(path)
        if self.cache_images:
            scale = 2 * self.size / min(image.size)
            if scale < 1:
                image = image.resize((max(1, round(image.width * scale)),
                                      max(1, round(image.height * scale))),
                                     Image.Resampling.BICUBIC)
            self._images[path] = image
        return image

    def __getitem__(self, i: int):
        image = self.image(i)
        if self.augment:
            image = paper_augment(image, self.size, random.Random(f"{self.seed}/{self.epoch}/{i}"))
        else:
            image = image.resize((self.size, self.size), Image.Resampling.BICUBIC)
        return to_tensor(image, self.mean, self.std), self.tokens[i], i

    def steps_per_epoch(self, batch_size: int, world: int = 1) -> int:
        """Full global batches in one epoch of rows."""
        return len(self) // (batch_size * world)

    def local_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> list[list[int]]:
        """Process ``rank``'s part of each global batch of ``epoch`` (:func:`epoch_batches`)."""
        return [b[rank * batch_size:(rank + 1) * batch_size]
                for b in epoch_batches(len(self), batch_size * world, self.seed, epoch)]


def epoch_batches(n: int, global_batch: int, seed: int, epoch: int) -> list[list[int]]:
    """The global batches of an epoch: a permutation drawn from (seed, epoch), cut in full
    batches (the last partial one is dropped)."""
    g = torch.Generator().manual_seed(seed * 100_003 + epoch)
    perm = torch.randperm(n, generator=g).tolist()
    return [perm[k:k + global_batch] for k in range(0, n - global_batch + 1, global_batch)]


def _seeded(*parts) -> torch.Generator:
    """A generator seeded from ``parts`` (seed, epoch, rank ...), distinct for distinct parts."""
    text = "/".join(str(p) for p in parts)
    return torch.Generator().manual_seed(int(hashlib.sha256(text.encode()).hexdigest()[:15], 16))


class ShardDataset(torch.utils.data.Dataset):
    """(image tensor, token ids, index) per *image* of a shard folder, reading only the shards of
    process ``rank`` of ``world`` (every ``world``-th: :func:`~rsclip_utils.shards.shards_of_rank`).

    Each epoch goes once over this process's images in an order drawn from (seed, epoch, rank);
    the caption of an image is one of its captions drawn from (seed, epoch, key), and its
    augmentation from the same, so that a resumed run is the uninterrupted one. Every process
    takes the same number of steps: that of the smallest share of images. Images are read by
    seeking to their bytes in the tar file (the offsets come from its headers), so a sample costs
    one small decode and no search."""

    def __init__(self, folder: str | Path, size: int, mean, std, tokenizer, seed: int = 0,
                 augment: bool = True, rank: int = 0, world: int = 1):
        self.folder = Path(folder)
        index = read_index(self.folder)
        names = [s["name"] for s in index["shards"]]
        sizes = {s["name"]: s["samples"] for s in index["shards"]}
        self.names = shards_of_rank(self.folder, rank, world)
        self.smallest_share = min(sum(sizes[n] for n in names[r::world]) for r in range(world))
        self.samples = [(name, entry) for name in self.names
                        for entry in scan_shard(self.folder / name)]
        if not self.samples:
            raise ValueError(f"{self.folder}: no samples in shards {self.names}")
        self.index = index
        self.size, self.seed, self.augment, self.epoch, self.rank = size, seed, augment, 0, rank
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)
        self.tokenizer = tokenizer
        self._files: dict[str, object] = {}
        self._pid = None

    def __len__(self) -> int:
        return len(self.samples)

    def steps_per_epoch(self, batch_size: int, world: int = 1) -> int:
        """Full batches of the smallest process's share of images."""
        return self.smallest_share // batch_size

    def local_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> list[list[int]]:
        """This process's batches of ``epoch``: its images in an order drawn from (seed, epoch,
        rank), cut in full batches."""
        perm = torch.randperm(len(self), generator=_seeded(self.seed, epoch, rank)).tolist()
        return [perm[k * batch_size:(k + 1) * batch_size]
                for k in range(self.steps_per_epoch(batch_size, world))]

    def check_images(self, progress: bool = False) -> None:
        """Check every shard of this process against the SHA-256 that ``shards.json`` recorded
        (the images were decoded when the shards were made): a shard damaged or cut short since
        is named before the first step."""
        expected = {s["name"]: s["sha256"] for s in self.index["shards"]}
        bad = []
        for name in tqdm(self.names, desc="check shards", disable=not progress):
            digest = hashlib.sha256((self.folder / name).read_bytes()).hexdigest()
            if digest != expected[name]:
                bad.append(name)
        if bad:
            raise ImageError(f"{self.folder}: shards {bad} differ from the SHA-256 that "
                             f"shards.json recorded; write the shards again")

    def __getstate__(self):  # to data-loader workers: no open files (spawn pickles them)
        state = dict(self.__dict__)
        state["_files"], state["_pid"] = {}, None
        return state

    def _file(self, name: str):
        if self._pid != os.getpid():  # a data-loader worker: its own file handles
            self._files, self._pid = {}, os.getpid()
        f = self._files.get(name)
        if f is None:
            f = self._files[name] = open(self.folder / name, "rb")  # noqa: SIM115 - kept open
        return f

    def image(self, i: int) -> Image.Image:
        """Sample ``i``'s image, RGB, as written in the shard."""
        name, entry = self.samples[i]
        offset, length = entry["image"]
        f = self._file(name)
        f.seek(offset)
        with Image.open(io.BytesIO(f.read(length))) as im:
            return im.convert("RGB")

    def caption(self, i: int) -> str:
        """Sample ``i``'s caption in this epoch: one of its image's, drawn from (seed, epoch,
        key)."""
        entry = self.samples[i][1]
        captions = entry["meta"]["captions"]
        rng = random.Random(f"{self.seed}/{self.epoch}/{entry['key']}/caption")
        return captions[rng.randrange(len(captions))]

    def __getitem__(self, i: int):
        image = self.image(i)
        key = self.samples[i][1]["key"]
        if self.augment:
            rng = random.Random(f"{self.seed}/{self.epoch}/{key}")
            image = paper_augment(image, self.size, rng)
        else:
            image = image.resize((self.size, self.size), Image.Resampling.BICUBIC)
        return to_tensor(image, self.mean, self.std), self.tokenizer([self.caption(i)])[0], i


class AddedRowsDataset(torch.utils.data.Dataset):
    """Batches of ``base`` with rows of ``added`` on top: each step's batch is ``batch_size`` rows
    of ``base`` (its epochs, as if alone) and ``added_batch_size`` rows of ``added`` (its own
    epochs, cycled for as long as the run goes). Notebook 06's exposure-matched control: the RET
    rows exactly as the RET-only run sees them, DET and SEG rows added beside them.

    An epoch is one pass over ``base``. Index ``k < len(base)`` is base row ``k``; larger ones
    encode the added set's epoch and row, ``len(base) + epoch * len(added) + row``, so that an
    added row's augmentation is drawn from (seed, its epoch, row), in any process and after a
    resume."""

    def __init__(self, base: ManifestDataset, added: ManifestDataset, added_batch_size: int):
        if added_batch_size < 1:
            raise ValueError(f"added_batch_size must be at least 1, got {added_batch_size}")
        if len(added) < added_batch_size:
            raise ValueError(f"{len(added)} added rows are fewer than one added batch of "
                             f"{added_batch_size}")
        self.base, self.added, self.added_batch_size = base, added, added_batch_size
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.base)

    def check_images(self, progress: bool = False) -> None:
        """Both sets' images decoded once before training (see ManifestDataset)."""
        self.base.check_images(progress)
        self.added.check_images(progress)

    def __getitem__(self, k: int):
        if k < len(self.base):
            self.base.epoch = self.epoch
            return self.base[k]
        epoch, row = divmod(k - len(self.base), len(self.added))
        self.added.epoch = epoch
        image, tokens, _ = self.added[row]
        return image, tokens, k

    def steps_per_epoch(self, batch_size: int, world: int = 1) -> int:
        """Full global batches in one epoch of the base rows."""
        return self.base.steps_per_epoch(batch_size, world)

    def local_batches(self, epoch: int, batch_size: int, rank: int = 0,
                      world: int = 1) -> list[list[int]]:
        """Process ``rank``'s part of each global batch of ``epoch``: its base rows, then its
        added rows (the added set's stream at the same global steps)."""
        base = self.base.local_batches(epoch, batch_size, rank, world)
        per_step = self.added_batch_size * world
        added_per_epoch = len(self.added) // per_step
        if added_per_epoch == 0:
            raise ValueError(f"{len(self.added)} added rows are fewer than one global added "
                             f"batch of {self.added_batch_size} x {world} processes")
        n, out, epochs = len(self.base), [], {}
        for position, rows in enumerate(base):
            step = epoch * len(base) + position
            added_epoch, at = divmod(step, added_per_epoch)
            if added_epoch not in epochs:
                epochs[added_epoch] = epoch_batches(len(self.added), per_step,
                                                    self.added.seed + 1, added_epoch)
            batch = epochs[added_epoch][at]
            mine = batch[rank * self.added_batch_size:(rank + 1) * self.added_batch_size]
            out.append(rows + [n + added_epoch * len(self.added) + j for j in mine])
        return out
