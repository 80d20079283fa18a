"""Box-to-Caption (B2C): five captions per image from its boxes, as RemoteCLIP turns ten
detection sets and four segmentation sets (through Mask-to-Box) into image-caption pairs
(paper section III-B1, Fig. 2). Introduced in notebook 03.

The paper's rules:

1. caption 1 is about the objects whose box centre lies in the centre of the image;
2. caption 2 is about the objects that are not in the centre;
3. captions 3-5 count object categories: random objects are chosen and a caption is made from
   their categories and counts;
4. a count over ten becomes a general quantifier ("many", "a quantity of", ...).

What the paper leaves open, and the choices here (all fields of :class:`B2CConfig`):

- the centre region: the middle half of the width and of the height (a box centre at fraction
  0.25 <= c < 0.75 of both sides), the region a later paper of the same group uses;
- counts as digits ("3 cars", as in the paper's examples), one object with an article
  ("an airplane"), over ten a quantifier drawn from the paper's list plus two plain ones;
- an image with nothing in the centre (or nothing at the edge) says so ("There is nothing in
  the middle of the picture ."), so that captions 1 and 2 always exist;
- several categories are listed most numerous first, at most ``max_categories`` of them, which
  keeps captions of English class names well inside open_clip's 77-token context (names in
  other scripts take several tokens a character, below);
- "stuff" classes from Mask-to-Box (road, water, farmland, ...) are named without a count
  ("3 buildings and water ...", "There is a place with water in this remote sensing picture .");
- sentences are capitalised and end with " ." like the paper's examples and RSICD's captions.

Class names are normalised per source in one table, :data:`CLASS_NAMES`.

Class names in other scripts (a Chinese ``飞机``, an Arabic ``طائرة``) are kept as they come and
worded like English ones, except that they take no English plural ("3 飞机", "a 飞机"; see
:func:`~rsclip_utils.text.plural`). open_clip's tokenizer
(:func:`~rsclip_utils.text.model_tokens`) is byte-level BPE: it never maps a character to
"unknown"; it spells such a name in byte tokens (``飞机`` is 5 tokens: ``é``, ``£``, ``ŀ``,
``æľ``, ``º</w>``; ``طائرة`` is 5) that decode back to the same text. Nothing is lost, but CLIP's
vocabulary was learnt from mostly English text, so these tokens mean little to a pretrained
model, and they fill the 77-token context faster (the manifest report counts captions over
it). Full-width forms fold to ASCII (``Ａ`` reads as ``a``).

Only an object that cannot be worded is dropped, and never silently: a class name with no
letter or digit in any script (empty, ``-``, ``?``), a class name holding a control character,
or a box that is not four finite numbers. :func:`box_to_captions` raises ``ValueError`` naming
such an object, unless it is given a ``dropped`` list to collect them in; the batch stage
(:func:`manifest_rows`) counts each with its reason (``objects_dropped`` in the report) and
captions the image from the rest.
"""

from __future__ import annotations

import math
import random
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .manifest import ManifestRow, clean_title, row_problem, write_manifest_rows
from .progress import tqdm
from .records import ObjectAnnotation, Record
from .text import NUMBER_WORDS, plural, with_article

# Source label (lower case, '-' and '_' as spaces) -> caption name. Labels not listed are used as
# they come after that normalisation ("small-vehicle" -> "small vehicle").
CLASS_NAMES = {
    # DIOR / DIOR-R (and the embedded DIOR-style set): words run together
    "baseballfield": "baseball field",
    "basketballcourt": "basketball court",
    "golffield": "golf field",
    "groundtrackfield": "ground track field",
    "storagetank": "storage tank",
    "tenniscourt": "tennis court",
    "trainstation": "train station",
    "expressway service area": "expressway service area",
    "expressway toll station": "expressway toll station",
    # HRRSD
    "t junction": "T-junction",
    # DOTA and iSAID
    "soccer ball field": "soccer field",
    "plane": "airplane",
    # ISPRS (via Mask-to-Box)
    "impervious surface": "impervious surface",
}


def normalise_label(label: str) -> str:
    """A source's class label as a caption noun: ``small-vehicle`` -> ``small vehicle``,
    ``Expressway-Service-area`` -> ``expressway service area``, ``storagetank`` ->
    ``storage tank``."""
    key = re.sub(r"\s+", " ", re.sub(r"[-_]", " ", label)).strip().lower()
    return CLASS_NAMES.get(key, key)


@dataclass(frozen=True)
class B2CConfig:
    """The choices B2C makes where the paper is silent (see the module docstring)."""

    centre: tuple[float, float] = (0.25, 0.75)
    many_threshold: int = 10
    quantifiers: tuple[str, ...] = (
        "many",
        "a quantity of",
        "lots of",
        "a crowd of",
        "a large number of",
        "plenty of",
    )
    number_words: bool = False
    max_categories: int = 6
    centre_templates: tuple[str, ...] = (
        "{group} in the middle of the picture .",
        "{group} {be} in the center of the image .",
        "in the middle of the picture there {be} {group} .",
    )
    edge_templates: tuple[str, ...] = (
        "{group} at the edge of the picture .",
        "{group} {be} around the edge of the image .",
        "near the edge of the picture there {be} {group} .",
    )
    empty_centre: str = "there is nothing in the middle of the picture ."
    empty_edge: str = "there is nothing at the edge of the picture ."
    count_templates: tuple[str, ...] = (
        "there {be} {group} in the picture .",
        "{group} {be} located in the picture .",
        "{group} can be seen in this remote sensing image .",
        "this picture contains {group} .",
        "there {be} {group} in this remote sensing picture .",
    )
    pair_template: str = "there are both {a} and {b} in the picture ."
    place_template: str = "there is a place with {group} in this remote sensing picture ."


DEFAULT_CONFIG = B2CConfig()


def _count_phrase(name: str, n: int, stuff: bool, cfg: B2CConfig, rng: random.Random) -> str:
    if stuff:
        return name
    if n == 1:
        return with_article(name)
    if n > cfg.many_threshold:
        return f"{rng.choice(cfg.quantifiers)} {plural(name)}"
    return f"{NUMBER_WORDS[n] if cfg.number_words else n} {plural(name)}"


def describe(
    counts: Sequence[tuple[str, int]], stuff: set[str], cfg: B2CConfig, rng: random.Random
) -> tuple[str, str]:
    """A noun phrase for several categories with their counts, most numerous first
    ("4 large vehicles, a small vehicle and 5 planes"), and the verb that agrees with it."""
    ordered = sorted(counts, key=lambda kv: (kv[0] in stuff, -kv[1], kv[0]))[: cfg.max_categories]
    parts = [_count_phrase(name, n, name in stuff, cfg, rng) for name, n in ordered]
    phrase = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    single = len(ordered) == 1 and (ordered[0][1] == 1 or ordered[0][0] in stuff)
    return phrase, "is" if single else "are"


def _finish(text: str) -> str:
    text = " ".join(text.split())
    return text[0].upper() + text[1:]


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def object_problem(label, box) -> str | None:
    """Why an object cannot be worded in a caption (None when it can): a class name with no
    letter or digit in any script, or with a control character (a tab or line break is a
    space: :func:`normalise_label`), or a box that is not four finite numbers. The reason names
    neither, so that the batch report counts objects by it."""
    if not isinstance(label, str):
        return "class name is not text"
    name = normalise_label(label)
    if _CONTROL.search(name):
        return "class name holds a control character"
    if not any(c.isalnum() for c in name):
        return "class name gives no caption noun (no letter or digit in any script)"
    try:
        coords = [float(v) for v in box]
    except (TypeError, ValueError):
        coords = []
    if len(coords) != 4 or not all(math.isfinite(v) for v in coords):
        return "box is not four finite numbers"
    return None


def _objects(objects, dropped: list | None = None) -> list[tuple[str, Sequence[int]]]:
    """``(caption name, box)`` of every usable object; an unusable one raises ``ValueError``
    naming it, or, with ``dropped`` a list, is appended there as ``(label, box, reason)``."""
    out = []
    for o in objects:
        label, box = (o.label, o.box) if isinstance(o, ObjectAnnotation) else o
        problem = object_problem(label, box)
        if problem is None:
            out.append((normalise_label(label), box))
        elif dropped is None:
            raise ValueError(problem.replace("class name", f"class name {label!r}", 1)
                             .replace("box", f"box {box!r}", 1) + f" (object {label!r})")
        else:
            dropped.append((label, box, problem))
    return out


def box_to_captions(
    objects,
    width: int,
    height: int,
    seed: int = 0,
    config: B2CConfig = DEFAULT_CONFIG,
    stuff: Iterable[str] = (),
    dropped: list | None = None,
) -> list[str]:
    """Five distinct captions for an image of ``width`` x ``height`` from its objects.

    ``objects`` are ``(class_name, [xmin, ymin, xmax, ymax])`` pairs (Mask-to-Box's output) or
    :class:`~rsclip_utils.records.ObjectAnnotation`. ``stuff`` names classes to mention without
    a count. Same input and seed, same captions. Raises ``ValueError`` for an image without
    objects (the batch stage counts those instead) and for an object that cannot be worded
    (:func:`object_problem`), unless ``dropped`` is a list: such objects are then appended to
    it as ``(label, box, reason)`` and the image is captioned from the others."""
    objs = _objects(objects, dropped)
    if not objs:
        if dropped:
            why = "; ".join(sorted({d[2] for d in dropped}))
            raise ValueError(f"no usable object, every one dropped: {why}")
        raise ValueError("an image without objects gets no captions")
    if width <= 0 or height <= 0:
        raise ValueError(f"image size must be positive, got {width}x{height}")
    stuff_names = {normalise_label(s) for s in stuff}
    cfg, rng = config, random.Random(seed)
    lo, hi = cfg.centre

    def in_centre(box) -> bool:
        fx = ((box[0] + box[2]) / 2 + 0.5) / width
        fy = ((box[1] + box[3]) / 2 + 0.5) / height
        return lo <= fx < hi and lo <= fy < hi

    centre = Counter(name for name, box in objs if in_centre(box))
    edge = Counter(name for name, box in objs if not in_centre(box))
    total = Counter(name for name, _ in objs)
    captions: list[str] = []

    def add(text: str) -> bool:
        text = _finish(text)
        if text in captions:
            return False
        captions.append(text)
        return True

    for counts, templates, empty in (
        (centre, cfg.centre_templates, cfg.empty_centre),
        (edge, cfg.edge_templates, cfg.empty_edge),
    ):
        if counts:
            group, be = describe(list(counts.items()), stuff_names, cfg, rng)
            add(rng.choice(templates).format(group=group, be=be))
        else:
            add(empty)
    categories = sorted(total)

    def count_caption(chosen: list[str]) -> str:
        things = [c for c in chosen if c not in stuff_names]
        if not things:
            group, _ = describe([(c, total[c]) for c in chosen], stuff_names, cfg, rng)
            return cfg.place_template.format(group=group)
        if len(things) == 2 and len(chosen) == 2 and rng.random() < 0.3:
            return cfg.pair_template.format(a=plural(things[0]), b=plural(things[1]))
        group, be = describe([(c, total[c]) for c in chosen], stuff_names, cfg, rng)
        return rng.choice(cfg.count_templates).format(group=group, be=be)

    for _ in range(40):  # captions 3-5: random categories with their counts
        if len(captions) == 5:
            break
        k = rng.randint(1, min(3, len(categories)))
        add(count_caption(rng.sample(categories, k)))
    for template in cfg.count_templates:  # a small image may need every wording to reach five
        for c in categories:
            if len(captions) == 5:
                return captions
            group, be = describe([(c, total[c])], stuff_names, cfg, rng)
            add(template.format(group=group, be=be))
    if len(captions) < 5:
        raise RuntimeError(f"only {len(captions)} distinct captions for {objs}")  # unreachable
    return captions


def record_seed(seed: int, record: Record) -> int:
    """A per-image seed from the run seed and the record's identity (order- and
    worker-independent)."""
    return zlib.crc32(f"{seed}/{record.source}/{record.image_id}".encode())


def captions_for_record(
    record: Record, seed: int = 0, config: B2CConfig = DEFAULT_CONFIG,
    dropped: list | None = None,
) -> list[str]:
    """B2C captions of a record with boxes (its size and objects; stuff from Mask-to-Box);
    ``dropped`` as in :func:`box_to_captions`."""
    if record.width is None or record.height is None:
        raise ValueError(f"{record.image}: image size unknown")
    return box_to_captions(
        record.objects,
        record.width,
        record.height,
        record_seed(seed, record),
        config,
        stuff=record.extra.get("stuff_labels", ()),
        dropped=dropped,
    )


_TOKENIZER = None


def token_count(text: str) -> int:
    """Tokens open_clip's tokenizer makes of ``text``, start and end tokens included
    (open_clip's context is 77)."""
    global _TOKENIZER
    if _TOKENIZER is None:
        from open_clip.tokenizer import SimpleTokenizer

        _TOKENIZER = SimpleTokenizer()
    return len(_TOKENIZER.encode(text)) + 2


CONTEXT_LENGTH = 77


@dataclass
class ManifestReport:
    """Per source: images, captions written, images skipped and why, objects and captions
    dropped and why, long captions."""

    sources: dict = field(default_factory=dict)

    def _source(self, source: str) -> dict:
        return self.sources.setdefault(
            source,
            {
                "images": 0,
                "captioned": 0,
                "captions": 0,
                "kind": Counter(),
                "skipped": Counter(),
                "skipped_examples": [],
                "dropped_captions": Counter(),
                "dropped_examples": [],
                "dropped_objects": Counter(),
                "dropped_objects_examples": [],
                "over_context": 0,
            },
        )

    def to_dict(self) -> dict:
        """JSON-ready per-source counts: images, captioned, captions, skipped, long captions."""
        return {
            src: {
                "images": s["images"],
                "images_captioned": s["captioned"],
                "captions": s["captions"],
                "from": dict(s["kind"]),
                "skipped": dict(s["skipped"]),
                "skipped_examples": s["skipped_examples"],
                "captions_dropped": dict(s["dropped_captions"]),
                "captions_dropped_examples": s["dropped_examples"],
                "objects_dropped": dict(s["dropped_objects"]),
                "objects_dropped_examples": s["dropped_objects_examples"],
                "captions_over_77_tokens": s["over_context"],
            }
            for src, s in self.sources.items()
        }




def manifest_rows(
    records: Iterable[Record],
    seed: int = 0,
    config: B2CConfig = DEFAULT_CONFIG,
    report: ManifestReport | None = None,
    check_images: bool = True,
    progress: bool = True,
):
    """Yield manifest rows (one per caption): human captions of RET train records, B2C captions
    of records with boxes. Everything skipped is counted in ``report`` with the reason: whole
    images (``skipped``), single captions (``captions_dropped``) and single objects that cannot
    be worded (``objects_dropped``: the image is captioned from its other objects)."""
    report = report if report is not None else ManifestReport()
    for r in tqdm(records, desc="B2C", unit="img", disable=not progress):
        s = report._source(r.source)
        s["images"] += 1

        def skip(why: str, r=r, s=s) -> None:
            s["skipped"][why] += 1
            if len(s["skipped_examples"]) < 10:
                s["skipped_examples"].append(f"{r.image}: {why}")

        if r.captions:
            if r.split != "train":
                skip(f"human captions of the {r.split} split (only train is used)")
                continue
            captions, kind = [], "human captions"
            for c in r.captions:  # one line each; a caption no reader would read back is dropped
                problem = row_problem(("x", c))
                if problem:
                    s["dropped_captions"][problem.split(" (")[0]] += 1
                    if len(s["dropped_examples"]) < 10:
                        s["dropped_examples"].append(f"{r.image}: {problem}")
                else:
                    captions.append(" ".join(clean_title(c).split()))
            if not captions:
                skip("no usable caption")
                continue
        elif r.objects:
            if r.width is None or r.height is None:
                skip("image size unknown (image missing)")
                continue
            dropped: list = []
            try:
                captions, kind = captions_for_record(r, seed, config, dropped), "B2C"
            except ValueError as e:  # no usable object left: the record's source is named
                captions, kind = None, f"{e}"
            for label, box, why in dropped:  # each counted, whether or not the image is kept
                s["dropped_objects"][why] += 1
                if len(s["dropped_objects_examples"]) < 10:
                    s["dropped_objects_examples"].append(
                        f"{r.image}: object {label!r} {box!r}: "
                        f"{why}; dropped")
            if captions is None:
                skip(kind)
                continue
        else:
            skip("no objects")
            continue
        if check_images and (r.image is None or not Path(r.image).is_file()):
            skip("image file missing")
            continue
        s["captioned"] += 1
        s["kind"][kind] += 1
        for c in captions:
            if token_count(c) > CONTEXT_LENGTH:
                s["over_context"] += 1
            s["captions"] += 1
            yield ManifestRow(str(Path(r.image).resolve()), c, r.source, r.image_id, r.split or "")


def write_manifest(
    records: Iterable[Record],
    path: str | Path,
    seed: int = 0,
    config: B2CConfig = DEFAULT_CONFIG,
    check_images: bool = True,
    progress: bool = True,
) -> ManifestReport:
    """``manifest.tsv`` (:mod:`rsclip_utils.manifest`: one row per caption), readable as is by
    ``open_clip_train.main --dataset-type csv``."""
    report = ManifestReport()
    write_manifest_rows(path, manifest_rows(records, seed, config, report, check_images,
                                            progress))
    return report


__all__ = [
    "B2CConfig",
    "CLASS_NAMES",
    "DEFAULT_CONFIG",
    "box_to_captions",
    "captions_for_record",
    "normalise_label",
    "object_problem",
    "plural",
    "with_article",
    "token_count",
    "write_manifest",
    "manifest_rows",
    "ManifestReport",
    "NUMBER_WORDS",
]
