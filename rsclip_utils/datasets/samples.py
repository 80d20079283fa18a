"""The real samples in ``../shared/realdata``, each read by its reader. Introduced in notebook 00.

The folder (see its INVENTORY.md) holds small, mostly academic-use samples of the paper's
datasets in their original formats; they are read in place, never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

from ._common import ReadResult
from .caption_sets import read_karpathy, read_precomp
from .coco import read_coco
from .dota import read_dota
from .hrsc import read_hrsc
from .nwpu import read_nwpu_vhr10
from .scene_folders import read_rsicd_class_lists, read_scene_folders
from .segmentation import read_isaid, read_isprs, read_loveda
from .voc import read_voc


def read_real_samples(root: str | Path, strict: bool = True) -> dict[str, ReadResult]:
    """Every annotated sample under ``root`` (the realdata folder), keyed by a readable name."""
    R = Path(root)
    captions = R / "captions_rsicd_ucm_sydney_jbarata"
    precomp = R / "captions_amfmn_precomp"
    seg = R / "mmseg_tests_rs"
    dior = R / "dior_mmrotate"
    return {
        "DOTA (devkit)": read_dota(R / "dota_devkit_example" / "labelTxt", strict=strict),
        "DOTA (mmrotate patches)": read_dota(R / "mmrotate_tests_dota" / "labelTxt", strict=strict),
        "DIOR-R": read_voc(
            dior / "Annotations" / "Oriented Bounding Boxes",
            source="dior_r",
            image_set=dior / "ImageSets" / "demo.txt",
            strict=strict,
        ),
        "HRRSD (VOC)": read_voc(
            R / "hrrsd" / "OPT2017" / "Annotations", source="hrrsd", strict=strict
        ),
        "HRRSD (COCO)": read_coco(
            R / "hrrsd" / "COCOFormat" / "Anns" / "hrrsd_tiny_100_3084.json",
            source="hrrsd",
            strict=strict,
        ),
        "HRSC2016": read_hrsc(
            R / "hrsc2016_mmrotate" / "FullDataSet" / "Annotations", strict=strict
        ),
        "NWPU VHR-10 (txt)": read_nwpu_vhr10(R / "nwpu_vhr10" / "ground truth", strict=strict),
        "NWPU VHR-10 (COCO)": read_coco(
            R / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json",
            source="nwpu_vhr10",
            strict=strict,
        ),
        "iSAID": read_isaid(R / "isaid_devkit_samples", strict=strict),
        "LoveDA": read_loveda(seg / "pseudo_loveda_dataset", strict=strict),
        "Potsdam": read_isprs(seg / "pseudo_potsdam_dataset", source="potsdam", strict=strict),
        "Vaihingen": read_isprs(
            seg / "pseudo_vaihingen_dataset", source="vaihingen", strict=strict
        ),
        "UCM captions (Karpathy)": read_karpathy(
            captions / "captions" / "dataset_ucm_modified.json",
            captions / "UCM_images",
            strict=strict,
        ),
        "Sydney captions (Karpathy)": read_karpathy(
            captions / "captions" / "dataset_sydney_modified.json",
            captions / "Sydney_images",
            strict=strict,
        ),
        "RSICD (precomp)": read_precomp(precomp / "rsicd_precomp", strict=strict),
        "RSITMD (precomp)": read_precomp(precomp / "rsitmd_precomp", strict=strict),
        "UCM (precomp)": read_precomp(precomp / "ucm_precomp", strict=strict),
        "Sydney (precomp)": read_precomp(precomp / "sydney_precomp", strict=strict),
        "RSICD classes": read_rsicd_class_lists(
            R / "rsicd_official" / "txtclasses_rsicd_extracted", strict=strict
        ),
        "AID (folders)": read_scene_folders(R / "aid_scene_subset", source="aid", strict=strict),
        "RSSCN7 (folders)": read_scene_folders(R / "rsscn7_subset", source="rsscn7", strict=strict),
    }
