"""The RemoteCount-like counting set built from DOTA val labels
(rsclip_utils.datasets.remotecount): selection rules, captions, bad input, the stamp, the
catalog path, and a real DOTA devkit sample counted independently."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.catalog import check_dataset, load_registry
from rsclip_utils.catalog.loaders import load_dataset
from rsclip_utils.datasets.remotecount import (
    DOTA_V1_CLASSES,
    build_remotecount,
    remotecount_caption,
    select_counts,
)
from rsclip_utils.errors import FormatError
from rsclip_utils.evaluation import counting_variants
from rsclip_utils.paths import repo_root
from rsclip_utils.records import ObjectAnnotation, Record
from rsclip_utils.stamps import StaleOutputError
from rsclip_utils.text import NUMBER_WORDS


def _line(label: str, difficult: int = 0, x: int = 10) -> str:
    return f"{x} 10 {x + 8} 10 {x + 8} 18 {x} 18 {label} {difficult}"


def dota_val(folder: Path, labels: dict[str, list[str]], images=None) -> Path:
    """``folder/labelTxt/<stem>.txt`` with the given object lines (a header first) and a tiny
    PNG for each stem in ``images`` (all of them by default); returns the labelTxt folder."""
    (folder / "labelTxt").mkdir(parents=True, exist_ok=True)
    (folder / "images").mkdir(exist_ok=True)
    for stem, lines in labels.items():
        text = "imagesource:GoogleEarth\ngsd:0.5\n" + "".join(ln + "\n" for ln in lines)
        (folder / "labelTxt" / f"{stem}.txt").write_text(text)
        if images is None or stem in images:
            Image.new("RGB", (64, 64), (90, 90, 90)).save(folder / "images" / f"{stem}.png")
    return folder / "labelTxt"


LABELS = {
    # 3 planes, 12 ships (over ten), 2 tennis courts: planes, the most within 1..10
    "P1": [_line("plane")] * 3 + [_line("ship")] * 12 + [_line("tennis-court")] * 2,
    # 4 harbors, one of them difficult; 1 bridge: the bridge (harbor's count is uncertain)
    "P2": [_line("harbor")] * 3 + [_line("harbor", 1), _line("bridge")],
    # 30 small vehicles only: nothing qualifies
    "P3": [_line("small-vehicle")] * 30,
    # 10 storage tanks alone
    "P4": [_line("storage-tank")] * 10,
    # 2 roundabouts and 2 basketball courts: a tie, broken by label
    "P5": [_line("roundabout")] * 2 + [_line("basketball-court")] * 2,
}


def test_the_default_rules_pick_one_class_per_image(tmp_path):
    build = build_remotecount(dota_val(tmp_path / "val", LABELS), tmp_path / "out")
    assert [(r.filename, r.category, r.count) for r in build.rows] == [
        ("P1.png", "plane", 3), ("P2.png", "bridge", 1), ("P4.png", "storage-tank", 10),
        ("P5.png", "basketball-court", 2)]
    assert build.distribution() == {1: 1, 2: 1, 3: 1, 10: 1}
    assert [r.caption for r in build.rows] == [
        "there are three airplanes in the picture .", "there is one bridge in the picture .",
        "there are ten storage tanks in the picture .",
        "there are two basketball courts in the picture ."]
    assert not build.report.problems and build.action == "built"
    read = ds.read_count_tsv(build.tsv, tmp_path / "val" / "images")
    assert [(Path(r.image).name, r.extra["count"], r.captions[0]) for r in read] == [
        (r.filename, r.count, r.caption) for r in build.rows]


def test_each_rule_is_a_parameter(tmp_path):
    records = ds.read_dota(dota_val(tmp_path, LABELS))
    pick = lambda **kw: [(r.filename, r.category, r.count)  # noqa: E731
                         for r in select_counts(records, **kw)]
    assert pick(choose="fewest")[:2] == [("P1.png", "tennis-court", 2), ("P2.png", "bridge", 1)]
    assert pick(choose="each")[:3] == [("P1.png", "plane", 3), ("P1.png", "tennis-court", 2),
                                       ("P2.png", "bridge", 1)]
    assert ("P2.png", "harbor", 4) in pick(difficult="count")
    assert pick(alone=True) == [("P4.png", "storage-tank", 10)]
    assert pick(classes=["tennis-court", "harbor"]) == [("P1.png", "tennis-court", 2)]
    assert pick(max_count=2) == [("P1.png", "tennis-court", 2), ("P2.png", "bridge", 1),
                                 ("P5.png", "basketball-court", 2)]
    for bad in ({"max_count": 11}, {"min_count": 0}, {"choose": "any"},
                {"difficult": "drop"}, {"classes": "plane"}):
        with pytest.raises(ValueError):
            select_counts(records, **bad)


@pytest.mark.parametrize("label", DOTA_V1_CLASSES)
def test_every_caption_holds_its_count_for_the_counting_rewrite(label):
    for n in range(1, 11):
        caption = remotecount_caption(label, n)
        variants = counting_variants(caption)
        assert variants[n - 1] == caption  # the rewrite with the true number gives it back
        assert NUMBER_WORDS[n] in caption.split()
    with pytest.raises(ValueError):
        remotecount_caption(label, 11)


def test_missing_images_and_malformed_files_are_left_out_and_listed(tmp_path):
    labels = dict(LABELS)
    labels["P6"] = [_line("plane"), "10 10 20 10 20 20 10 plane 0"]  # a vertex short, line 4
    labels["P7"] = [_line("ship")] * 2  # its image is missing
    label_dir = dota_val(tmp_path / "val", labels, images=set(labels) - {"P7"})
    build = build_remotecount(label_dir, tmp_path / "out", strict=False)
    assert {r.filename for r in build.rows} == {"P1.png", "P2.png", "P4.png", "P5.png"}
    counts = build.report.counts()
    assert counts == {"malformed": 1, "missing_image": 1, "left_out": 2}
    left = {Path(p.file).name: p.message for p in build.report.problems if p.kind == "left_out"}
    assert left == {"P6.txt": "left out of the counting set (malformed)",
                    "P7.txt": "left out of the counting set (missing_image)"}
    bad = next(p for p in build.report.problems if p.kind == "malformed")
    assert bad.file.endswith("P6.txt") and bad.line == 4
    # strict: the malformed line raises naming file and line, and nothing is written
    with pytest.raises(FormatError) as e:
        build_remotecount(label_dir, tmp_path / "strict")
    assert e.value.file.endswith("P6.txt") and e.value.line == 4
    assert not (tmp_path / "strict" / "counts.tsv").exists()
    # the catalog-style reader carries the same report
    result = ds.load_remotecount(label_dir, tmp_path / "out")
    assert result.report.counts() == counts and len(result) == 4


def test_the_stamp_reuses_rebuilds_and_never_overwrites_a_users_file(tmp_path, capsys):
    label_dir = dota_val(tmp_path / "val", LABELS)
    out = tmp_path / "out"
    assert build_remotecount(label_dir, out).action == "built"
    assert build_remotecount(label_dir, out).action == "reused"
    (label_dir / "P3.txt").write_text(_line("helicopter") + "\n")  # the labels changed
    again = build_remotecount(label_dir, out)
    assert again.action == "rebuilt" and ("P3.png", "helicopter", 1) in [
        (r.filename, r.category, r.count) for r in again.rows]
    assert "input dota changed" in capsys.readouterr().out
    assert build_remotecount(label_dir, out, choose="each").action == "rebuilt"
    tsv = out / "counts.tsv"
    tsv.write_text(tsv.read_text().replace("three", "four"))  # edited by hand
    with pytest.raises(StaleOutputError, match="changed after"):
        build_remotecount(label_dir, out)
    own = tmp_path / "mine"
    own.mkdir()
    (own / "counts.tsv").write_text("filename\tcategory\tcount\tcaption\n")
    with pytest.raises(StaleOutputError, match=str(own / "counts.tsv")):
        build_remotecount(label_dir, own)
    assert (own / "counts.tsv").read_text() == "filename\tcategory\tcount\tcaption\n"


def test_counts_tsv_writer_refuses_what_the_reader_would_not_read_back(tmp_path):
    row = ds.CountRow("a.png", "plane", 2, "there are two airplanes in the picture .")
    path = ds.write_count_tsv([row], tmp_path / "counts.tsv")
    assert [(r.extra["count"], r.captions[0]) for r in ds.read_count_tsv(path, strict=False)] \
        == [(2, row.caption)]
    for bad in (row._replace(caption="two\tplanes"), row._replace(count=0),
                row._replace(filename=" a.png"), row._replace(caption='"two" planes'),
                row._replace(count=True)):
        with pytest.raises(ValueError, match="row 1"):
            ds.write_count_tsv([bad], tmp_path / "bad.tsv")


def test_the_catalog_reads_it_from_dota_val(tmp_path, monkeypatch):
    raw = json.loads((repo_root() / "data" / "registry.json").read_text())
    for item in raw["datasets"]["RemoteCount"]["layout"]:
        item["min_count"] = 1
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(raw))
    registry = load_registry(registry_file)
    entry = registry["RemoteCount"]
    assert entry.kind == "COUNT" and entry.reads == "DOTA"
    root = tmp_path / "data"
    assert check_dataset(entry, root).state == "missing"
    dota_val(root / "DOTA" / "val", LABELS)
    assert check_dataset(entry, root).state == "complete"
    result = load_dataset(entry, root)
    assert len(result) == 4 and {r.source for r in result} == {"RemoteCount"}
    assert all(1 <= r.extra["count"] <= 10 and len(r.captions) == 1 for r in result)
    assert all(Path(r.image).parent == root / "DOTA" / "val" / "images" for r in result)
    assert (root / "RemoteCount" / "counts.tsv").is_file()
    assert not (root / "DOTA" / "val" / "counts.tsv").exists()  # DOTA's folder is left alone
    raw["datasets"]["RemoteCount"]["reads"] = "NoSuchSet"
    registry_file.write_text(json.dumps(raw))
    with pytest.raises(FormatError, match=r"datasets\.RemoteCount\.reads 'NoSuchSet'"):
        load_registry(registry_file)


object_lists = st.lists(
    st.tuples(st.sampled_from(["plane", "ship", "harbor", "small-vehicle"]), st.booleans()),
    max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.lists(object_lists, min_size=1, max_size=6), st.sampled_from(["most", "fewest", "each"]),
       st.sampled_from(["skip", "count"]), st.booleans())
def test_every_row_states_a_true_count_of_a_qualifying_class(images, choose, difficult, alone):
    records = [Record(image=f"P{i}.png", source="t", image_id=f"P{i}",
                      objects=[ObjectAnnotation(label, (0, 0, 1, 1), difficult=hard)
                               for label, hard in objects])
               for i, objects in enumerate(images)]
    rows = select_counts(records, choose=choose, difficult=difficult, alone=alone)
    assert rows == sorted(rows, key=lambda r: (r.filename, r.category))
    per_image = Counter(r.filename for r in rows)
    for i, objects in enumerate(images):
        counts = Counter(label for label, _ in objects)
        hard = {label for label, h in objects if h}
        ok = {label for label, n in counts.items() if 1 <= n <= 10
              and (difficult == "count" or label not in hard) and (not alone or len(counts) == 1)}
        mine = [r for r in rows if r.filename == f"P{i}.png"]
        assert {r.category for r in mine} <= ok
        assert per_image[f"P{i}.png"] == (len(ok) if choose == "each" else min(len(ok), 1))
        for r in mine:
            assert r.count == counts[r.category]
            assert counting_variants(r.caption)[r.count - 1] == r.caption


@pytest.mark.realdata
def test_real_dota_devkit_labels_counted_independently(realdata, tmp_path):
    """7 label files, only P0706 and P1888 have their image: the other 5 are left out; the rows
    match a brute-force count over the raw label lines."""
    folder = realdata / "dota_devkit_example"
    build = build_remotecount(folder / "labelTxt", tmp_path)
    expected = []
    for txt in sorted((folder / "labelTxt").glob("*.txt")):
        counts, hard = Counter(), set()
        for raw in txt.read_text().splitlines():
            fields = raw.split()
            if len(fields) in (9, 10):
                counts[fields[8]] += 1
                if fields[9:] == ["1"]:
                    hard.add(fields[8])
        ok = sorted((-n, label) for label, n in counts.items()
                    if 1 <= n <= 10 and label not in hard)
        if ok and (folder / "images" / f"{txt.stem}.png").is_file():
            expected.append((f"{txt.stem}.png", ok[0][1], -ok[0][0]))
    assert [(r.filename, r.category, r.count) for r in build.rows] == expected
    assert expected == [("P0706.png", "harbor", 5)]  # P1888: 50 large, 14 small vehicles
    assert build.rows[0].caption == "there are five harbors in the picture ."
    counts = build.report.counts()
    assert counts["missing_image"] == 5 and counts["left_out"] == 5
    left = sorted(Path(p.file).stem for p in build.report.problems if p.kind == "left_out")
    assert left == ["P0770", "P1088", "P1234", "P2598", "P2709"]
