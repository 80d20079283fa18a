"""Reading annotation files as text, JSON or XML, with every decoding failure named.

Introduced in notebook 00. Annotation files are UTF-8 (a byte-order mark is allowed; UTF-16 with
its mark is read too). What real downloads bring instead, and what happens to it:

- bytes that are not UTF-8 (a Latin-1 "e acute" typed by hand): strict mode raises
  :class:`FormatError` with the file and line; lenient mode lists each such line and reads the
  rest (a text line is skipped; in JSON, the entries holding the bytes are skipped by the reader,
  see :meth:`JsonFile.damaged`);
- an XML declaration naming an encoding expat cannot read (``encoding="GBK"``, as Chinese VOC
  tools write): the file is decoded with Python's codec of that name, so such files are read;
  an encoding Python does not know, or bytes that are not in it, is a :class:`FormatError`;
- a file that is empty, does not parse, or cannot be opened: a :class:`FormatError` in strict
  mode; in lenient mode the reader lists it and goes on with the next file.
"""

from __future__ import annotations

import codecs
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from ..errors import FormatError
from . import values
from .read_report import ReadReport

UTF8_TEXT = "UTF-8 text"
# codecs expat decodes itself; any other declared encoding is decoded with Python's codec
_EXPAT_CODECS = {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1"}
_DECLARATION = re.compile(rb"""\A(\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']*)(["'])""")


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _read_bytes(path: Path, report: ReadReport) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as e:
        report.malformed(path, None, f"cannot be read ({e.strerror or e})", "a readable file")
        return None


def _unicode(data: bytes) -> tuple[bytes, str]:
    """The bytes without a byte-order mark, and the codec they are in."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):], "utf-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data, "utf-16"
    return data, "utf-8"


def read_text(path: Path, report: ReadReport) -> str | None:
    """A text file's content. Strict: the first line with bytes that are not UTF-8 raises.
    Lenient: each such line is listed and left empty (so later line numbers stay right).
    None when the file cannot be read at all (listed)."""
    data = _read_bytes(Path(path), report)
    if data is None:
        return None
    data, codec = _unicode(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        if report.strict or codec != "utf-8":
            report.malformed(path, _line_of(data, e.start),
                             f"bytes that are not {codec.upper()} ({e.reason})", UTF8_TEXT)
            return None
    lines = []
    for lineno, raw in enumerate(data.split(b"\n"), 1):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            report.malformed(path, lineno, f"bytes that are not UTF-8 ({e.reason}); line skipped",
                             UTF8_TEXT)
            lines.append("")
    return "\n".join(lines)


def _has_surrogates(obj) -> bool:
    if isinstance(obj, str):
        return any("\udc80" <= c <= "\udcff" for c in obj)
    if isinstance(obj, dict):
        return any(_has_surrogates(k) or _has_surrogates(v) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_has_surrogates(v) for v in obj)
    return False


@dataclass
class JsonFile:
    """A parsed JSON file and the lines on which it held bytes that are not UTF-8 (lenient)."""

    path: Path
    data: object
    bad_lines: list[int] = field(default_factory=list)

    def damaged(self, entry) -> bool:
        """Whether ``entry`` (any part of :attr:`data`) holds bytes that were not UTF-8."""
        return bool(self.bad_lines) and _has_surrogates(entry)

    def object_entry(self, entry) -> dict:
        """``entry`` if it is a JSON object with no damaged bytes; else ValueError saying which."""
        if not isinstance(entry, dict):
            raise ValueError(f"is {type(entry).__name__}, not an object")
        if self.damaged(entry):
            raise ValueError("holds bytes that are not UTF-8")
        return entry


def read_json(path: Path, report: ReadReport, expected: str) -> JsonFile | None:
    """Parse a JSON file. A file that is empty, does not parse or cannot be read is a
    :class:`FormatError` (strict) or listed and None (lenient). Non-UTF-8 bytes: strict raises
    naming the line; lenient keeps them as surrogates and lists the lines, and the reader skips
    the entries that :meth:`JsonFile.damaged` finds."""
    path = Path(path)
    data = _read_bytes(path, report)
    if data is None:
        return None
    data, codec = _unicode(data)
    bad_lines: list[int] = []
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        if report.strict or codec != "utf-8":
            report.malformed(path, _line_of(data, e.start),
                             f"bytes that are not {codec.upper()} ({e.reason})", "UTF-8 JSON")
            return None
        text = data.decode("utf-8", "surrogateescape")
        bad_lines = [n for n, line in enumerate(text.split("\n"), 1) if _has_surrogates(line)]
        report.note("undecodable_bytes", path, bad_lines[0],
                    f"bytes that are not UTF-8 on lines {bad_lines[:10]}"
                    f"{' ...' if len(bad_lines) > 10 else ''}; "
                    "the entries holding them are skipped")
    if not text.strip():
        report.malformed(path, None, "empty file", expected)
        return None
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as e:
        report.malformed(path, e.lineno, f"JSON does not parse: {e.msg} (column {e.colno})",
                         expected)
        return None
    except (ValueError, RecursionError) as e:  # an integer of > 4300 digits, nesting too deep
        report.malformed(path, None, f"JSON does not parse: {type(e).__name__}: {e}", expected)
        return None
    return JsonFile(path, parsed, bad_lines)


def _xml_bytes(path: Path, data: bytes) -> bytes:
    """The bytes expat should parse: a file declaring an encoding expat cannot read is decoded
    with Python's codec and handed over as UTF-8 (line numbers unchanged)."""
    m = _DECLARATION.match(data)
    if m is None:
        return data
    declared = m.group(2).decode("ascii", "replace")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise FormatError(path, 1, f"declares encoding {declared!r}, which Python does not know",
                          "an encoding Python can decode (UTF-8, GBK, ...)") from None
    if codec in _EXPAT_CODECS:
        return data
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as e:
        raise FormatError(path, _line_of(data, e.start),
                          f"bytes that are not {declared} ({e.reason})",
                          f"text in the declared encoding {declared}") from None
    head = m.group(1) + b"UTF-8" + m.group(3)
    return head + text[len(m.group(0).decode(codec)):].encode("utf-8")


class LinedXML:
    """An XML tree whose elements remember the line they start on (for error messages).

    Raises :class:`FormatError` naming the file and line when it cannot be read or parsed
    (see the module's notes on encodings); :func:`parse_xml` lists it instead in lenient mode.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        builder = ET.TreeBuilder()
        parser = expat.ParserCreate()
        self._lines: dict[int, int] = {}
        self._keep: list[ET.Element] = []

        def start(tag, attrs):
            elem = builder.start(tag, attrs)
            self._lines[id(elem)] = parser.CurrentLineNumber
            self._keep.append(elem)

        parser.StartElementHandler = start
        parser.EndElementHandler = builder.end
        parser.CharacterDataHandler = builder.data
        try:
            data = self.path.read_bytes()
        except OSError as e:
            raise FormatError(self.path, None, f"cannot be read ({e.strerror or e})",
                              "a readable XML file") from None
        if not data.strip():
            raise FormatError(self.path, None, "empty file", "an XML annotation")
        data = _xml_bytes(self.path, data)
        try:
            parser.Parse(data, True)
        except expat.ExpatError as e:
            raise FormatError(
                self.path, e.lineno, f"XML does not parse: {e}", expected="well-formed XML"
            ) from None
        except (ValueError, LookupError) as e:  # an encoding expat refuses
            raise FormatError(self.path, 1, f"XML cannot be decoded: {e}",
                              "UTF-8 or a declared encoding Python knows") from None
        self.root = builder.close()

    def line(self, elem: ET.Element) -> int | None:
        """The line an element starts on (None if unknown)."""
        return self._lines.get(id(elem))

    def text(self, parent: ET.Element, tag: str) -> str | None:
        """Stripped text of the first child ``tag`` (a path like ``size/width`` works)."""
        child = parent.find(tag)
        if child is None or child.text is None:
            return None
        return child.text.strip()

    def number(
        self,
        parent: ET.Element,
        tag: str,
        report: ReadReport,
        cast: Callable = float,
        context: str = "",
    ) -> float | None:
        """The number in child ``tag`` (``cast=int``: a whole positive size); a missing,
        non-numeric, non-finite or out-of-range one goes to the report and gives None."""
        raw = self.text(parent, tag)
        child = parent.find(tag)
        line = self.line(child) if child is not None else self.line(parent)
        check = values.dimension if cast is int else values.number
        try:
            if raw is None:
                raise ValueError(f"<{tag}> is missing")
            return check(raw, f"<{tag}>")
        except ValueError as e:
            expected = f"a whole size >= 1 in <{tag}>" if cast is int else f"a number in <{tag}>"
            report.malformed(self.path, line, f"{context}{e}", expected=expected)
            return None


def parse_xml(path: Path, report: ReadReport) -> LinedXML | None:
    """:class:`LinedXML` of ``path``; in lenient mode a file that cannot be parsed is listed
    and None returned, so the folder's other files are read."""
    try:
        return LinedXML(path)
    except FormatError as e:
        report.malformed(e.file, e.line, e.message, e.expected)
        return None
