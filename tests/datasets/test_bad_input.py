"""Every reader on the malformed values that real downloads bring (issue 16): in strict mode a
FormatError naming the bad file (and line or JSON path) and what was expected; in lenient mode
the problem listed with its file, and everything else read."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers.files import blank_image
from PIL import Image

from rsclip_utils import datasets as ds
from rsclip_utils.datasets.values import COORDINATE_LIMIT
from rsclip_utils.errors import FormatError

LATIN1 = "caf\xe9".encode("latin-1")  # one byte that is not UTF-8


@dataclass
class Bad:
    """A folder or file with one malformed value beside good ones, and what must happen."""

    read: object  # strict -> ReadResult
    bad: Path  # the file the error must name
    words: str  # in the message
    line: int | None  # the line it must name (None: not checked)
    records: int  # records a lenient read returns
    objects: int  # objects (or captions) a lenient read returns


def _write(path: Path, content) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- text formats

DOTA_GOOD = "10 10 20 10 20 20 10 20 plane 0\n"


def dota(bad_line: bytes | str, words: str):
    def build(tmp):
        labels = tmp / "labelTxt"
        _write(labels / "P1.txt", DOTA_GOOD)
        line = bad_line.encode() if isinstance(bad_line, str) else bad_line
        bad = _write(labels / "P2.txt", DOTA_GOOD.encode() + line + b"\n")
        return Bad(lambda s: ds.read_dota(labels, strict=s), bad, words, 2, 2, 2)
    return build


def voc_xml(name="ship", box="<xmin>1</xmin><ymin>2</ymin><xmax>9</xmax><ymax>8</ymax>",
            width="50", declaration='<?xml version="1.0"?>'):
    return (f'{declaration}\n<annotation>\n  <filename>a.jpg</filename>\n'
            f'  <size><width>{width}</width><height>40</height></size>\n'
            f'  <object>\n    <name>{name}</name>\n    <bndbox>{box}</bndbox>\n  </object>\n'
            '</annotation>\n')


def voc(content: bytes | str, words: str, line: int | None, records: int = 1, objects: int = 0):
    def build(tmp):
        ann = tmp / "Annotations"
        _write(ann / "a.xml", voc_xml())
        bad = _write(ann / "b.xml", content)
        return Bad(lambda s: ds.read_voc(ann, strict=s), bad, words, line, 1 + records,
                   1 + objects)
    return build


HRSC = ("<HRSC_Image>\n<Img_FileName>100000001</Img_FileName>\n<Img_SizeWidth>60</Img_SizeWidth>"
        "\n<Img_SizeHeight>60</Img_SizeHeight>\n<HRSC_Objects><HRSC_Object>\n"
        "<box_xmin>1</box_xmin><box_ymin>1</box_ymin><box_xmax>9</box_xmax><box_ymax>9</box_ymax>\n"
        "<mbox_cx>{cx}</mbox_cx><mbox_cy>5</mbox_cy><mbox_w>8</mbox_w><mbox_h>4</mbox_h>"
        "<mbox_ang>0.1</mbox_ang>\n</HRSC_Object></HRSC_Objects>\n</HRSC_Image>\n")


def hrsc(cx: str, words: str):
    def build(tmp):
        ann = tmp / "Annotations"
        _write(ann / "1.xml", HRSC.format(cx="5"))
        bad = _write(ann / "2.xml", HRSC.format(cx=cx))
        return Bad(lambda s: ds.read_hrsc(ann, strict=s), bad, words, 7, 2, 1)
    return build


def per_image_text(folder: str, good: str, reader):
    """A box-text format of one label file per image: a good file, and one with a bad line 2."""
    def case(line: str, words: str):
        def build(tmp):
            _write(tmp / folder / "1.txt", good)
            bad = _write(tmp / folder / "2.txt", f"{good}{line}\n")
            root = tmp / folder if reader is not ds.read_visdrone else tmp
            return Bad(lambda s: reader(root, strict=s), bad, words, 2, 2, 2)
        return build
    return case


nwpu = per_image_text("ground truth", "(1,2),(30,40),1\n", ds.read_nwpu_vhr10)
levir = per_image_text("levir", "1 1 2 30 40\n", ds.read_levir)
visdrone = per_image_text("annotations", "1,2,30,40,1,4,0,0\n", ds.read_visdrone)


def sdd(line: str, words: str):
    def build(tmp):
        video = tmp / "annotations" / "little" / "video0"
        good = '0 10 20 30 40 0 0 0 0 "Pedestrian"\n'
        bad = _write(video / "annotations.txt", good + line + "\n")
        return Bad(lambda s: ds.read_stanford_drone(tmp, strict=s), bad, words, 2, 1, 1)
    return build


def count_tsv(row: bytes, words: str):
    def build(tmp):
        head = b"filename\tcategory\tcount\tcaption\na.jpg\tcar\t2\ttwo cars\n"
        bad = _write(tmp / "counts.tsv", head + row + b"\n")
        return Bad(lambda s: ds.read_count_tsv(bad, strict=s), bad, words, 3, 1, 1)
    return build


def precomp(caps: bytes, names: bytes, words: str, line: int | None, records: int,
            captions: int):
    def build(tmp):
        folder = tmp / "rsicd_precomp"
        _write(folder / "test_caps.txt", b"a plane\na ship\n")
        _write(folder / "test_filename.txt", b"1.jpg\n2.jpg\n")
        bad = _write(folder / "train_caps.txt", caps)
        _write(folder / "train_filename.txt", names)
        return Bad(lambda s: ds.read_precomp(folder, strict=s), bad, words, line, 2 + records,
                   2 + captions)
    return build


# ---------------------------------------------------------------------------- JSON formats

def coco_data():
    return {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 20},
                   {"id": 2, "file_name": "b.jpg", "width": 20, "height": 20}],
        "annotations": [{"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4]},
                        {"id": 8, "image_id": 2, "category_id": 3, "bbox": [1, 2, 3, 4]}],
        "categories": [{"id": 3, "name": "car"}],
    }


def coco(change, words: str, records: int = 2, objects: int = 1):
    """``change(data)`` edits the good file's data (or returns the bytes to write instead)."""
    def build(tmp):
        data = coco_data()
        out = change(data)
        content = out if isinstance(out, bytes) else json.dumps(data).encode()
        bad = _write(tmp / "instances.json", content.replace(b'"BAD"', b"NaN").replace(
            b'"HUGE"', b"1" + b"0" * 400).replace(b'"INF"', b"1e999"))
        return Bad(lambda s: ds.read_coco(bad, strict=s), bad, words, None, records, objects)
    return build


def _set(path: str, value):
    """A change setting ``data[...]`` along a dotted path such as ``annotations.0.bbox.0``."""
    def change(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return change


def karpathy_data():
    return {"dataset": "rsicd", "images": [
        {"filename": f"{n}.jpg", "imgid": n, "split": "train",
         "sentences": [{"raw": f"picture {n} of a plane ."}]} for n in (1, 2)]}


def karpathy(change, words: str, records: int = 1):
    def build(tmp):
        data = karpathy_data()
        out = change(data)
        content = out if isinstance(out, bytes) else json.dumps(data).encode()
        bad = _write(tmp / "dataset_rsicd.json", content)
        return Bad(lambda s: ds.read_karpathy(bad, strict=s), bad, words, None, records, records)
    return build


def auair(change, words: str, records: int = 2, objects: int = 1):
    def build(tmp):
        data = {"annotations": [
            {"image_name": f"frame_{n}.jpg", "image_width:": 1920, "image_height": 1080,
             "bbox": [{"top": 1, "left": 2, "height": 5, "width": 8, "class": 1}]}
            for n in (1, 2)], "categories": ["Human", "Car"]}
        change(data)
        content = json.dumps(data).encode().replace(b'"BAD"', b"NaN")
        bad = _write(tmp / "annotations.json", content)
        return Bad(lambda s: ds.read_auair(bad, strict=s), bad, words, None, records, objects)
    return build


def with_byte(data_text: str, marker: str) -> bytes:
    """JSON text with ``marker`` replaced by a Latin-1 byte (so the file is not UTF-8)."""
    return data_text.replace(marker, "caf").encode().replace(b"caf", LATIN1, 1)


CASES = {
    # DOTA: non-finite and out-of-range vertices, placeholder classes, bytes that are not UTF-8
    "dota nan": dota("nan 10 20 10 20 20 10 20 plane 0", "'nan' is not finite"),
    "dota inf": dota("10 10 inf 10 20 20 10 20 plane 0", "'inf' is not finite"),
    "dota 1e999": dota("10 10 1e999 10 20 20 10 20 plane 0", "'1e999' is not finite"),
    "dota beyond int32": dota("10 10 1e12 10 20 20 10 20 plane 0", "beyond"),
    "dota class -": dota("10 10 20 10 20 20 10 20 - 0", "placeholder"),
    "dota class _": dota("10 10 20 10 20 20 10 20 _ 0", "placeholder"),
    "dota latin-1": dota(b"10 10 20 10 20 20 10 20 " + LATIN1 + b" 0", "not UTF-8"),
    # VOC: values, names, sizes, encodings, files that do not parse
    "voc nan": voc(voc_xml(box="<xmin>nan</xmin><ymin>2</ymin><xmax>9</xmax><ymax>8</ymax>"),
                   "'nan' is not finite", 7),
    "voc inf": voc(voc_xml(box="<xmin>1</xmin><ymin>-inf</ymin><xmax>9</xmax><ymax>8</ymax>"),
                   "not finite", 7),
    "voc 1e999": voc(voc_xml(box="<xmin>1</xmin><ymin>2</ymin><xmax>1e999</xmax><ymax>8</ymax>"),
                     "not finite", 7),
    "voc name -": voc(voc_xml(name="-"), "placeholder", 5),
    "voc name empty": voc(voc_xml(name=""), "placeholder", 5),
    "voc width abc": voc(voc_xml(width="abc"), "<size/width> 'abc' is not a number", 4,
                         objects=1),  # the size is then the image's
    "voc width 0": voc(voc_xml(width="0"), "at least 1 pixel", 4, objects=1),
    "voc unknown encoding": voc(voc_xml(declaration='<?xml version="1.0" encoding="klingon"?>'),
                                "'klingon', which Python does not know", 1, 0),
    "voc bytes not GBK": voc(voc_xml(declaration='<?xml version="1.0" encoding="GBK"?>').encode()
                             .replace(b"ship", b"\x81\x20ship"), "not GBK", 6, 0),
    "voc bytes not UTF-8": voc(voc_xml().encode().replace(b"ship", LATIN1), "not well-formed",
                               6, 0),
    "voc cut short": voc(voc_xml()[:120], "XML does not parse", None, 0),
    "voc empty": voc("", "empty file", None, 0),
    # HRSC2016
    "hrsc nan": hrsc("nan", "'nan' is not finite"),
    "hrsc 1e999": hrsc("1e999", "not finite"),
    # NWPU VHR-10, LEVIR, VisDrone, Stanford Drone, the counting TSV
    "nwpu beyond int32": nwpu("(1,2),(99999999999,40),1", "beyond"),
    "levir nan": levir("1 nan 2 30 40", "'nan' is not finite"),
    "levir inf": levir("1 1 2 inf 40", "'inf' is not finite"),
    "visdrone nan": visdrone("1,2,nan,40,1,4,0,0", "'nan' is not finite"),
    "sdd nan": sdd('1 nan 20 30 40 0 0 0 0 "Biker"', "'nan' is not finite"),
    "sdd label -": sdd('1 10 20 30 40 0 0 0 0 "-"', "placeholder"),
    "count latin-1": count_tsv(b"b.jpg\t" + LATIN1 + b"\t2\ttwo cars", "not UTF-8"),
    "count category -": count_tsv(b"b.jpg\t-\t2\ttwo cars", "placeholder"),
    "count nan": count_tsv(b"b.jpg\tcar\tnan\ttwo cars", "'nan' is not a whole number"),
    # precomp: counts that do not align, bytes that are not UTF-8 in one caption
    "precomp misaligned": precomp(b"a\nb\nc\n", b"3.jpg\n4.jpg\n", "3 captions for 2 filenames",
                                  None, 0, 0),
    "precomp latin-1": precomp(b"a road\n" + LATIN1 + b"\n", b"3.jpg\n4.jpg\n", "not UTF-8", 2,
                               2, 1),  # the image whose one caption is lost stays, noted
    # COCO: non-finite, overflowing and mistyped values, repeated ids, wrong shapes, encodings
    "coco NaN": coco(_set("annotations.1.bbox.0", "BAD"), "bbox[0] nan is not finite"),
    "coco 1e999": coco(_set("annotations.1.bbox.2", "INF"), "bbox[2] inf is not finite"),
    "coco 10^400": coco(_set("annotations.1.bbox.3", "HUGE"), "overflows"),
    "coco bbox string": coco(_set("annotations.1.bbox", "1,2,3,4"), "not a list of 4"),
    "coco bbox of strings": coco(_set("annotations.1.bbox", ["1", "2", "3", "4"]),
                                 "bbox[0] is \"1\", not a JSON number"),
    "coco bbox of bools": coco(_set("annotations.1.bbox", [True, 2, 3, 4]), "is true"),
    "coco category_id list": coco(_set("annotations.1.category_id", [3]), "category_id [3]"),
    "coco repeated image id": coco(  # both annotations go to the first image of that id
        lambda d: (_set("images.1.id", 1)(d), _set("annotations.1.image_id", 1)(d)),
        "images[1] id 1 is already", 1, 2),
    "coco repeated annotation id": coco(_set("annotations.1.id", 7), "repeats the id"),
    "coco repeated category id": coco(
        lambda d: d["categories"].append({"id": 3, "name": "ship"}), "id 3 is already 'car'",
        2, 2),
    "coco category name -": coco(lambda d: d["categories"].append({"id": 4, "name": "-"}),
                                 "placeholder", 2, 2),
    "coco width abc": coco(_set("images.1.width", "abc"), 'is "abc", not a JSON number', 1),
    "coco width NaN": coco(_set("images.1.width", "BAD"), "not finite", 1),
    "coco file_name null": coco(_set("images.1.file_name", None), "file_name is null", 1),
    "coco ring NaN": coco(_set("annotations.1.segmentation", [[1, 2, 3, 4, 5, "BAD"]]),
                          "segmentation[0][5] nan is not finite"),
    "coco ring not a list": coco(_set("annotations.1.segmentation", [5]), "not a ring"),
    "coco top level list": coco(lambda d: b"[1, 2]", "top level is list", 0, 0),
    "coco images not a list": coco(_set("images", {"1": "a.jpg"}), "'images' is missing", 0, 0),
    "coco empty": coco(lambda d: b"", "empty file", 0, 0),
    "coco latin-1": coco(lambda d: with_byte(json.dumps(d, indent=1), "b.jpg"), "not UTF-8", 1),
    # Karpathy captions
    "karpathy raw null": karpathy(_set("images.1.sentences.0.raw", None), "raw is null"),
    "karpathy raw number": karpathy(_set("images.1.sentences.0.raw", 5), "raw is 5"),
    "karpathy raw empty": karpathy(_set("images.1.sentences.0.raw", " "), "is empty"),
    "karpathy sentences string": karpathy(_set("images.1.sentences", "a plane"), "not a non-empty"),
    "karpathy filename null": karpathy(_set("images.1.filename", None), "filename is null"),
    "karpathy filepath null": karpathy(_set("images.1.filepath", None), "filepath None"),
    "karpathy repeated filename": karpathy(_set("images.1.filename", "1.jpg"), "repeats"),
    "karpathy repeated imgid": karpathy(_set("images.1.imgid", 1), "imgid 1 repeats"),
    "karpathy top level list": karpathy(lambda d: b"[]", "no top-level 'images'", 0),
    "karpathy latin-1": karpathy(lambda d: with_byte(json.dumps(d, indent=1), "picture 2"),
                                 "not UTF-8"),
    # AU-AIR
    "auair NaN": auair(_set("annotations.1.bbox.0.left", "BAD"), "left nan is not finite"),
    "auair class 9": auair(_set("annotations.1.bbox.0.class", 9), "class 9 is not an index"),
    "auair class '1'": auair(_set("annotations.1.bbox.0.class", "1"), "class '1' is not"),
    "auair width abc": auair(_set("annotations.1.image_width:", "abc"), '"abc", not a JSON', 1),
    "auair bbox dict": auair(_set("annotations.1.bbox", {"top": 1}), "bbox is dict", 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_malformed_value_is_named_strict_and_listed_lenient(tmp_path, name):
    case = CASES[name](tmp_path)
    with pytest.raises(FormatError) as e:
        case.read(True)
    assert Path(e.value.file) == case.bad, str(e.value)
    assert case.words in str(e.value), str(e.value)
    assert e.value.expected, "the error says what was expected"
    if case.line is not None:
        assert e.value.line == case.line, str(e.value)

    res = case.read(False)  # never raises
    listed = [p for p in res.report.problems if Path(p.file) == case.bad
              and p.kind in ("malformed", "undecodable_bytes")]
    assert listed, res.report.problems
    assert len(res) == case.records, res.report.problems
    found = sum(len(r.objects) or len(r.captions) for r in res)
    assert found == case.objects, res.report.problems
    for r in res:
        for o in r.objects:
            assert all(isinstance(v, int) and abs(v) <= COORDINATE_LIMIT for v in o.box)
            assert all(math.isfinite(v) for ring in o.polygon or [] for v in ring)
            assert o.label.strip("-_ ")
        assert all(isinstance(c, str) and c and c != "None" for c in r.captions)


# ---------------------------------------------------------------------------- noted, not fatal

def test_empty_files_folders_and_cut_short_images_are_noted(tmp_path):
    precomp = tmp_path / "sydney_precomp"
    _write(precomp / "test_caps.txt", "")
    _write(precomp / "test_filename.txt", "")
    res = ds.read_precomp(precomp)
    assert len(res) == 0
    assert sorted(Path(p.file).name for p in res.report.problems if p.kind == "empty_file") == [
        "test_caps.txt", "test_filename.txt"]
    assert ds.read_precomp(tmp_path).report.counts() == {"empty_folder": 1}

    root = tmp_path / "scenes"
    noise = np.random.default_rng(0).integers(0, 255, (120, 120, 3), dtype=np.uint8)
    (root / "beach").mkdir(parents=True)
    Image.fromarray(noise).save(root / "beach" / "1.jpg")
    Image.fromarray(noise).save(root / "beach" / "2.png")
    (root / "forest").mkdir()
    whole = (root / "beach" / "1.jpg").read_bytes()
    (root / "beach" / "3.jpg").write_bytes(whole[: len(whole) // 2])
    png = (root / "beach" / "2.png").read_bytes()
    (root / "beach" / "4.png").write_bytes(png[:-12])
    res = ds.read_scene_folders(root)
    assert len(res) == 4  # kept: training names them again when it decodes them
    notes = {(p.kind, Path(p.file).name) for p in res.report.problems}
    assert notes == {("empty_folder", "forest"), ("truncated_image", "3.jpg"),
                     ("truncated_image", "4.png")}
    with pytest.raises(FormatError, match="no such folder"):
        ds.read_scene_folders(tmp_path / "nowhere")
    with pytest.raises(FormatError, match="no such folder"):
        ds.read_dota(tmp_path / "nowhere")
    assert ds.read_dota(root / "forest").report.counts() == {"empty_folder": 1}


def test_unreadable_mask_is_malformed_and_the_rest_is_read(tmp_path):
    for stem in ("a", "b"):
        blank_image(tmp_path / "img" / f"{stem}.png", (8, 8))
        blank_image(tmp_path / "ann" / f"{stem}.png", (8, 8))
    (tmp_path / "ann" / "b.png").write_bytes(b"not a png at all")
    with pytest.raises(FormatError, match="the mask cannot be read") as e:
        ds.read_seg_pairs(tmp_path / "img", tmp_path / "ann", "loveda", source="loveda")
    assert e.value.file.endswith("b.png")
    res = ds.read_seg_pairs(tmp_path / "img", tmp_path / "ann", "loveda", source="loveda",
                            strict=False)
    assert [r.image_id for r in res] == ["a"] and res.report.counts() == {"malformed": 1}


def test_gbk_declared_voc_is_read_in_its_encoding(tmp_path):
    text = voc_xml(name="飞机", declaration='<?xml version="1.0" encoding="GBK"?>')
    _write(tmp_path / "Annotations" / "a.xml", text.encode("gbk"))
    (r,) = ds.read_voc(tmp_path / "Annotations")
    assert [o.label for o in r.objects] == ["飞机"]
    # and a line number after the declaration is still the file's own
    bad = text.replace("<xmin>1</xmin>", "<xmin>x</xmin>").encode("gbk")
    _write(tmp_path / "Annotations" / "a.xml", bad)
    with pytest.raises(FormatError) as e:
        ds.read_voc(tmp_path / "Annotations")
    assert e.value.line == 7


def test_utf16_and_bom_text_files_are_read(tmp_path):
    labels = tmp_path / "labelTxt"
    _write(labels / "P1.txt", ("\ufeff" + DOTA_GOOD).encode("utf-8"))
    _write(labels / "P2.txt", DOTA_GOOD.encode("utf-16"))
    res = ds.read_dota(labels)
    assert [len(r.objects) for r in res] == [1, 1]
    assert res.report.counts() == {"missing_image": 2}


# ---------------------------------------------------------------------------- real samples

def _same(a, b) -> bool:
    key = lambda r: (r.image_id, [(o.label, o.box) for o in r.objects], r.captions)  # noqa: E731
    return [key(r) for r in a] == [key(r) for r in b]


def test_real_voc_files_re_encoded_as_gbk_read_the_same(realdata, tmp_path):
    original = realdata / "hrrsd" / "OPT2017" / "Annotations"
    out = tmp_path / "Annotations"
    out.mkdir()
    for p in sorted(original.glob("*.xml")):
        text = p.read_text(encoding="utf-8").replace("snail_crowling", "蜗牛")
        (out / p.name).write_bytes(('<?xml version="1.0" encoding="GBK"?>\n' + text).encode("gbk"))
    images = realdata / "hrrsd" / "OPT2017" / "JPEGImages"
    assert _same(ds.read_voc(out, images), ds.read_voc(original, images))


def test_real_dota_label_with_non_finite_lines(realdata, tmp_path):
    original = realdata / "dota_devkit_example" / "labelTxt"
    labels = tmp_path / "labelTxt"
    labels.mkdir()
    for p in sorted(original.glob("*.txt")):
        (labels / p.name).write_bytes(p.read_bytes())
    target = labels / "P0706.txt"
    n = len(target.read_text().splitlines())
    with target.open("a") as f:
        f.write("nan 1 2 3 4 5 6 7 plane 0\n1 2 3 4 5 6 inf 8 ship 0\n")
    images = realdata / "dota_devkit_example" / "images"
    with pytest.raises(FormatError) as e:
        ds.read_dota(labels, images)
    assert Path(e.value.file) == target and e.value.line == n + 1
    lenient = ds.read_dota(labels, images, strict=False)
    assert _same(lenient, ds.read_dota(original, images))
    assert [(Path(p.file).name, p.line) for p in lenient.report.problems
            if p.kind == "malformed"] == [("P0706.txt", n + 1), ("P0706.txt", n + 2)]


def test_real_karpathy_json_with_a_latin1_byte(realdata, tmp_path):
    original = realdata / "captions_rsicd_ucm_sydney_jbarata" / "captions" / \
        "dataset_sydney_modified.json"
    data = original.read_bytes()
    at = data.index(b'"raw"', len(data) // 2)  # a caption half-way through the file
    at = data.index(b'"', at + 6) + 1
    damaged = tmp_path / "dataset_sydney_modified.json"
    damaged.write_bytes(data[:at] + b"\xe9" + data[at:])
    with pytest.raises(FormatError) as e:
        ds.read_karpathy(damaged)
    assert e.value.line == data[:at].count(b"\n") + 1 and "not UTF-8" in str(e.value)
    lenient = ds.read_karpathy(damaged, strict=False)
    whole = ds.read_karpathy(original)
    assert len(lenient) == len(whole) - 1
    counts = lenient.report.counts()
    assert counts.get("undecodable_bytes") == 1 and counts.get("malformed") == 1


def test_real_coco_with_a_repeated_image_and_a_nan_box(realdata, tmp_path):
    original = realdata / "nwpu_vhr10" / "coco_instances_chaozhong2010" / "annotations.json"
    data = json.loads(original.read_text())
    data["images"].append(dict(data["images"][0]))
    data["annotations"].append(dict(data["annotations"][0], id=10**9, bbox=[1, 2, 3, math.nan]))
    damaged = tmp_path / "annotations.json"
    damaged.write_text(json.dumps(data))
    images = original.parent / "images"
    with pytest.raises(FormatError, match="is not finite|is already"):
        ds.read_coco(damaged, images)
    lenient = ds.read_coco(damaged, images, strict=False)
    assert _same(lenient, ds.read_coco(original, images))
    assert lenient.report.counts()["malformed"] == 2


def test_real_scene_folder_with_an_empty_class_and_a_cut_short_image(realdata, tmp_path):
    root = tmp_path / "aid"
    for p in sorted((realdata / "aid_scene_subset").glob("*/*")):
        (root / p.parent.name).mkdir(parents=True, exist_ok=True)
        (root / p.parent.name / p.name).write_bytes(p.read_bytes())
    (root / "Empty").mkdir()
    victim = sorted(root.glob("Airport/*.jpg"))[0]
    victim.write_bytes(victim.read_bytes()[:-5000])
    res = ds.read_scene_folders(root)
    assert len(res) == len(ds.read_scene_folders(realdata / "aid_scene_subset"))
    assert {(p.kind, Path(p.file).name) for p in res.report.problems} == {
        ("empty_folder", "Empty"), ("truncated_image", victim.name)}
    # the check from the file's tail agrees with a full decode on every real JPEG and PNG
    from rsclip_utils.images import ImageError, incomplete, open_image

    checked = 0
    for p in sorted(realdata.rglob("*")):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and p.stat().st_size < 5_000_000:
            assert incomplete(p) is None, p
            checked += 1
    assert checked > 100
    with pytest.raises(ImageError):
        open_image(victim)
