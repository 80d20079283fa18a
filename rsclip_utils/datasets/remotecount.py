"""A RemoteCount-like counting set: built from DOTA-v1 val labels and written as ``counts.tsv``.

Introduced in notebook 00; used by notebook 06's counting in the paper profile (registry entry
``RemoteCount``, kind COUNT, read through :mod:`rsclip_utils.catalog`).

The paper's RemoteCount (947 image-caption pairs from DOTA-v1 val, counts 1..10, captions
written by people; each caption is rewritten with one..ten and the most similar rewrite is the
prediction) was never released (RemoteCLIP issue #44). This module makes a set of the same kind
from DOTA's boxes. Where the paper is silent, a rule, each a parameter of :func:`select_counts`:

- **which images**: an image qualifies when some class has ``min_count..max_count`` (1..10)
  instances in it, the range the counting rewrite covers;
- **which class** when several qualify (``choose``): ``"most"`` (default) the one with the most
  instances, ties by label in alphabetical order, which spreads the counts over 1..10 (a full
  DOTA scene often holds one ground track field beside a few tennis courts); ``"fewest"``;
  ``"each"``: one row per qualifying class, the image then appearing in several rows;
- **difficult flags** (``difficult``): ``"skip"`` (default) a class with any instance marked
  difficult does not qualify in that image, its true count being uncertain; ``"count"``: they
  count like the others;
- **other classes** (``alone``): False (default) other classes may be present in any number and
  the caption names only the counted one; True: only images holding the counted class alone;
- **classes** (``classes``): all of DOTA-v1's 15 (None), or the labels given;
- **caption wording**, an assumption (the paper's RemoteCount examples were not found in the
  sources searched): the embedded COUNT set's sentence, ``there is one airplane in the picture .``
  / ``there are three tennis courts in the picture .``, with Box-to-Caption's class nouns
  (:func:`rsclip_utils.b2c.normalise_label`: ``plane`` -> airplane, ``soccer-ball-field`` ->
  soccer field) and the count as a number word, which
  :func:`rsclip_utils.evaluation.counting_variants` rewrites with one..ten.

How it differs from the original:

- one template makes every caption from the boxes; people wrote the original's, with varied
  wording and perhaps more of the scene described;
- counts are DOTA's annotated instances of DOTA's class; a person may count otherwise (an object
  cut by the border, a hidden one, a class name read differently);
- which images and classes the authors kept, and their count distribution, are unknown: here
  every val image with a qualifying class gives one pair, so at most 458 pairs (DOTA-v1 val's
  images), and the counts follow DOTA's own distribution (:meth:`CountBuild.distribution`). The
  paper's 947 pairs exceed 458, so the original holds several pairs per image, or crops;
  ``choose="each"`` gives several pairs per image;
- the images are DOTA's full scenes (800 to 4,000 px), which the model sees at its input size,
  where small objects (vehicles, ships) shrink to a few pixels;
- DOTA-v1 val needs a manual download (registration; ``python -m rsclip_utils.catalog
  instructions DOTA``). The DOTA entry also offers its val images for training; notebook 04's
  de-duplication removes every image of the counting set from training.

Bad input, as the readers do it (:mod:`~rsclip_utils.datasets.read_report`): a malformed label
line raises a :class:`~rsclip_utils.errors.FormatError` naming file and line (strict), or is
listed (lenient). In both modes a label file whose image is missing, unreadable or truncated, that
holds a malformed line, or a box outside its image, is left out of the set (its image unusable or
its count uncertain) and listed as ``left_out`` with the reasons: nothing is dropped silently.

The output is stamped (:mod:`rsclip_utils.stamps`, with the digest of its own content):
``counts.tsv`` is rebuilt when the labels, the images present or the rules change, and a
``counts.tsv`` this builder did not write, or that was edited since, is never overwritten: a
:class:`~rsclip_utils.stamps.StaleOutputError` names it.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..b2c import normalise_label
from ..records import Record
from ..stamps import StaleOutputError, ensure, make_stamp, read_stamp, stamp_path
from ..text import NUMBER_WORDS, plural
from ._common import ReadResult
from .counting import CountRow, count_tsv_text, read_count_tsv, write_count_tsv
from .dota import read_dota
from .read_report import ReadReport

STAGE = "remotecount"
DOTA_V1_CLASSES = (
    "baseball-diamond", "basketball-court", "bridge", "ground-track-field", "harbor",
    "helicopter", "large-vehicle", "plane", "roundabout", "ship", "small-vehicle",
    "soccer-ball-field", "storage-tank", "swimming-pool", "tennis-court",
)
CHOICES = ("most", "fewest", "each")
DIFFICULT = ("skip", "count")
# problems that leave a label file out: its image unusable, or its count uncertain
LEAVES_OUT = ("malformed", "missing_image", "unreadable_image", "truncated_image",
              "box_outside_image")


def remotecount_caption(label: str, count: int) -> str:
    """``there are three tennis courts in the picture .``: the counted class as Box-to-Caption
    names it and the count as a number word (one..ten), which the counting evaluation rewrites."""
    if not 1 <= count <= 10:
        raise ValueError(f"count {count} outside 1..10 (the counting rewrite's range)")
    noun = normalise_label(label)
    if count == 1:
        return f"there is one {noun} in the picture ."
    return f"there are {NUMBER_WORDS[count]} {plural(noun)} in the picture ."


def _rules(min_count: int, max_count: int, choose: str, difficult: str, alone: bool,
           classes: Iterable[str] | None) -> dict:
    """The selection rules, checked, in the form the stamp records."""
    if not 1 <= min_count <= max_count <= 10:
        raise ValueError(f"min_count {min_count}, max_count {max_count}: need "
                         "1 <= min_count <= max_count <= 10 (the counting rewrite's range)")
    if choose not in CHOICES:
        raise ValueError(f"choose {choose!r}: one of {CHOICES}")
    if difficult not in DIFFICULT:
        raise ValueError(f"difficult {difficult!r}: one of {DIFFICULT}")
    if isinstance(classes, str):
        raise ValueError(f"classes {classes!r}: a list of labels, not one string")
    return {"min_count": min_count, "max_count": max_count, "choose": choose,
            "difficult": difficult, "alone": bool(alone),
            "classes": sorted(set(classes)) if classes is not None else None}


def select_counts(records: Iterable[Record], *, min_count: int = 1, max_count: int = 10,
                  choose: str = "most", difficult: str = "skip", alone: bool = False,
                  classes: Iterable[str] | None = None) -> list[CountRow]:
    """The counting rows of DOTA records by the rules of the module docstring, sorted by file
    name, then class. Records are used as given (:func:`build_remotecount` leaves out those with
    problems first)."""
    r = _rules(min_count, max_count, choose, difficult, alone, classes)
    wanted = set(r["classes"]) if r["classes"] is not None else None
    rows = []
    for record in records:
        counts = Counter(o.label for o in record.objects)
        hard = {o.label for o in record.objects if o.difficult}
        qualify = [(n, label) for label, n in counts.items()
                   if r["min_count"] <= n <= r["max_count"]
                   and (wanted is None or label in wanted)
                   and (r["difficult"] == "count" or label not in hard)
                   and (not r["alone"] or len(counts) == 1)]
        if not qualify:
            continue
        if r["choose"] == "most":
            qualify = [min(qualify, key=lambda q: (-q[0], q[1]))]
        elif r["choose"] == "fewest":
            qualify = [min(qualify)]
        filename = Path(record.image or record.image_id).name
        rows += [CountRow(filename, label, n, remotecount_caption(label, n))
                 for n, label in qualify]
    return sorted(rows, key=lambda row: (row.filename, row.category))


@dataclass
class CountBuild:
    """What :func:`build_remotecount` made: the file, its rows, the report of the labels read
    (with every ``left_out`` file), the stamp, and whether the file was ``built``, ``rebuilt``
    or ``reused``."""

    tsv: Path
    image_dir: Path
    rows: list[CountRow]
    report: ReadReport
    stamp: dict
    action: str

    def distribution(self) -> dict[int, int]:
        """How many rows hold each count, by count."""
        return dict(sorted(Counter(row.count for row in self.rows).items()))

    def summary(self) -> str:
        """One line: pairs, label files read and left out, the count distribution."""
        left_out = self.report.counts().get("left_out", 0)
        dist = ", ".join(f"{k}: {v}" for k, v in self.distribution().items()) or "-"
        return (f"{self.tsv} ({self.action}): {len(self.rows)} pairs from {self.report.files} "
                f"label files, {left_out} left out; counts {dist}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _inputs_digest(label_dir: Path, image_dir: Path) -> str:
    """Digest of what the set is made from: every label file's name and bytes, and the name and
    size of every file in the image folder (which images are there; their pixels are not read)."""
    h = hashlib.sha256()
    for path in sorted(p for p in label_dir.glob("*") if p.is_file()
                       and p.suffix.lower() == ".txt"):  # as read_dota reads them
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(b"images\0")
    if image_dir.is_dir():
        for entry in sorted(os.scandir(image_dir), key=lambda e: e.name):
            if entry.is_file():
                h.update(f"{entry.name}\0{entry.stat().st_size}\0".encode())
    return h.hexdigest()[:16]


def _leave_out_problem_files(records: Sequence[Record], report: ReadReport) -> list[Record]:
    """The records without a problem in :data:`LEAVES_OUT`; each other one is noted
    (``left_out``) with its reasons."""
    reasons = defaultdict(set)
    for p in report.problems:
        if p.kind in LEAVES_OUT:
            reasons[p.file].add(p.kind)
    kept = []
    for record in records:
        why = reasons.get(str(record.annotation), set()) | reasons.get(str(record.image), set())
        if why:
            report.note("left_out", record.annotation, None,
                        f"left out of the counting set ({', '.join(sorted(why))})")
        else:
            kept.append(record)
    return kept


def build_remotecount(label_dir: str | Path, out_dir: str | Path,
                      image_dir: str | Path | None = None, *, strict: bool = True,
                      **rules) -> CountBuild:
    """Read a DOTA-v1 ``labelTxt`` folder (images in ``image_dir``, by default the sibling
    ``images``), select the counting rows (:func:`select_counts`; ``rules`` are its keyword
    arguments) and write them to ``out_dir/counts.tsv`` with a stamp beside it.

    The rows are always made afresh (the report lists what the labels hold); the file is
    rewritten only when its stamp differs, saying what differs. A ``counts.tsv`` without this
    builder's stamp, or edited since it was written, raises :class:`StaleOutputError`."""
    label_dir, out_dir = Path(label_dir), Path(out_dir)
    image_dir = Path(image_dir) if image_dir is not None else label_dir.parent / "images"
    params = _rules(**{"min_count": 1, "max_count": 10, "choose": "most", "difficult": "skip",
                       "alone": False, "classes": None, **rules})
    result = read_dota(label_dir, image_dir, source="RemoteCount", split="val", strict=strict)
    report = result.report
    rows = select_counts(_leave_out_problem_files(result.records, report), **params)
    text = count_tsv_text(rows)

    tsv = out_dir / "counts.tsv"
    # the rows' own digest is a parameter: rows made differently rebuild the file, saying so
    want = make_stamp(STAGE, {**params, "rows_sha256": _sha256(text.encode("utf-8"))},
                      {"dota": _inputs_digest(label_dir, image_dir)},
                      profile=None, seed=None, data_root=None)
    before = read_stamp(tsv)
    if tsv.exists() and (before is None or before.get("stage") != STAGE):
        raise StaleOutputError(
            f"{tsv} exists without the stamp this builder writes ({stamp_path(tsv).name}, "
            f"stage {STAGE!r}), so it may be a counting set of your own: it is left as it "
            "is. Read it with read_count_tsv, or move it away to build the RemoteCount-like "
            "set there")
    made = ensure(tsv, want, lambda p: write_count_tsv(rows, tsv), lambda: [tsv],
                  f"the RemoteCount-like builder (from {label_dir})", verify="content")
    action = ("built" if before is None else
              "reused" if made["digest"] == before["digest"] else "rebuilt")
    return CountBuild(tsv, image_dir, rows, report, made, action)


def load_remotecount(label_dir: str | Path, out_dir: str | Path,
                     image_dir: str | Path | None = None, *, source: str = "RemoteCount",
                     strict: bool = False, **rules) -> ReadResult:
    """:func:`build_remotecount`, then its ``counts.tsv`` read by
    :func:`~rsclip_utils.datasets.read_count_tsv` (records with ``extra["count"]`` and one
    caption). The report holds both: the label files read, what was left out and why, and the
    rows read back. The catalog's ``RemoteCount`` loader (lenient, as every loader)."""
    build = build_remotecount(label_dir, out_dir, image_dir, strict=strict, **rules)
    result = read_count_tsv(build.tsv, build.image_dir, source=source, strict=strict)
    result.report.files += build.report.files
    result.report.problems[:0] = build.report.problems
    return result


__all__ = ["CHOICES", "DIFFICULT", "DOTA_V1_CLASSES", "LEAVES_OUT", "CountBuild",
           "build_remotecount", "load_remotecount", "remotecount_caption", "select_counts"]
