"""Each registered dataset's official layout read into records, through the readers of notebook 00.

Introduced in notebook 00 (paper profile). ``LOADERS[entry.loader](folder, entry)`` returns a
:class:`~rsclip_utils.datasets.ReadResult` with every record's ``source`` set to the registry key,
in lenient mode (bad lines are counted and listed in the report, never fatal in a batch).

Where the paper is silent, the detection sets contribute their train and val splits (their test
splits are left out, as a benchmark's test images usually are); RET-3 contributes all splits (the
train split is captioned for training, val and test are evaluation sets that de-duplication keeps
out of training); the scene sets are split 8:2 per class by file name. The counting set
(``RemoteCount``) is built from DOTA's val split into ``DATA_ROOT/RemoteCount/counts.tsv``
(:mod:`rsclip_utils.datasets.remotecount`, which states its rules).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .. import datasets as ds
from ..datasets._common import concat_results
from .registry import Dataset

SPLITS = ("train", "val")


def _karpathy(folder: Path, e: Dataset) -> ds.ReadResult:
    """The JSON and image folder names differ per set: both come from the layout."""
    json_file = next(i["path"] for i in e.layout if i["type"] == "file")
    image_dir = next(i["path"] for i in e.layout if i["type"] == "dir")
    return ds.read_karpathy(folder / json_file, folder / image_dir, source=e.key, strict=False)


def _dota(folder: Path, e: Dataset) -> ds.ReadResult:
    return concat_results([ds.read_dota(folder / s / "labelTxt", source=e.key, split=s,
                                        strict=False)
                           for s in SPLITS if (folder / s / "labelTxt").is_dir()], e.key, False)


def _voc_sets(base: Path, images: str, e: Dataset) -> ds.ReadResult:
    sets = base / "ImageSets" / "Main"
    return concat_results([ds.read_voc(base / "Annotations", base / images, source=e.key,
                                       split=s, image_set=sets / f"{s}.txt", strict=False)
                           for s in SPLITS if (sets / f"{s}.txt").is_file()], e.key, False)


def _rsod(folder: Path, e: Dataset) -> ds.ReadResult:
    classes = [c for c in sorted(folder.iterdir()) if (c / "Annotation" / "xml").is_dir()]
    return concat_results([ds.read_voc(c / "Annotation" / "xml", c / "JPEGImages", source=e.key,
                                       strict=False) for c in classes], e.key, False)


def _visdrone(folder: Path, e: Dataset) -> ds.ReadResult:
    return concat_results([ds.read_visdrone(folder / f"VisDrone2019-DET-{s}", source=e.key,
                                            split=s, strict=False)
                           for s in SPLITS if (folder / f"VisDrone2019-DET-{s}").is_dir()],
                          e.key, False)


def _stanford_drone(folder: Path, e: Dataset) -> ds.ReadResult:
    """Frames are cut from the videos on first use (``frames/``), then the annotations are read
    again so that the report counts only frames that are really missing."""
    result = ds.read_stanford_drone(folder, source=e.key, strict=False)
    if (folder / "videos").is_dir() and result.report.counts().get("missing_image"):
        ds.extract_sdd_frames(folder, list(result))
        result = ds.read_stanford_drone(folder, source=e.key, strict=False)
    return result


def _remotecount(folder: Path, e: Dataset) -> ds.ReadResult:
    """``folder`` is the DOTA entry's (the entry ``reads`` it); the built ``counts.tsv`` goes to
    the entry's own folder, ``DATA_ROOT/<key>/``."""
    val = folder / "val"
    return ds.load_remotecount(val / "labelTxt", folder.parent / e.key, val / "images",
                               source=e.key, strict=False)


def _hrsc(folder: Path, e: Dataset) -> ds.ReadResult:
    base = folder / "FullDataSet"
    return ds.read_hrsc(base / "Annotations", base / "AllImages", source=e.key, strict=False)


LOADERS: dict[str, Callable[[Path, Dataset], ds.ReadResult]] = {
    "karpathy": _karpathy,
    "dota": _dota,
    "dior": lambda f, e: _voc_sets(f, "JPEGImages-trainval", e),
    "hrrsd": lambda f, e: _voc_sets(f / "OPT2017", "JPEGImages", e),
    "rsod": _rsod,
    "levir": lambda f, e: ds.read_levir(f / "imageWithLabel", source=e.key, strict=False),
    "hrsc": _hrsc,
    "visdrone": _visdrone,
    "auair": lambda f, e: ds.read_auair(f / "annotations.json", source=e.key, strict=False),
    "stanford_drone": _stanford_drone,
    "carpk": lambda f, e: ds.read_carpk(f / "CARPK_devkit" / "data", source=e.key, strict=False),
    "isaid": lambda f, e: ds.read_isaid(f, source=e.key, strict=False),
    "loveda": lambda f, e: ds.read_loveda(f, source=e.key, strict=False),
    "potsdam": lambda f, e: ds.read_isprs(f, source=e.key, strict=False),
    "vaihingen": lambda f, e: ds.read_isprs(f, source=e.key, strict=False),
    "scene_folders": lambda f, e: ds.read_scene_folders(f, source=e.key, strict=False),
    "remotecount": _remotecount,
}


def load_dataset(entry: Dataset, data_root: str | Path) -> ds.ReadResult:
    """The records of one registered dataset under ``data_root`` (source = its registry key)."""
    try:
        loader = LOADERS[entry.loader]
    except KeyError:
        raise KeyError(f"registry entry {entry.key}: no loader {entry.loader!r}; "
                       f"known: {sorted(LOADERS)}") from None
    return loader(entry.folder(data_root), entry)
