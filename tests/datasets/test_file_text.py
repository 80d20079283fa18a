"""Decoding annotation files (rsclip_utils.datasets.file_text): bytes that are not UTF-8, declared
XML encodings, empty and unparsable files."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rsclip_utils.datasets.file_text import LinedXML, read_json, read_text
from rsclip_utils.datasets.read_report import ReadReport
from rsclip_utils.errors import FormatError

line = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
               max_size=12)


@given(lines=st.lists(st.tuples(line, st.booleans()), min_size=1, max_size=12))
def test_lenient_text_blanks_exactly_the_lines_with_bad_bytes(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("t") / "a.txt"
    path.write_bytes(b"\n".join(t.encode() + (b"\xff" if bad else b"") for t, bad in lines))
    report = ReadReport("x", strict=False)
    text = read_text(path, report)
    assert text.split("\n") == ["" if bad else t for t, bad in lines]
    assert [p.line for p in report.problems] == [n for n, (_, bad) in enumerate(lines, 1) if bad]
    if any(bad for _, bad in lines):
        first = next(n for n, (_, bad) in enumerate(lines, 1) if bad)
        with pytest.raises(FormatError) as e:
            read_text(path, ReadReport("x"))
        assert e.value.line == first


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "big5", "shift_jis", "euc-kr", "cp1252",
                                   "iso-8859-1", "utf-8"])
def test_xml_in_any_declared_encoding_python_knows(tmp_path, codec):
    name = {"gbk": "飞机", "gb2312": "飞机", "big5": "飛機", "shift_jis": "飛行機",
            "euc-kr": "비행기"}.get(codec, "caf\xe9")
    text = f'<?xml version="1.0" encoding="{codec}"?>\n<a>\n  <name>{name}</name>\n</a>\n'
    (tmp_path / "a.xml").write_bytes(text.encode(codec))
    xml = LinedXML(tmp_path / "a.xml")
    child = xml.root.find("name")
    assert child.text == name and xml.line(child) == 3


def test_xml_failures_name_file_and_line(tmp_path):
    cases = {
        b'<?xml version="1.0" encoding="x-none"?>\n<a/>': ("does not know", 1),
        b'<?xml version="1.0" encoding="gbk"?>\n<a>\n\x81\x20</a>': ("not gbk", 3),
        b"<a>\n<b></a>": ("does not parse", 2),
        b"  \n": ("empty file", None),
    }
    for data, (words, line) in cases.items():
        (tmp_path / "a.xml").write_bytes(data)
        with pytest.raises(FormatError) as e:
            LinedXML(tmp_path / "a.xml")
        assert words in str(e.value) and e.value.line == line, str(e.value)
    with pytest.raises(FormatError, match="cannot be read"):
        LinedXML(tmp_path / "nowhere.xml")


def test_json_damage_is_found_in_the_entries_that_hold_it(tmp_path):
    data = {"images": [{"name": "a"}, {"name": "bXb"}, {"name": "c"}]}
    raw = json.dumps(data, indent=1).encode().replace(b"X", b"\xe9")
    (tmp_path / "a.json").write_bytes(raw)
    with pytest.raises(FormatError) as e:
        read_json(tmp_path / "a.json", ReadReport("x"), "json")
    assert e.value.line == raw[: raw.index(b"\xe9")].count(b"\n") + 1
    report = ReadReport("x", strict=False)
    jf = read_json(tmp_path / "a.json", report, "json")
    assert [jf.damaged(im) for im in jf.data["images"]] == [False, True, False]
    assert report.counts() == {"undecodable_bytes": 1}
    for content, words in ((b"", "empty file"), (b"[1,", "does not parse"),
                           (b"1" * 5000, "does not parse")):
        (tmp_path / "a.json").write_bytes(content)
        with pytest.raises(FormatError, match=words):
            read_json(tmp_path / "a.json", ReadReport("x"), "json")
        assert read_json(tmp_path / "a.json", ReadReport("x", strict=False), "json") is None
