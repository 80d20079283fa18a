"""Box-to-Caption: each rule on hand-made box sets, every real annotation file, the manifest
through open_clip's own CsvDataset."""

import csv
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.b2c import (
    B2CConfig,
    box_to_captions,
    captions_for_record,
    normalise_label,
    plural,
    token_count,
    with_article,
    write_manifest,
)
from rsclip_utils.m2b import run_m2b
from rsclip_utils.records import ObjectAnnotation, Record

W = H = 100
CENTRE = [45, 45, 55, 55]  # centre at (50, 50): inside the middle half
EDGE = [0, 0, 9, 9]  # centre at (4.5, 4.5): outside


def test_centre_versus_edge():
    caps = box_to_captions([("ship", CENTRE), ("car", EDGE), ("car", [90, 90, 99, 99])], W, H)
    assert "ship" in caps[0] and "car" not in caps[0] and "middle" in caps[0] + " middle"
    assert "2 cars" in caps[1] and "ship" not in caps[1]


def test_centre_region_is_the_middle_half_and_a_parameter():
    inside = [24, 24, 26, 26]  # centre (25, 25): fraction (25 + 0.5) / 100 = 0.255
    outside = [23, 23, 25, 25]  # centre (24, 24): 0.245
    caps = box_to_captions([("ship", inside), ("tank", outside)], W, H)
    assert "ship" in caps[0] and "tank" in caps[1]
    wide = B2CConfig(centre=(0.1, 0.9))
    caps = box_to_captions([("ship", inside), ("tank", outside)], W, H, config=wide)
    assert "ship" in caps[0] and "tank" in caps[0]


def test_nothing_in_the_centre_or_at_the_edge_is_said():
    caps = box_to_captions([("car", EDGE)], W, H)
    assert caps[0] == "There is nothing in the middle of the picture ."
    caps = box_to_captions([("car", CENTRE)], W, H)
    assert caps[1] == "There is nothing at the edge of the picture ."


def test_more_than_ten_becomes_a_quantifier():
    cfg = B2CConfig()
    for n, expect_number in ((10, True), (11, False), (40, False)):
        caps = box_to_captions([("small-vehicle", EDGE)] * n, W, H)
        text = " ".join(caps)
        assert (f"{n} small vehicles" in text) == expect_number
        if not expect_number:
            assert any(f"{q} small vehicles" in text for q in cfg.quantifiers)


def test_plurals_articles_and_lists():
    assert plural("harbor") == "harbors" and plural("bus") == "buses"
    assert plural("baseball diamond") == "baseball diamonds" and plural("person") == "people"
    assert plural("overpass") == "overpasses" and plural("ferry") == "ferries"
    assert with_article("airplane") == "an airplane" and with_article("ship") == "a ship"
    assert with_article("expressway service area") == "an expressway service area"
    caps = box_to_captions(
        [("ship", EDGE), ("harbor", [90, 0, 99, 9]), ("harbor", [90, 90, 99, 99])], W, H
    )
    assert "2 harbors and a ship" in caps[1]
    caps = box_to_captions([("plane", EDGE)], W, H)
    assert "An airplane" in caps[1] and "1 airplane" not in " ".join(caps)


def test_class_names_are_normalised_in_one_place():
    assert normalise_label("small-vehicle") == "small vehicle"
    assert normalise_label("Expressway-Service-area") == "expressway service area"
    assert normalise_label("storagetank") == "storage tank"
    assert normalise_label("Ground_Track_Field") == "ground track field"
    assert normalise_label("T junction") == "T-junction"


boxes = st.lists(
    st.tuples(
        st.sampled_from(
            ["ship", "small-vehicle", "plane", "harbor", "storagetank", "Expressway-Service-area"]
        ),
        st.tuples(st.integers(0, 90), st.integers(0, 90)).map(
            lambda p: [p[0], p[1], p[0] + 9, p[1] + 9]
        ),
    ),
    min_size=1,
    max_size=60,
)


@given(boxes, st.integers(0, 2**31))
def test_five_distinct_deterministic_captions_within_the_token_limit(objs, seed):
    caps = box_to_captions(objs, W, H, seed=seed)
    assert len(caps) == 5 and len(set(caps)) == 5
    assert caps == box_to_captions(objs, W, H, seed=seed)
    assert all(token_count(c) <= 77 for c in caps)
    assert all(c[0].isupper() or c[0].isdigit() for c in caps) and all(
        c.endswith(" .") for c in caps
    )


def test_many_categories_stay_within_the_context():
    names = [f"category number {i}" for i in range(30)]
    caps = box_to_captions([(n, EDGE) for n in names] * 12, W, H)
    assert all(token_count(c) <= 77 for c in caps)


def test_stuff_is_named_without_a_count():
    caps = box_to_captions(
        [("building", CENTRE), ("water", EDGE), ("water", [90, 90, 99, 99])], W, H, stuff=["water"]
    )
    text = " ".join(caps)
    assert "2 waters" not in text and "water" in text and "a building" in text.lower()


def test_no_objects_no_captions():
    with pytest.raises(ValueError, match="without objects"):
        box_to_captions([], W, H)


def test_every_real_annotation_file(realdata, tmp_path):
    samples = ds.read_real_samples(realdata)
    names = [
        "DOTA (devkit)",
        "DOTA (mmrotate patches)",
        "DIOR-R",
        "HRSC2016",
        "HRRSD (VOC)",
        "HRRSD (COCO)",
        "NWPU VHR-10 (txt)",
        "NWPU VHR-10 (COCO)",
    ]
    # NWPU's txt files carry no image size and its images are not here: take the sizes from the
    # same dataset's COCO export
    sizes = {Path(r.image).stem: (r.width, r.height) for r in samples["NWPU VHR-10 (COCO)"]}
    for r in samples["NWPU VHR-10 (txt)"]:
        r.width, r.height = sizes[r.image_id]
    n = 0
    for name in names:
        for r in samples[name]:
            if r.objects and r.width:
                caps = captions_for_record(r)
                assert len(set(caps)) == 5 and all(token_count(c) <= 77 for c in caps), r.image
                n += 1
    assert n == 2 + 1 + 1 + 1 + 100 + 100 + 650 + 650  # DOTA P0706/P1888 and one patch, ...
    records = [r for name in names for r in samples[name]]
    report = write_manifest(records, tmp_path / "real.tsv", check_images=False, progress=False)
    rep = report.to_dict()
    assert rep["nwpu_vhr10"]["images_captioned"] == 1300
    assert rep["dota"]["skipped"] == {"image size unknown (image missing)": 5, "no objects": 2}


def test_manifest_from_every_source_and_open_clip_reads_it(smoke_embedded, tmp_path):
    from open_clip.tokenizer import SimpleTokenizer
    from open_clip_train.data import CsvDataset

    root, _ = smoke_embedded
    sets = ds.load_embedded(root)
    m2b_records, _ = run_m2b(list(sets["loveda"]) + list(sets["isaid"]), workers=1, progress=False)
    records = list(sets["ret"]) + list(sets["dota"]) + list(sets["voc"]) + m2b_records
    path = tmp_path / "manifest.tsv"
    report = write_manifest(records, path, progress=False).to_dict()
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    assert list(rows[0]) == ["filepath", "title", "source", "image_id", "split"]
    per_source = Counter(r["source"] for r in rows)
    for source, rep in report.items():
        assert per_source[source] == rep["captions"]
        assert rep["images"] == rep["images_captioned"] + sum(rep["skipped"].values())
    ret = report["synth_ret"]
    assert ret["captions"] == 5 * sum(r.split == "train" for r in sets["ret"])
    assert sum(ret["skipped"].values()) == sum(r.split != "train" for r in sets["ret"])
    assert report["synth_dota"]["captions"] == 5 * report["synth_dota"]["images_captioned"]
    assert report["synth_loveda"]["from"] == {"B2C": report["synth_loveda"]["images_captioned"]}

    dataset = CsvDataset(
        str(path),
        transforms=lambda im: im.size,
        img_key="filepath",
        caption_key="title",
        sep="\t",
        tokenizer=SimpleTokenizer(),
    )
    assert len(dataset) == len(rows)
    for i in (0, len(rows) // 2, len(rows) - 1):
        size, tokens = dataset[i]
        assert size == Image.open(rows[i]["filepath"]).size and tokens.shape == (77,)
    assert dataset.captions[0] == rows[0]["title"]


def test_manifest_lists_what_it_skips_and_keeps_odd_characters(tmp_path):
    Image.new("RGB", (20, 20)).save(tmp_path / "a.png")
    img = str(tmp_path / "a.png")
    records = [
        Record(img, "x", "1", "train", 20, 20, captions=['a "quoted"\tcaption\nacross lines']),
        Record(img, "x", "2", "test", 20, 20, captions=["held out"]),
        Record(img, "x", "3", "train", 20, 20),
        Record(
            str(tmp_path / "gone.png"),
            "x",
            "4",
            "train",
            20,
            20,
            objects=[ObjectAnnotation("ship", (1, 1, 5, 5))],
        ),
        Record(
            img, "x", "5", "train", None, None, objects=[ObjectAnnotation("ship", (1, 1, 5, 5))]
        ),
    ]
    report = write_manifest(records, tmp_path / "m.tsv", progress=False).to_dict()["x"]
    assert report["captions"] == 1 and report["images_captioned"] == 1
    assert set(report["skipped"]) == {
        "human captions of the test split (only train is used)",
        "no objects",
        "image file missing",
        "image size unknown (image missing)",
    }
    import pandas as pd

    df = pd.read_csv(tmp_path / "m.tsv", sep="\t")
    assert df["title"].tolist() == ['a "quoted" caption across lines']


def test_non_ascii_class_names_are_captioned_and_only_unusable_objects_are_dropped(tmp_path):
    """A Chinese or Arabic label is a class name like any other: the record is captioned with
    it (no English plural), and only the objects that cannot be worded are dropped, each
    counted with its true reason."""
    from rsclip_utils.text import model_tokens

    Image.new("RGB", (W, H)).save(tmp_path / "a.png")
    objects = [ObjectAnnotation("飞机", tuple(CENTRE)), ObjectAnnotation("飞机", (60, 60, 70, 70)),
               ObjectAnnotation("طائرة", tuple(EDGE)), ObjectAnnotation("ship", (80, 80, 90, 90)),
               ObjectAnnotation("-", (1, 1, 4, 4)),
               ObjectAnnotation("bad\x00name", (1, 1, 4, 4))]
    record = Record(str(tmp_path / "a.png"), "x", "1", "train", W, H, objects=objects)
    path = tmp_path / "m.tsv"
    report = write_manifest([record], path, progress=False).to_dict()["x"]
    assert report["images_captioned"] == 1 and report["skipped"] == {}
    with path.open(newline="", encoding="utf-8") as f:
        titles = [r["title"] for r in csv.DictReader(f, delimiter="\t")]
    text = " ".join(titles)
    assert len(titles) == 5 and "飞机" in text and "طائرة" in text and "ship" in text
    assert "2 飞机" in text and "飞机s" not in text and "a طائرة" in text
    assert report["objects_dropped"] == {
        "class name gives no caption noun (no letter or digit in any script)": 1,
        "class name holds a control character": 1,
    }
    assert all("dropped" in e for e in report["objects_dropped_examples"])
    # a record of unusable objects only is skipped with that reason, not a false one
    bad = Record(str(tmp_path / "a.png"), "y", "2", "train", W, H,
                 objects=[ObjectAnnotation("ship", (1, 1, 4, float("nan")))])
    skipped = write_manifest([bad], tmp_path / "n.tsv", progress=False).to_dict()["y"]["skipped"]
    assert list(skipped) == ["no usable object, every one dropped: box is not four finite "
                             "numbers"]
    # the tokenizer (byte-level BPE) spells such names in byte tokens that decode back to them
    from open_clip.tokenizer import SimpleTokenizer

    tok = SimpleTokenizer()
    for name, n in (("飞机", 5), ("طائرة", 5)):
        ids = model_tokens(name)
        assert len(ids) == n and tok.decode(list(ids)).strip() == name
    assert all(token_count(c) <= 77 for c in titles)
