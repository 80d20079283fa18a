"""Caption readers for the RET sets (RSICD, RSITMD, UCM-captions, Sydney-captions).

Introduced in notebook 00. Two formats exist in the wild:

- Karpathy-style ``dataset_*.json``: ``{"dataset": .., "images": [{"filename", "imgid", "split",
  "sentences": [{"raw", "tokens", ..}, ..]}, ..]}``, the schema RemoteCLIP's retrieval script
  reads. Karpathy's COCO split calls extra training images ``restval``; they are read as
  ``train`` (the original split stays in ``extra``).
- AMFMN / GaLR "precomp" text: ``{split}_caps.txt`` (one caption per line) with
  ``{split}_filename.txt``. For train splits the filename file has one line per *image* (its k
  captions are consecutive), for test splits one line per *caption*. The reader tells the two
  apart by the line counts and refuses anything else.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..records import Record
from . import values
from ._common import ImageIndex, ReadResult, finish_record
from .file_text import read_json, read_text
from .read_report import ReadReport

SPLITS = ("train", "val", "test")
KARPATHY_EXPECTED = "Karpathy schema {'images': [...], 'dataset': ...}"
IMAGE_EXPECTED = "{'filename': str, 'split': str, 'sentences': [{'raw': str}, ...]}"


def _karpathy_image(im: dict) -> tuple[str, str, list[str], str]:
    """(filename, split, captions, filepath) of one ``images`` entry; ValueError saying what is
    wrong (a ``raw`` that is null, a number or empty is wrong: ``str`` would make "None")."""
    filename = values.json_text(im.get("filename"), "filename")
    split = values.json_text(im.get("split"), "split")
    sentences = im.get("sentences")
    if not isinstance(sentences, list) or not sentences:
        raise ValueError(f"sentences {sentences!r} is not a non-empty list")
    captions = []
    for k, s in enumerate(sentences):
        if not isinstance(s, dict):
            raise ValueError(f"sentences[{k}] is {type(s).__name__}, not an object")
        captions.append(values.json_text(s.get("raw"), f"sentences[{k}].raw"))
    filepath = im.get("filepath", "")
    if not isinstance(filepath, str):
        raise ValueError(f"filepath {filepath!r} is not a string")
    return filename, split, captions, filepath


def read_karpathy(
    json_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read a Karpathy-style captions JSON into one record per image with its captions.

    ``image_dir`` defaults to an ``images`` folder beside the JSON; ``source`` to the file's
    ``dataset`` field. An entry is malformed (raised in strict mode, listed and skipped in
    lenient mode, named ``images[i]``) when a field is missing or of the wrong type, a caption
    is null or empty, the split is unknown, or its filename or ``imgid`` repeats an earlier one.
    """
    json_path = Path(json_path)
    report = ReadReport(source=source or json_path.stem, strict=strict)
    report.files = 1
    jf = read_json(json_path, report, KARPATHY_EXPECTED)
    if jf is None:
        return ReadResult([], report)
    data = jf.data
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        report.malformed(json_path, None, "no top-level 'images' list", KARPATHY_EXPECTED)
        return ReadResult([], report)
    dataset = data.get("dataset")
    report.source = source or (dataset if isinstance(dataset, str) and dataset.strip()
                               else json_path.stem).strip().lower()
    images = ImageIndex(Path(image_dir) if image_dir else json_path.parent / "images")
    records = []
    seen_names: dict[str, int] = {}
    seen_ids: dict = {}
    for i, im in enumerate(data["images"]):
        where = f"images[{i}]"
        try:
            filename, split, captions, filepath = _karpathy_image(jf.object_entry(im))
            imgid = im.get("imgid", i)
            if isinstance(imgid, (dict, list)):
                raise ValueError(f"imgid {imgid!r} is not an id")
            key = str(Path(filepath) / filename)
            if key in seen_names:
                raise ValueError(f"{key} repeats images[{seen_names[key]}]")
            if imgid in seen_ids:
                raise ValueError(f"imgid {imgid!r} repeats images[{seen_ids[imgid]}]'s")
        except ValueError as e:
            report.malformed(json_path, None, f"{where} {e}", IMAGE_EXPECTED)
            continue
        if split == "restval":
            split = "train"
        if split not in SPLITS:
            report.malformed(
                json_path,
                None,
                f"{where} ({filename}): split {split!r}",
                f"one of {SPLITS} or 'restval'",
            )
            continue
        seen_names[key], seen_ids[imgid] = i, i
        image_path = images.locate(key, False)
        record = Record(
            image=str(image_path),
            source=report.source,
            image_id=str(imgid),
            split=split,
            captions=captions,
            annotation=str(json_path),
            extra={"original_split": im["split"]} if im["split"] != split else {},
        )
        records.append(finish_record(record, report, None, image_path))
    return ReadResult(records, report)


_CAPS = re.compile(r"^(?P<split>[a-z]+)_caps(?P<suffix>_[a-z]+)?\.txt$")


def precomp_splits(precomp_dir: str | Path) -> list[str]:
    """Split names that have both a caps and a filename file (e.g. train, test, val_verify)."""
    names = []
    for p in sorted(Path(precomp_dir).glob("*_caps*.txt")):
        m = _CAPS.match(p.name)
        if m and (p.parent / f"{m['split']}_filename{m['suffix'] or ''}.txt").is_file():
            names.append(m["split"] + (m["suffix"] or ""))
    return names


def _lines(path: Path, report: ReadReport) -> list[tuple[int, str]]:
    text = read_text(path, report)
    if text is not None and not text.strip():
        report.note("empty_file", path, None, "holds no line")
    return [(n, line.strip()) for n, line in enumerate((text or "").splitlines(), 1)]


def read_precomp(
    precomp_dir: str | Path,
    image_dir: str | Path | None = None,
    *,
    source: str | None = None,
    splits: list[str] | None = None,
    strict: bool = True,
) -> ReadResult:
    """Read AMFMN "precomp" caption files (the plain train/val/test splits present, or those named;
    variants such as Sydney's ``train_verify`` are read only when named).

    ``source`` defaults to the folder name without ``_precomp`` (``rsicd``, ``rsitmd``, ...).
    Image paths are ``image_dir/filename``; with no ``image_dir`` they stay bare filenames and
    are not checked (the precomp folders ship no images).
    """
    precomp_dir = Path(precomp_dir)
    source = source or precomp_dir.name.replace("_precomp", "")
    images = ImageIndex(image_dir)
    report = ReadReport(source=source, strict=strict)
    records = []
    if not precomp_dir.is_dir():
        report.malformed(precomp_dir, None, "no such folder", "a precomp folder of caption files")
        return ReadResult(records, report)
    if splits is None:
        found = precomp_splits(precomp_dir)
        splits = [s for s in found if "_" not in s] or found
        if not splits:
            report.note("empty_folder", precomp_dir, None,
                        "no {split}_caps.txt with its {split}_filename.txt in this folder")
    for split in splits:
        base, _, suffix = split.partition("_")
        suffix = f"_{suffix}" if suffix else ""
        caps_path = precomp_dir / f"{base}_caps{suffix}.txt"
        names_path = precomp_dir / f"{base}_filename{suffix}.txt"
        report.files += 2
        caps, names = _lines(caps_path, report), _lines(names_path, report)
        # An empty caption line still holds its slot (RSITMD's train file has blocks of five
        # empty lines): keep alignment, leave it out of the image's captions and report it.
        for lineno, text in names:
            if not text:
                report.malformed(names_path, lineno, "empty filename line", "one filename per line")
        names = [(n, t) for n, t in names if t]
        groups: dict[str, list[tuple[int, str]]] = {}
        if len(caps) == len(names):  # one filename line per caption (test splits)
            for (_, name), cap in zip(names, caps):
                groups.setdefault(name, []).append(cap)
        elif names and len(caps) % len(names) == 0:  # one filename line per image (train splits)
            k = len(caps) // len(names)
            for j, (lineno, name) in enumerate(names):
                if name in groups:
                    report.malformed(
                        names_path,
                        lineno,
                        f"{name} listed twice",
                        "each image once when captions come in blocks of k",
                    )
                    continue
                groups[name] = caps[j * k : (j + 1) * k]
        else:
            report.malformed(
                caps_path,
                None,
                f"{len(caps)} captions for {len(names)} filenames in {names_path}; split skipped",
                "one filename per caption, or k captions per filename",
            )
            continue
        split_name = base if base in SPLITS else split
        for name, numbered in groups.items():
            captions = [text for _, text in numbered if text]
            for lineno, text in numbered:
                if not text:
                    report.note("empty_caption", caps_path, lineno, f"empty caption of {name}")
            if not captions:
                report.note(
                    "no_captions",
                    caps_path,
                    numbered[0][0] if numbered else None,
                    f"{name} has no non-empty caption",
                )
            image_path = images.locate(name, False)
            record = Record(
                image=str(image_path) if image_path else name,
                source=source,
                image_id=Path(name).stem,
                split=split_name,
                captions=captions,
                annotation=str(caps_path),
                extra={"precomp_split": split} if split_name != split else {},
            )
            records.append(finish_record(record, report, None, image_path))
    return ReadResult(records, report)
