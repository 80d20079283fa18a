"""Reading the embedded sets back through the same readers as real data.

Introduced in notebook 00."""

from __future__ import annotations

from pathlib import Path

from ._common import ReadResult, concat_results
from .caption_sets import read_karpathy
from .counting import read_count_tsv
from .dota import read_dota
from .scene_folders import read_scene_folders
from .segmentation import read_isaid, read_loveda
from .voc import read_voc

EMBEDDED_SOURCES = {
    "ret": "synth_ret",
    "dota": "synth_dota",
    "voc": "synth_dior",
    "loveda": "synth_loveda",
    "isaid": "synth_isaid",
    "cls": "synth_aid",
    "eurosat": "synth_eurosat",
    "uav": "synth_uav",
    "count": "synth_count",
}
SCENE_FOLDERS = {"cls": "cls", "eurosat": "cls_eurosat", "uav": "cls_uav"}


def load_embedded(root: str | Path) -> dict[str, ReadResult]:
    """Every embedded set under ``root`` read by its real-format reader, keyed like the generator's
    subsets (``ret``, ``dota``, ``voc``, ``loveda``, ``isaid``, the scene sets ``cls``,
    ``eurosat`` and ``uav``, ``count``)."""
    root = Path(root)
    src = EMBEDDED_SOURCES
    dota = root / "det_dota"
    voc = root / "det_voc"
    return {
        "ret": read_karpathy(
            root / "ret" / "dataset.json", root / "ret" / "images", source=src["ret"]
        ),
        "dota": concat_results(
            [
                read_dota(d / "labelTxt", source=src["dota"], split=d.name)
                for d in sorted(dota.iterdir())
                if (d / "labelTxt").is_dir()
            ],
            src["dota"],
        ),
        "voc": concat_results(
            [
                read_voc(
                    voc / "Annotations",
                    source=src["voc"],
                    split=s,
                    image_set=voc / "ImageSets" / "Main" / f"{s}.txt",
                )
                for s in ("trainval", "test")
            ],
            src["voc"],
        ),
        "loveda": read_loveda(root / "seg_loveda", source=src["loveda"]),
        "isaid": read_isaid(root / "seg_isaid", source=src["isaid"]),
        **{key: read_scene_folders(root / folder, source=src[key])
           for key, folder in SCENE_FOLDERS.items()},
        "count": read_count_tsv(root / "count" / "counts.tsv", source=src["count"]),
    }
