"""The checks every reader applies to the values a file holds: numbers, sizes, class names, ids.

Introduced in notebook 00. Each check returns the clean value or raises ``ValueError`` whose text
says what the value is and what is wrong with it; the reader adds the file, the line or JSON path
and what the format expects (:meth:`ReadReport.malformed`). Checked here, once, so that no reader
lets a NaN reach ``math.floor`` (``cannot convert float NaN to integer``, naming no file) or an
absurd coordinate reach an int32 array.
"""

from __future__ import annotations

import json
import math

# A pixel coordinate beyond the int32 range is no coordinate of any image (the largest
# remote-sensing mosaics are some 10^5 px wide); boxes within it that fall outside their image
# are clipped or dropped against the image's size, and reported, by ``finish_record``.
COORDINATE_LIMIT = 2**31 - 1


def _json(value) -> str:
    """A value as the JSON file spells it (``null``, ``true``, ``"12"``)."""
    try:
        return json.dumps(value)[:60]
    except (TypeError, ValueError):
        return repr(value)[:60]


def number(value, what: str = "value", *, text_ok: bool = True) -> float:
    """A finite number no larger in magnitude than :data:`COORDINATE_LIMIT`.

    ``value`` is a text field (``text_ok``) or a JSON value, where only JSON numbers count:
    ``"12"``, ``true`` and ``null`` are the wrong type in a JSON file.
    """
    if not text_ok and (isinstance(value, (bool, str)) or not isinstance(value, (int, float))):
        raise ValueError(f"{what} is {_json(value)}, not a JSON number")
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{what} {value!r} is {type(value).__name__}, not a number")
    try:
        v = float(value)
    except OverflowError:
        raise ValueError(f"{what} {value} overflows a float") from None
    except ValueError:
        raise ValueError(f"{what} {value!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{what} {value!r} is not finite")
    if abs(v) > COORDINATE_LIMIT:
        raise ValueError(f"{what} {value!r} is beyond +-2^31")
    return v


def numbers(items: list, what: str = "value", *, text_ok: bool = True) -> list[float]:
    """:func:`number` of each item (``what[k]`` in messages): one pass over plain numbers or
    texts (an iSAID polygon holds hundreds, a DOTA line eight), item by item where one fails."""
    plain = all(type(v) is float or type(v) is int for v in items)
    if plain or (text_ok and all(type(v) is str for v in items)):
        try:
            out = [float(v) for v in items]
        except (OverflowError, ValueError):  # named item by item below
            out = [math.inf]
        if all(-COORDINATE_LIMIT <= v <= COORDINATE_LIMIT for v in out):  # False for NaN too
            return out
    return [number(v, f"{what}[{k}]", text_ok=text_ok) for k, v in enumerate(items)]


def dimension(value, what: str = "size", *, text_ok: bool = True) -> int:
    """A whole, positive image width or height (``800``, ``800.0`` or ``"800"``)."""
    v = number(value, what, text_ok=text_ok)
    if v != int(v) or v < 1:
        raise ValueError(f"{what} {value!r} is not a whole number of at least 1 pixel")
    return int(v)


def class_name(value, what: str = "class name") -> str:
    """A class label: a string holding at least one letter or digit (``"-"``, ``"_"`` and ``""``
    are the placeholders that tools write for a missing name)."""
    if not isinstance(value, str):
        raise ValueError(f"{what} {value!r} is {type(value).__name__}, not a string")
    name = value.strip()
    if not any(c.isalnum() for c in name):
        raise ValueError(f"{what} {value!r} is empty or a placeholder")
    return name


def json_id(value, what: str = "id"):
    """A JSON id: an integer or a non-empty string (not a float, bool, list or null)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)) or value == "":
        raise ValueError(f"{what} {_json(value)} is not an integer or string id")
    return value


def json_text(value, what: str = "text") -> str:
    """A JSON string with something in it; ``null`` (which ``str`` would turn into "None"),
    numbers and empty strings are refused."""
    if not isinstance(value, str):
        raise ValueError(f"{what} is {_json(value)}, not a string")
    if not value.strip():
        raise ValueError(f"{what} is empty")
    return value.strip()
