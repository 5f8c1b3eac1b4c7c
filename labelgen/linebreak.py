"""Line-break rules for Vietnamese labels: a paragraph's words → the spaces between them a line must not break at."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

# Words that name what a figure counts or measures: "500 g", "12 tháng", "45% vol", "2 hũ".
UNITS = frozenset(
    {
        "g", "kg", "mg", "µg", "mcg", "ml", "mL", "l", "L", "lít", "cl", "%", "°C",
        "kcal", "kJ", "mm", "cm", "m",
        "tháng", "ngày", "năm", "viên", "gói", "chai", "hũ", "chiếc", "cái", "hộp", "túi",
    }
)  # fmt: skip
# Words of a date in words ("ngày 20 tháng 11 năm 2026"): each keeps its figure.
DATE_WORDS = frozenset({"ngày", "tháng", "năm"})
# A sign between two figures ("2 – 8 °C", "20 / 11 / 2026", "90 × 180 cm") holds both.
FIGURE_JOINERS = frozenset({"/", "-", "–", "—", "×", "x"})
# Digit groups written apart are one number: a phone number ("0277 3 822 456", "+84 277 3822
# 456"), a GTIN printed in groups. Longer runs are no longer one number but a list of them.
MAX_GROUPED_DIGITS = 15
LONGEST_COMPOUND = 4  # syllables; longer dictionary entries are idioms, not names of things

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:[-–]\d+(?:[.,]\d+)*)?%?")
_DIGIT_GROUP = re.compile(r"\+?\d+(?:[.\-]\d+)*")
_OPENING = "([{“‘\"'«"
_CLOSING = ".,;:!?)]}”’\"'»…"
_COMPOUNDS_FILE = Path(__file__).with_name("vi_compounds.txt")
_DIVISION_PREFIX = re.compile(r"^(?:phường|xã|đặc khu|thành phố|tỉnh)\s+", re.IGNORECASE)


def no_break_gaps(words: tuple[str, ...]) -> frozenset[int]:
    """The spaces (space i lies between words[i] and words[i + 1]) that hold a figure to its unit,
    the groups of a phone number or GTIN together, or the parts of a date."""
    gaps = set(_quantity_gaps(words))
    gaps.update(_digit_group_gaps(words))
    gaps.update(_joiner_gaps(words))
    return frozenset(gaps)


def compound_gaps(words: tuple[str, ...]) -> frozenset[int]:
    """The spaces inside a compound word or a place name ("sầu riêng", "Phú Quốc").

    A space counts when any dictionary entry covers it, not only those of one segmentation:
    "nước mắm tôm" holds both "nước mắm" and "mắm tôm", and neither may be split.
    """
    compounds = _compounds()
    keys = [_syllable_key(word) for word in words]
    gaps: set[int] = set()
    for start in range(len(words) - 1):
        for end in range(start + 2, min(len(words), start + LONGEST_COMPOUND) + 1):
            syllables = keys[start:end]
            if "" in syllables or not _can_join(words, start, end):
                break  # a figure or a comma inside: no longer entry can hold it either
            if " ".join(syllables) in compounds:
                gaps.update(range(start, end - 1))
    return frozenset(gaps)


def _quantity_gaps(words: Sequence[str]) -> list[int]:
    gaps: list[int] = []
    for index in range(len(words) - 1):
        left, right = words[index], words[index + 1]
        if _ends_open(left) or _starts_open(right):
            continue  # "500, gói" or "(g)": punctuation already parts them
        figure, unit = left.lstrip(_OPENING), right.rstrip(_CLOSING)
        after_date_word = index > 0 and words[index - 1].lstrip(_OPENING).lower() in DATE_WORDS
        if _NUMBER.fullmatch(figure) and unit in UNITS and not after_date_word:
            gaps.append(index)  # "500 g", "12 tháng" (but not "ngày 20 | tháng 11")
        elif figure.endswith("%") and unit.lower() == "vol":
            gaps.append(index)  # "45% vol", "29,5 % vol"
        elif figure.lower() in DATE_WORDS and _NUMBER.fullmatch(unit):
            gaps.append(index)  # "ngày 20", "tháng 11", "năm 2026"
    return gaps


def _digit_group_gaps(words: Sequence[str]) -> list[int]:
    gaps: list[int] = []
    start = 0
    while start < len(words):
        end = start
        digits = 0
        while end < len(words) and _is_digit_group(words, start, end):
            digits += sum(character.isdigit() for character in words[end])
            end += 1
        if end - start >= 2 and digits <= MAX_GROUPED_DIGITS:
            gaps.extend(range(start, end - 1))
        start = max(end, start + 1)
    return gaps


def _is_digit_group(words: Sequence[str], start: int, index: int) -> bool:
    """Whether words[index] continues a run of digit groups that began at words[start]."""
    word = words[index]
    if index > start and (_ends_open(words[index - 1]) or _starts_open(word)):
        return False
    return _DIGIT_GROUP.fullmatch(word.lstrip(_OPENING).rstrip(_CLOSING)) is not None


def _joiner_gaps(words: Sequence[str]) -> list[int]:
    gaps: list[int] = []
    for index in range(1, len(words) - 1):
        before, sign, after = words[index - 1], words[index], words[index + 1]
        if (
            sign in FIGURE_JOINERS
            and _NUMBER.fullmatch(before.lstrip(_OPENING))
            and _NUMBER.fullmatch(after.rstrip(_CLOSING))
        ):
            gaps.extend((index - 1, index))
    return gaps


def _ends_open(word: str) -> bool:
    """Whether `word` ends in punctuation that closes a phrase ("500," "g)")."""
    return word != word.rstrip(_CLOSING)


def _starts_open(word: str) -> bool:
    return word != word.lstrip(_OPENING)


def _syllable_key(word: str) -> str:
    """`word` as the dictionary spells it (lower case, no surrounding punctuation), or "" for a
    word that is no syllable (figures, signs)."""
    core = word.lstrip(_OPENING).rstrip(_CLOSING)
    return core.lower() if core.isalpha() else ""


def _can_join(words: Sequence[str], start: int, end: int) -> bool:
    """No punctuation inside words[start:end]: "sầu, riêng" holds no compound."""
    inner_ends = all(not _ends_open(word) for word in words[start : end - 1])
    inner_starts = all(not _starts_open(word) for word in words[start + 1 : end])
    return inner_ends and inner_starts


@cache
def _compounds() -> frozenset[str]:
    """Every compound word and place name ("sầu riêng"), read on first use (about 25 ms, a
    third of it the place names)."""
    lines = []
    for line in _COMPOUNDS_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            # "sầu\triêng|não" → "sầu riêng\nsầu não": one split of the whole text is faster
            # than building 25,000 strings one by one.
            head, _, rests = line.partition("\t")
            lines.append(f"{head} " + rests.replace("|", f"\n{head} "))
    return frozenset("\n".join(lines).split("\n")).union(_place_names())


def _place_names() -> set[str]:
    """Names of provinces and communes of more than one syllable ("Đồng Tháp", "Phú Quốc", "Tây
    Hồ"), lower-cased, from the administrative-units data labelgen already depends on."""
    # Imported here: the data is only needed when a headline is broken.
    from vietnam_provinces import Province, Ward

    names = set()
    units = [province.name for province in Province.iter_all()]
    units += [ward.name for ward in Ward.iter_all()]
    for unit in units:
        name = _DIVISION_PREFIX.sub("", unicodedata.normalize("NFC", unit).lower())
        syllables = name.split()
        if 2 <= len(syllables) <= LONGEST_COMPOUND and all(s.isalpha() for s in syllables):
            names.add(" ".join(syllables))
    return names
