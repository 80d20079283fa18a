"""Small English helpers shared by the caption writers: number words, plurals, articles.

Introduced in notebook 00 (the embedded RET captions); Box-to-Caption (03) and the counting
evaluation (06) use them too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
]
IRREGULAR_PLURALS = {
    "person": "people",
    "people": "people",
    "aircraft": "aircraft",
    "man": "men",
    "woman": "women",
    "child": "children",
    "sheep": "sheep",
}


def plural(noun: str) -> str:
    """English plural of a (possibly multi-word) noun: the last word changes. A non-ASCII last
    word with no Latin letter (a Chinese ``飞机``, an Arabic ``طائرة``) is left as it is: an
    English ``s`` means nothing there (ASCII words are pluralised exactly as before)."""
    head, _, last = noun.rpartition(" ")
    if not last.isascii() and not any("LATIN" in unicodedata.name(c, "") for c in last):
        return noun
    if last.lower() in IRREGULAR_PLURALS:
        last = IRREGULAR_PLURALS[last.lower()]
    elif re.search(r"(s|x|z|ch|sh)$", last):
        last += "es"
    elif re.search(r"[^aeiou]y$", last):
        last = last[:-1] + "ies"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def with_article(noun: str) -> str:
    """``a ship``, ``an airplane``, ``an expressway service area``, ``a T-junction``."""
    vowel = noun[0].lower() in "aeiou" and not noun.lower().startswith(("uni", "use", "eu"))
    return ("an " if vowel else "a ") + noun


@lru_cache(maxsize=1)
def _simple_tokenizer():
    from open_clip.tokenizer import SimpleTokenizer

    return SimpleTokenizer()


def model_tokens(caption: str) -> tuple[int, ...]:
    """The token ids open_clip's CLIP tokenizer gives a caption (before padding and truncation):
    what the model sees. It lower-cases and normalises spacing, so ``"A field."`` and
    ``"a field ."`` are one caption to the model. Introduced in notebook 00 (the RET test split's
    captions are distinct by this key); notebook 06 counts token-equal captions."""
    return tuple(_simple_tokenizer().encode(caption))
