"""Vietnamese text → comparison keys ignoring case, spacing, punctuation and tone-mark placement."""

from __future__ import annotations

import re
import unicodedata

# The five tone marks. Old-style ("hoà") and new-style ("hòa") spelling put them on different
# vowels, so a key that collects them at the end of each syllable matches both spellings, while
# the vowel-shape marks (circumflex, breve, horn) stay where they are and keep names apart.
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_PUNCTUATION = re.compile(r"[^\w\s]+")


def name_key(text: str) -> str:
    """A key under which 'Khánh Hoà', 'khánh hòa' and 'Khánh  Hòa.' are equal but 'Hoa' is not."""
    plain = _PUNCTUATION.sub(" ", unicodedata.normalize("NFC", text).casefold())
    syllables = []
    for syllable in unicodedata.normalize("NFD", plain).split():
        tones = "".join(char for char in syllable if char in TONE_MARKS)
        bare = "".join(char for char in syllable if char not in TONE_MARKS)
        syllables.append(bare + tones)
    return " ".join(syllables)


def fold(text: str) -> str:
    """The text lower-cased, diacritics removed and đ written d: 'Việt Nam' → 'viet nam'."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(_PUNCTUATION.sub(" ", bare).split())


def nfc(text: str) -> str:
    """The text in Unicode NFC with runs of white space collapsed to one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())
