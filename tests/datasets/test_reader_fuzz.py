"""Every reader on randomly damaged copies of a good file (hypothesis): strict mode either reads
it or raises a FormatError naming a file of the input, never another exception; lenient mode
never raises, and what it returns is clean (integer boxes within range, finite polygons, real
class names, captions that are non-empty strings)."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rsclip_utils import datasets as ds
from rsclip_utils.datasets.values import COORDINATE_LIMIT
from rsclip_utils.errors import FormatError

TEXT_TOKENS = ["nan", "inf", "-inf", "1e999", "1e12", "-1e12", "-", "_", "", "None", "NA",
               "0", "-1", "abc", "1,2", "飞机", "2.5", "99999999999999999999"]
BYTES_TOKENS = [b"\xe9", b"\xff\xfe", b"\x00", b"\r", b"\x81"]
JSON_VALUES = [None, True, False, float("nan"), float("inf"), -float("inf"), 10**400, "", "-",
               [], {}, "abc", -1, 0, 1.5, [1, 2, 3, 4], "NaN", "None", [[1, 2]], {"a": 1}]


def check(read, root: Path) -> None:
    """The property: strict reads or names a file under ``root``; lenient returns clean records."""
    try:
        read(True)
    except FormatError as e:
        assert Path(e.file).resolve().is_relative_to(root.resolve()), str(e)
        assert e.message
    res = read(False)
    for r in res:
        assert isinstance(r.image_id, str)
        assert r.width is None or (isinstance(r.width, int) and r.width >= 1)
        for o in r.objects:
            assert isinstance(o.label, str) and any(c.isalnum() for c in o.label)
            assert all(isinstance(v, int) and abs(v) <= COORDINATE_LIMIT for v in o.box)
            assert all(math.isfinite(v) for ring in o.polygon or [] for v in ring)
        assert all(isinstance(c, str) and c.strip() for c in r.captions)
    for p in res.report.problems:
        assert p.file and p.message


# ---------------------------------------------------------------------------- text files

def damaged_text(good: str):
    """``good`` with some whitespace- or comma-separated tokens replaced, or bytes inserted."""
    tokens = good.encode().replace(b",", b" , ").split(b" ")
    edit = st.tuples(st.integers(0, len(tokens) - 1),
                     st.one_of(st.sampled_from(TEXT_TOKENS).map(str.encode),
                               st.sampled_from(BYTES_TOKENS)))
    return st.lists(edit, min_size=1, max_size=4).map(
        lambda edits: _apply(tokens, edits))


def _apply(tokens: list[bytes], edits) -> bytes:
    out = list(tokens)
    for i, value in edits:
        out[i] = value
    return b" ".join(out).replace(b" , ", b",")


DOTA = "imagesource:GoogleEarth\ngsd:0.5\n10 10 20 10 20 20 10 20 plane 0\n5 5 9 5 9 9 5 9 ship 1\n"
VOC = ('<?xml version="1.0" encoding="GBK"?>\n<annotation>\n<filename>a.jpg</filename>\n'
       "<size><width>50</width><height>40</height></size>\n<object><name>ship</name><difficult>0"
       "</difficult>\n<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>9</xmax><ymax>8</ymax></bndbox>"
       "\n</object>\n<object><name>plane</name><robndbox><x_left_top>1</x_left_top><y_left_top>1"
       "</y_left_top><x_right_top>5</x_right_top><y_right_top>1</y_right_top><x_right_bottom>5"
       "</x_right_bottom><y_right_bottom>5</y_right_bottom><x_left_bottom>1</x_left_bottom>"
       "<y_left_bottom>5</y_left_bottom></robndbox></object>\n</annotation>\n")


def _folder_reader(tmp: Path, sub: str, name: str, content: bytes, reader):
    folder = tmp / sub
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(content)
    return lambda strict: reader(folder, strict=strict)


TEXT_READERS = {
    "dota": (DOTA, "labelTxt", "P1.txt", ds.read_dota),
    "voc": (VOC.replace(" ", "  "), "Annotations", "a.xml", ds.read_voc),
    "nwpu": ("(1,2),(30,40),1\n(5,5),(9,9),10\n", "ground truth", "001.txt", ds.read_nwpu_vhr10),
    "levir": ("1 1 2 30 40\n3 5 5 9 9\n", "levir", "1.txt", ds.read_levir),
}


def _text_case(name):
    good, sub, filename, reader = TEXT_READERS[name]
    return st.tuples(st.just(name), damaged_text(good))


@settings(max_examples=60)
@given(case=st.one_of([_text_case(n) for n in TEXT_READERS]))
def test_damaged_text_files(tmp_path_factory, case):
    name, content = case
    tmp = tmp_path_factory.mktemp(name)
    _, sub, filename, reader = TEXT_READERS[name]
    check(_folder_reader(tmp, sub, filename, content, reader), tmp)


@settings(max_examples=40)
@given(content=st.one_of(damaged_text('0 10 20 30 40 0 0 0 0 "Pedestrian"\n'
                                      '1 1 1 5 5 0 1 0 0 "Biker"\n'),
                         damaged_text("1,2,30,40,1,4,0,0\n0,0,5,5,0,0,0,0\n"),
                         damaged_text("filename\tcategory\tcount\tcaption\n"
                                      "a.jpg\tcar\t2\ttwo cars\n")),
       which=st.sampled_from(["sdd", "visdrone", "count"]))
def test_damaged_text_files_of_other_layouts(tmp_path_factory, content, which):
    tmp = tmp_path_factory.mktemp(which)
    if which == "sdd":
        path = tmp / "annotations" / "s" / "video0" / "annotations.txt"
        read = lambda strict: ds.read_stanford_drone(tmp, strict=strict)  # noqa: E731
    elif which == "visdrone":
        path = tmp / "annotations" / "1.txt"
        read = lambda strict: ds.read_visdrone(tmp, strict=strict)  # noqa: E731
    else:
        path = tmp / "counts.tsv"
        read = lambda strict: ds.read_count_tsv(path, strict=strict)  # noqa: E731
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    check(read, tmp)


# ---------------------------------------------------------------------------- JSON files

COCO = {
    "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 20},
               {"id": 2, "file_name": "b.jpg", "width": 30, "height": 30}],
    "annotations": [
        {"id": 7, "image_id": 1, "category_id": 3, "bbox": [1, 2, 3, 4], "iscrowd": 0,
         "segmentation": [[1, 2, 4, 2, 4, 6, 1, 6]]},
        {"id": 8, "image_id": 2, "category_id": 4, "bbox": [5.5, 2, 3, 4],
         "segmentation": {"counts": "abc", "size": [30, 30]}}],
    "categories": [{"id": 3, "name": "car"}, {"id": 4, "name": "ship"}],
}
KARPATHY = {"dataset": "ucm", "images": [
    {"filename": f"{n}.tif", "imgid": n, "split": s, "filepath": "",
     "sentences": [{"raw": "a plane .", "tokens": ["a", "plane"]}, {"raw": "two ships ."}]}
    for n, s in ((1, "train"), (2, "restval"), (3, "test"))]}
AUAIR = {"annotations": [
    {"image_name": "f1.jpg", "image_width:": 1920, "image_height": 1080,
     "bbox": [{"top": 1, "left": 2, "height": 5, "width": 8, "class": 1}]},
    {"image_name": "f2.jpg", "image_width": 1920, "image_height": 1080, "bbox": []}],
    "categories": ["Human", "Car"]}
JSON_READERS = {
    "coco": (COCO, "instances.json", ds.read_coco),
    "karpathy": (KARPATHY, "dataset_ucm.json", ds.read_karpathy),
    "auair": (AUAIR, "annotations.json", ds.read_auair),
}


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _set(data, path, value):
    if not path:
        return data if value is _DELETE else value
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE and isinstance(node, dict):
        del node[path[-1]]
    elif value is not _DELETE:
        node[path[-1]] = value
    return data


_DELETE = object()


def damaged_json(good):
    paths = list(_paths(good))
    edit = st.tuples(st.sampled_from(paths), st.sampled_from(JSON_VALUES + [_DELETE]))

    def apply(edits):
        data = copy.deepcopy(good)
        for path, value in edits:
            try:
                data = _set(data, path, value if value is _DELETE else copy.deepcopy(value))
            except (KeyError, IndexError, TypeError):  # an earlier edit removed the path
                pass
        return json.dumps(data).encode()

    return st.lists(edit, min_size=1, max_size=3).map(apply)


@settings(max_examples=150)
@given(case=st.one_of([st.tuples(st.just(n), damaged_json(JSON_READERS[n][0]))
                       for n in JSON_READERS]),
       latin1=st.booleans())
def test_damaged_json_files(tmp_path_factory, case, latin1):
    name, content = case
    _, filename, reader = JSON_READERS[name]
    tmp = tmp_path_factory.mktemp(name)
    if latin1:  # one byte that is not UTF-8 in the first string that has an "a"
        content = content.replace(b"a", b"\xe0", 1)
    path = tmp / filename
    path.write_bytes(content)
    check(lambda strict: reader(path, strict=strict), tmp)


@settings(max_examples=40)
@given(caps=damaged_text("a plane\ntwo ships\nthree cars\nfour roads\n"),
       names=damaged_text("1.jpg\n2.jpg\n"))
def test_damaged_precomp_files(tmp_path_factory, caps, names):
    tmp = tmp_path_factory.mktemp("precomp") / "rsicd_precomp"
    tmp.mkdir()
    (tmp / "train_caps.txt").write_bytes(caps)
    (tmp / "train_filename.txt").write_bytes(names)
    check(lambda strict: ds.read_precomp(tmp, strict=strict), tmp)
