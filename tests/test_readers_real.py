"""Every file of every format in ../shared/realdata parses, with its counts checked.

Counts come from INVENTORY.md and the datasets' own documents (HRRSD tiny COCO: 100 images,
249 boxes; NWPU COCO: 650 images, 3921 annotations; ...). Skipped where the folder is absent.
"""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from rsclip_utils import datasets as ds
from rsclip_utils.datasets import IMAGE_EXTENSIONS


def test_dota_devkit_labels(realdata):
    res = ds.read_dota(realdata / "dota_devkit_example" / "labelTxt")
    assert res.report.files == 7 and len(res) == 7
    assert res.report.objects == 984
    assert len({o.label for r in res for o in r.objects}) == 12
    p0706 = next(r for r in res if r.image_id == "P0706")
    assert p0706.extra == {"imagesource": "GoogleEarth", "gsd": "0.255589285596"}
    assert (p0706.width, p0706.height) == (1111, 1182)
    # the vertex at x=1112 of a 1111-px image: clipped and reported at its line
    clipped = [p for p in res.report.problems if p.kind == "box_clipped" and p.line == 3]
    assert clipped and "P0706.txt" in clipped[0].file
    assert p0706.objects[0].box[2] == 1110 and p0706.objects[0].polygon[0][6] == 1112.0
    missing = {Path(p.file).stem for p in res.report.problems if p.kind == "missing_image"}
    assert missing == {"P0770", "P1088", "P1234", "P2598", "P2709"}
    assert all(r.width is None for r in res if r.image_id in missing)
    assert (
        sum(len(r.objects) for r in res if r.image_id in missing)
        == 24 + 36 + 146 + 28 + 160 - 5 * 2
    )


def test_dota_patches_without_header_and_an_empty_file(realdata):
    res = ds.read_dota(realdata / "mmrotate_tests_dota" / "labelTxt")
    counts = res.report.counts()
    assert counts["empty_file"] == 1
    empty = next(r for r in res if r.image_id == "P0004__1__0___1024")
    assert empty.objects == [] and empty.extra == {}
    # the thumbnails are 170-294 px while the labels use 1024-px patch coordinates
    assert counts["box_outside_image"] >= 1
    assert {r.image_id: (r.width, r.height) for r in res if r.width}["P0004__1__0___0"] == (
        285,
        294,
    )


def test_dior_r_robndbox(realdata):
    res = ds.read_voc(
        realdata / "dior_mmrotate" / "Annotations" / "Oriented Bounding Boxes",
        source="dior_r",
        image_set=realdata / "dior_mmrotate" / "ImageSets" / "demo.txt",
    )
    (r,) = res
    assert Path(r.image).name == "00001.jpg" and (r.width, r.height) == (800, 800)
    (o,) = r.objects
    assert o.label == "golffield"
    assert o.box == (132, 236, 683, 671)  # VOC is 1-based: 133..684 -> 132..683
    assert o.polygon == [[132.0, 236.0, 683.0, 236.0, 683.0, 671.0, 132.0, 671.0]]
    assert not res.report.problems


def test_hrrsd_xml_equals_its_own_coco_export(realdata):
    xml = ds.read_voc(realdata / "hrrsd" / "OPT2017" / "Annotations", source="hrrsd")
    coco = ds.read_coco(
        realdata / "hrrsd" / "COCOFormat" / "Anns" / "hrrsd_tiny_100_3084.json", source="hrrsd"
    )
    assert (xml.report.files, len(xml), xml.report.objects) == (100, 100, 249)
    assert (len(coco), coco.report.objects) == (100, 249)
    assert xml.report.counts() == {"missing_image": 100}  # the repository ships no images
    by_name = {Path(r.image).name: r for r in coco}
    for r in xml:  # an independent oracle for the VOC 1-based shift and COCO's w = xmax-xmin+1
        other = by_name[Path(r.image).name]
        assert (r.width, r.height) == (other.width, other.height)
        assert sorted((o.label, o.box) for o in r.objects) == sorted(
            (o.label, o.box) for o in other.objects
        )


def test_hrrsd_coco_categories_start_at_zero(realdata):
    coco = ds.read_coco(realdata / "hrrsd" / "COCOFormat" / "Anns" / "hrrsd_tiny_100_3084.json")
    labels = Counter(o.label for r in coco for o in r.objects)
    assert "bridge" in labels  # category id 0
    assert len(labels) <= 13


def test_hrsc_rotated_box(realdata):
    res = ds.read_hrsc(realdata / "hrsc2016_mmrotate" / "FullDataSet" / "Annotations")
    (r,) = res
    assert (r.image_id, r.width, r.height) == ("100000006", 1172, 816)
    (o,) = r.objects
    assert o.label == "ship" and o.box == (119, 75, 587, 789)
    corners = np.array(o.polygon[0]).reshape(4, 2)
    assert np.allclose(corners.mean(0), (341.2143, 443.3325))
    sides = np.linalg.norm(np.roll(corners, -1, 0) - corners, axis=1)
    assert np.allclose(sorted(sides), sorted([178.2595, 178.2595, 778.4297, 778.4297]))
    assert res.report.counts() == {"missing_image": 1}


def test_nwpu_txt_and_coco(realdata):
    txt = ds.read_nwpu_vhr10(realdata / "nwpu_vhr10" / "ground truth")
    assert (txt.report.files, len(txt), txt.report.objects) == (650, 650, 3896)
    assert {o.label for r in txt for o in r.objects} == set(ds.NWPU_CLASSES.values())
    coco = ds.read_coco(
        realdata / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json"
    )
    assert (len(coco), coco.report.objects) == (650, 3921)
    assert all(o.polygon for r in coco for o in r.objects)
    assert len({o.label for r in coco for o in r.objects}) == 10


def test_isaid_masks_decode_without_unknown_colours(realdata):
    res = ds.read_isaid(realdata / "isaid_devkit_samples")
    assert sorted((r.split, r.image_id) for r in res) == [
        ("train", "P0005"),
        ("val", "P0003"),
        ("val", "P0004"),
    ]
    for r in res:
        lm = ds.decode_mask(r.mask, r.mask_format)
        assert lm.unknown == {}
        assert lm.labels.shape == (r.height, r.width)
        inst = ds.decode_mask(r.extra["instance_mask"], "isaid_id")
        assert (inst.labels > 0).sum() == (lm.labels > 0).sum()  # instances cover the classes
    p0003 = next(r for r in res if r.image_id == "P0003")
    present = ds.decode_mask(p0003.mask, "isaid_color").present()
    assert set(present) == {"Small_Vehicle", "Large_Vehicle", "storage_tank"}
    assert present["storage_tank"] == 403


@pytest.mark.parametrize(
    "folder, reader, fmt, n",
    [
        ("pseudo_loveda_dataset", "loveda", "loveda", 3),
        ("pseudo_potsdam_dataset", "isprs", "isprs_index", 1),
        ("pseudo_vaihingen_dataset", "isprs", "isprs_index", 1),
    ],
)
def test_index_masks(realdata, folder, reader, fmt, n):
    root = realdata / "mmseg_tests_rs" / folder
    res = ds.read_loveda(root) if reader == "loveda" else ds.read_isprs(root, source=folder)
    assert len(res) == n and not res.report.problems
    for r in res:
        lm = ds.decode_mask(r.mask, r.mask_format)
        assert r.mask_format == fmt and lm.unknown == {}
        assert lm.labels.shape == (r.height, r.width)


def test_isprs_rgb_code_decodes_to_the_index_values(realdata):
    """The original ISPRS colours and mmseg's converted index maps mean the same classes."""
    path = (
        realdata / "mmseg_tests_rs" / "pseudo_potsdam_dataset" / "ann_dir" / "2_10_0_0_512_512.png"
    )
    index = ds.decode_mask(path, "isprs_index")
    rgb = ds.encode_mask(index.labels, "isprs_rgb")
    assert (ds.decode_array(rgb, "isprs_rgb").labels == index.labels).all()
    assert index.present()["building"] > 0 and index.present()["car"] > 0


def test_karpathy_captions(realdata):
    base = realdata / "captions_rsicd_ucm_sydney_jbarata"
    ucm = ds.read_karpathy(base / "captions" / "dataset_ucm_modified.json", base / "UCM_images")
    assert ucm.report.source == "ucm"
    assert (len(ucm), ucm.report.captions) == (2100, 10500)
    assert Counter(r.split for r in ucm) == {"train": 1680, "val": 210, "test": 210}
    assert ucm.report.counts() == {"missing_image": 2091}  # 9 of the 2100 images are here
    assert sum(r.width == 256 for r in ucm) == 9
    syd = ds.read_karpathy(
        base / "captions" / "dataset_sydney_modified.json", base / "Sydney_images"
    )
    assert (len(syd), syd.report.captions) == (613, 3065)
    assert Counter(r.split for r in syd) == {"train": 497, "val": 58, "test": 58}


@pytest.mark.parametrize(
    "name, train, test, captions, empty",
    [
        ("rsicd", 9828, 1093, 54605, 0),
        ("rsitmd", 4291, 452, 23715, 20),
        ("ucm", 1680, 210, 9450, 0),
        ("sydney", 497, 58, 2775, 0),
    ],
)
def test_precomp_captions(realdata, name, train, test, captions, empty):
    res = ds.read_precomp(realdata / "captions_amfmn_precomp" / f"{name}_precomp")
    assert Counter(r.split for r in res) == {"train": train, "test": test}
    assert res.report.captions == captions - empty
    assert res.report.counts().get("empty_caption", 0) == empty
    assert all(len(r.captions) == 5 for r in res if r.split == "test")  # one line per caption
    if empty:  # RSITMD: four images whose five caption lines are all empty
        assert res.report.counts()["no_captions"] == empty // 5


def test_precomp_verify_splits_when_named(realdata):
    res = ds.read_precomp(
        realdata / "captions_amfmn_precomp" / "sydney_precomp",
        splits=["train_verify", "val_verify"],
    )
    assert Counter(r.split for r in res) == {"train": 397, "val": 100}
    assert all(len(r.captions) == 5 for r in res)


@pytest.mark.parametrize("folder, classes", [("aid_scene_subset", 30), ("rsscn7_subset", 7)])
def test_scene_folders_eight_two_split(realdata, folder, classes):
    res = ds.read_scene_folders(realdata / folder)
    assert len({r.label for r in res}) == classes and len(res) == 2 * classes
    for label in {r.label for r in res}:
        files = sorted(Path(r.image).name for r in res if r.label == label)
        splits = {Path(r.image).name: r.split for r in res if r.label == label}
        assert [splits[f] for f in files] == ["train", "test"]  # floor(0.8 * 2) = 1 train


def test_rsicd_class_lists(realdata):
    res = ds.read_rsicd_class_lists(realdata / "rsicd_official" / "txtclasses_rsicd_extracted")
    assert (res.report.files, len(res)) == (31, 10921)
    assert Counter(r.label for r in res)["Airport"] > 0


def test_every_real_image_loads_as_rgb(realdata):
    paths = [p for p in realdata.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS]
    assert len(paths) > 100
    for p in paths:
        img = ds.load_rgb(p)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8, p
    geotiff = ds.load_rgb(realdata / "geotiff_landsat_rasterio" / "RGB.byte.tif")
    assert geotiff.shape == (718, 791, 3)


# Files that are documentation or archives, not data in a format the project reads.
NOT_DATA = {
    "INVENTORY.md",
    "PROVENANCE.tsv",
    "SHA256SUMS",
    "LICENSE",
    "readme.txt",
    "Readme.txt",
    "README.md",
    "README.rst",
    "txtclasses_rsicd.rar",
    "hrrsd_tiny_100_3084.txt",
}  # HRRSD's list of the tiny split's XML paths


def test_every_annotation_file_is_claimed_by_a_reader(realdata):
    """No real file is left unread: each non-image file is read by a reader or is documentation."""
    R = realdata
    samples = ds.read_real_samples(R)
    read = {Path(r.annotation).resolve() for res in samples.values() for r in res if r.annotation}
    for d in (R / "captions_amfmn_precomp").iterdir():  # every split, the variants included
        splits = ds.precomp_splits(d)
        ds.read_precomp(d, splits=splits)
        for s in splits:
            base, _, suffix = s.partition("_")
            suffix = f"_{suffix}" if suffix else ""
            read |= {
                (d / f"{base}_caps{suffix}.txt").resolve(),
                (d / f"{base}_filename{suffix}.txt").resolve(),
            }
    read.add((R / "dior_mmrotate" / "ImageSets" / "demo.txt").resolve())  # DIOR-R's image_set
    hrsc_set = R / "hrsc2016_mmrotate" / "ImageSets" / "demo.txt"
    assert hrsc_set.read_text().split() == [r.image_id for r in samples["HRSC2016"]]
    read.add(hrsc_set.resolve())
    leftover = sorted(
        str(p.relative_to(R))
        for p in R.rglob("*")
        if p.is_file()
        and p.suffix.lower() not in IMAGE_EXTENSIONS
        and p.resolve() not in read
        and p.name not in NOT_DATA
    )
    assert leftover == []
    strict_ok = {name: res.report.counts() for name, res in samples.items()}
    assert all("malformed" not in c for c in strict_ok.values())
