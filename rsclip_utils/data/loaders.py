"""Each registered dataset's official layout read into records, through the readers of notebook 00.

Introduced in notebook 00 (paper profile). ``LOADERS[entry.loader](folder, source)`` returns a
:class:`~rsclip_utils.datasets.ReadResult` with every record's ``source`` set to the registry key,
in lenient mode (bad lines are counted and listed in the report, never fatal in a batch).

Where the paper is silent, the detection sets contribute their train and val splits (their test
splits are left out, as a benchmark's test images usually are); RET-3 contributes all splits (the
train split is captioned for training, val and test are evaluation sets that de-duplication keeps
out of training); the scene sets are split 8:2 per class by file name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import datasets as ds
from ..errors import ReadReport
from .registry import Dataset


def _concat(parts: list[ds.ReadResult], source: str) -> ds.ReadResult:
    report = ReadReport(source=source, strict=False)
    records = []
    for p in parts:
        report.merge(p.report)
        records += p.records
    return ds.ReadResult(records, report)


def _karpathy(folder: Path, source: str, entry: Dataset) -> ds.ReadResult:
    json_file = next(i["path"] for i in entry.layout if i["type"] == "file")
    image_dir = next(i["path"] for i in entry.layout if i["type"] == "dir")
    return ds.read_karpathy(folder / json_file, folder / image_dir, source=source, strict=False)


def _dota(folder: Path, source: str) -> ds.ReadResult:
    return _concat([ds.read_dota(folder / s / "labelTxt", source=source, split=s, strict=False)
                    for s in ("train", "val") if (folder / s / "labelTxt").is_dir()], source)


def _voc_sets(ann: Path, images: Path, sets: Path, source: str) -> ds.ReadResult:
    return _concat([ds.read_voc(ann, images, source=source, split=s,
                                image_set=sets / f"{s}.txt", strict=False)
                    for s in ("train", "val") if (sets / f"{s}.txt").is_file()], source)


def _dior(folder: Path, source: str) -> ds.ReadResult:
    return _voc_sets(folder / "Annotations", folder / "JPEGImages-trainval",
                     folder / "ImageSets" / "Main", source)


def _hrrsd(folder: Path, source: str) -> ds.ReadResult:
    base = folder / "OPT2017"
    return _voc_sets(base / "Annotations", base / "JPEGImages", base / "ImageSets" / "Main",
                     source)


def _rsod(folder: Path, source: str) -> ds.ReadResult:
    return _concat([ds.read_voc(c / "Annotation" / "xml", c / "JPEGImages", source=source,
                                strict=False)
                    for c in sorted(folder.iterdir()) if (c / "Annotation" / "xml").is_dir()],
                   source)


def _hrsc(folder: Path, source: str) -> ds.ReadResult:
    base = folder / "FullDataSet"
    return ds.read_hrsc(base / "Annotations", base / "AllImages", source=source, strict=False)


def _visdrone(folder: Path, source: str) -> ds.ReadResult:
    return _concat([ds.read_visdrone(folder / f"VisDrone2019-DET-{s}", source=source, split=s,
                                     strict=False)
                    for s in ("train", "val") if (folder / f"VisDrone2019-DET-{s}").is_dir()],
                   source)


def _stanford_drone(folder: Path, source: str) -> ds.ReadResult:
    """Frames are cut from the videos on first use (``frames/``), then the annotations are read
    again so that the report counts only frames that are really missing."""
    result = ds.read_stanford_drone(folder, source=source, strict=False)
    if (folder / "videos").is_dir() and result.report.counts().get("missing_image"):
        ds.extract_sdd_frames(folder, list(result))
        result = ds.read_stanford_drone(folder, source=source, strict=False)
    return result


def _isprs(folder: Path, source: str) -> ds.ReadResult:
    return ds.read_isprs(folder, source=source, strict=False)


LOADERS: dict[str, Callable[[Path, str], ds.ReadResult]] = {
    "dota": _dota,
    "dior": _dior,
    "hrrsd": _hrrsd,
    "rsod": _rsod,
    "levir": lambda f, s: ds.read_levir(f / "imageWithLabel", source=s, strict=False),
    "hrsc": _hrsc,
    "visdrone": _visdrone,
    "auair": lambda f, s: ds.read_auair(f / "annotations.json", source=s, strict=False),
    "stanford_drone": _stanford_drone,
    "carpk": lambda f, s: ds.read_carpk(f / "CARPK_devkit" / "data", source=s, strict=False),
    "isaid": lambda f, s: ds.read_isaid(f, source=s, strict=False),
    "loveda": lambda f, s: ds.read_loveda(f, source=s, strict=False),
    "potsdam": _isprs,
    "vaihingen": _isprs,
    "scene_folders": lambda f, s: ds.read_scene_folders(f, source=s, strict=False),
}


def load_dataset(entry: Dataset, data_root: str | Path) -> ds.ReadResult:
    """The records of one registered dataset under ``data_root`` (source = its registry key)."""
    folder = entry.folder(data_root)
    if entry.loader == "karpathy":  # the file names differ per set: taken from the layout
        return _karpathy(folder, entry.key, entry)
    try:
        loader = LOADERS[entry.loader]
    except KeyError:
        raise KeyError(f"registry entry {entry.key}: no loader {entry.loader!r}; "
                       f"known: {sorted(LOADERS)}") from None
    return loader(folder, entry.key)
