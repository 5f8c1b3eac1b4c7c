"""Digital Link parsing stage: a scanned URI → its GS1 AIs, each checked as GS1 defines it.

The rules come from two GS1 documents, and nothing here is lenient on purpose:

- *GS1 Digital Link URI Syntax 1.4*: `http(s)://{domain}/{stem}/{key AI}/{key}[/{qualifier AI}/{value}…]`
  `[?{attribute AI}={value}&…][#fragment]`. The primary key is the rightmost `/AI/value` pair
  whose AI is a Digital Link primary key; the pairs after it are its key qualifiers, in the
  order the dictionary gives (`01` takes `22`, `10`, `21` in that order, or `235` alone).
  A GTIN is written with 14 digits: the 8-, 12- and 13-digit forms that Digital Link 1.0-1.3
  padded silently are refused (version 1.4 made 14 digits mandatory, and GS1's Barcode Syntax
  Engine and resolver test suite refuse them too); the error names the 14-digit form.
- *GS1 Barcode Syntax Dictionary* (`gs1_syntax_dictionary.txt`, GS1's own data file, read as
  is): each AI's components (numeric, CSET 82, CSET 39 or CSET 64, with their lengths) and
  the checks GS1 names for them (check digits, dates with the day-00 rule of AIs 11-17,
  country and currency codes, …), the AIs allowed as query attributes, and which AIs an AI
  requires or excludes (AI 8030, the digital signature, requires `01`+`21` among others).

In the query, a parameter whose name is all digits must be a known AI, allowed as a data
attribute, given once, with a non-empty valid value, and not one that belongs in the path
(`/01/…?10=…` is refused: 10 is a key qualifier of 01, so it goes in the path). Other
parameters (`linkType`, `lang`, labelgen's `s`, …) are passed through for the caller.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import unquote_to_bytes

from labelgen.errors import DigitalLinkError
from labelgen.gtin import gtin_check_digit
from labelgen.traceability import GS1_CSET_82

_DATA_DIR = Path(__file__).resolve().parent
DICTIONARY_PATH = _DATA_DIR / "gs1_syntax_dictionary.txt"
CODE_LISTS_PATH = _DATA_DIR / "gs1_code_lists.json"

MAX_URI_CHARS = 2048
GTIN_AI = "01"
LEGACY_GTIN_LENGTHS = (8, 12, 13)
# RFC 3986's unreserved and reserved characters, and '%' for escapes: anything else (a space,
# '<', '{', '^', a letter beyond ASCII…) is not in a URI.
URI_CHARACTERS = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
# Characters a host may not hold: the sub-delimiters and what separates the URI's parts.
_BAD_DOMAIN_CHARACTERS = frozenset("_~?#@!$&'()*+,;=%")
_SCHEMES = ("https://", "http://", "HTTPS://", "HTTP://")
CSET_39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
CSET_64 = frozenset("-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
CSET_32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CSET_NAMES = {"N": "digits", "X": "GS1 CSET 82", "Y": "GS1 CSET 39", "Z": "GS1 CSET 64"}
# A GS1 Company Prefix starts with at least 4 digits (GS1 Syntax Tests, gcppos1).
GCP_MIN_DIGITS = 4
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Component:
    """One part of an AI's value as the dictionary describes it, e.g. `N6,yymmd0`."""

    charset: str  # N, X, Y or Z
    min_chars: int
    max_chars: int
    optional: bool
    checks: tuple[str, ...]


@dataclass(frozen=True)
class AIEntry:
    """One AI of the GS1 Barcode Syntax Dictionary."""

    ai: str
    title: str
    components: tuple[Component, ...]
    predefined_length: bool  # flag `*`: no FNC1 separator after it
    data_attribute: bool  # flag `?`: allowed in a Digital Link query
    # Each `req=` attribute: alternatives, each a group of AI patterns that must all be present.
    requires: tuple[tuple[tuple[str, ...], ...], ...]
    excludes: tuple[str, ...]
    # None when not a primary key; else its qualifier sequences (`(("22", "10", "21"), ("235",))`).
    key_qualifiers: tuple[tuple[str, ...], ...] | None

    @property
    def max_chars(self) -> int:
        return sum(component.max_chars for component in self.components)


@dataclass(frozen=True)
class DigitalLink:
    """A parsed GS1 Digital Link URI: its AIs (values decoded) and the other query parameters."""

    uri: str
    stem: str  # scheme, domain and any path before the primary key
    path: tuple[tuple[str, str], ...]  # the primary key first, then its key qualifiers
    attributes: tuple[tuple[str, str], ...]  # AIs given in the query, in the order given
    parameters: tuple[tuple[str, str | None], ...] = field(default=())  # non-AI, decoded

    @property
    def primary_key(self) -> tuple[str, str]:
        return self.path[0]

    def value(self, ai: str) -> str | None:
        """The value of `ai` wherever it is given (path or query), or None."""
        for name, value in self.path + self.attributes:
            if name == ai:
                return value
        return None

    def parameter_values(self, name: str) -> list[str | None]:
        """Every value given for the non-AI query parameter `name` (None for a bare `name`)."""
        return [value for key, value in self.parameters if key == name]

    def element_string(self) -> str:
        """The AIs as GS1 element strings, `^` standing for FNC1 (as GS1's Syntax Engine writes
        them): the path in order, then the query attributes in the order given."""
        text = ""
        separator_due = True
        for ai, value in self.path + self.attributes:
            text += ("^" if separator_due else "") + ai + value
            separator_due = not entry_for(ai).predefined_length
        return text


# GS1 Digital Link 1.0-1.2's short names for key AIs, removed from the URI syntax in 1.3.
CONVENIENCE_ALPHAS = {
    "cpid": "8010", "cpsn": "8011", "cpv": "22", "gcn": "255", "gdti": "253", "giai": "8004",
    "ginc": "401", "gln": "414", "glnx": "254", "gmn": "8013", "grai": "8003", "gsin": "402",
    "gsrn": "8018", "gsrnp": "8017", "gtin": "01", "itip": "8006", "lot": "10", "party": "417",
    "refno": "8020", "ser": "21", "srin": "8019", "sscc": "00",
}  # fmt: skip
UNKNOWN_AI_MAX_CHARS = 90


def parse_digital_link(
    uri: str,
    *,
    legacy_gtin: bool = False,
    convenience_alphas: bool = False,
    unknown_attributes: bool = False,
) -> DigitalLink:
    """Parse `uri` strictly; DigitalLinkError naming the AI and the reason when it is not a
    valid GS1 Digital Link URI (see the module docstring for the rules).

    The three options turn on what GS1's Syntax Engine keeps behind switches, all off by
    default there and here: `legacy_gtin` reads an 8/12/13-digit GTIN as its GTIN-14,
    `convenience_alphas` reads `/gtin/…`, `/lot/…`, … (Digital Link 1.0-1.2), and
    `unknown_attributes` accepts AIs GS1 has not defined as query attributes (CSET 82, up to
    90 characters). The verification service uses none of them.
    """
    if len(uri) > MAX_URI_CHARS:
        raise _error(f"longer than {MAX_URI_CHARS} characters")
    if not URI_CHARACTERS.issuperset(uri):
        bad = sorted({char for char in uri if char not in URI_CHARACTERS})
        shown = " ".join(repr(char) for char in bad[:5])
        raise _error(f"{shown} cannot appear in a URI unless percent-encoded")
    scheme = next((prefix for prefix in _SCHEMES if uri.startswith(prefix)), None)
    if scheme is None:
        raise _error("must start with https:// or http:// (all small or all capitals)")
    rest = uri[len(scheme) :]
    domain, slash, path_and_more = rest.partition("/")
    if not domain or not slash:
        raise _error("needs a domain name and a path")
    if any(char in _BAD_DOMAIN_CHARACTERS for char in domain):
        raise _error(f"{domain!r} is not a domain name")
    path_and_query = path_and_more.partition("#")[0]
    path, _, query = path_and_query.partition("?")
    segments = path.split("/")
    start = _primary_key_position(segments, convenience_alphas)
    path_ais: list[tuple[str, str]] = []
    for name, raw in zip(segments[start::2], segments[start + 1 :: 2], strict=True):
        ai = _path_ai(name, convenience_alphas)
        path_ais.append((ai, _path_value(ai, raw, legacy_gtin)))
    attributes, parameters = _query(query, legacy_gtin, unknown_attributes)
    _check_path_sequence([ai for ai, _ in path_ais])
    _check_attributes(path_ais, attributes)
    for ai, value in path_ais + attributes:
        check_ai_value(entry_for(ai), value)
    _check_associations(path_ais + attributes)
    stem = scheme + domain + "/" + "/".join(segments[:start])
    return DigitalLink(uri, stem.rstrip("/"), tuple(path_ais), tuple(attributes), tuple(parameters))


def _path_ai(name: str, convenience_alphas: bool) -> str:
    if convenience_alphas and 3 <= len(name) <= 5 and not name[0].isdigit():
        return CONVENIENCE_ALPHAS.get(name, name)
    return name


def _primary_key_position(segments: list[str], convenience_alphas: bool) -> int:
    """Where the primary key's AI is among the path segments: the rightmost `/AI/value` pair
    whose AI is a primary key, walking back over known AIs only."""
    dictionary = ai_dictionary()
    position = len(segments) - 2
    while position >= 0:
        entry = dictionary.get(_path_ai(segments[position], convenience_alphas))
        if entry is None:
            break
        if entry.key_qualifiers is not None:
            return position
        position -= 2
    if len(segments) > 1 and segments[-1] == "":
        raise _error("the path must not end with '/'")
    raise _error("no GS1 primary key (such as /01/{GTIN}) in the path")


def _path_value(ai: str, raw: str, legacy_gtin: bool) -> str:
    if not raw:
        raise _error("the path gives no value", ai)
    value = _unescape(raw, ai, plus_is_space=False)
    if ai == GTIN_AI and len(value) in LEGACY_GTIN_LENGTHS and value.isdigit():
        if legacy_gtin:
            return value.zfill(14)
        raise _error(
            f"{value!r} is a GTIN-{len(value)}; Digital Link 1.4 writes every GTIN with 14 digits: "
            f"{value.zfill(14)}",
            ai,
            value.zfill(14),
        )
    return value


def _query(
    query: str, legacy_gtin: bool, unknown_attributes: bool
) -> tuple[list[tuple[str, str]], list[tuple[str, str | None]]]:
    dictionary = ai_dictionary()
    attributes: list[tuple[str, str]] = []
    parameters: list[tuple[str, str | None]] = []
    for item in query.split("&"):
        if not item:
            continue
        name, equals, raw = item.partition("=")
        if not equals:
            parameters.append((_unescape(name, None, plus_is_space=True), None))
            continue
        if name and not name.isdigit():
            parameters.append(
                (_unescape(name, None, plus_is_space=True), _unescape(raw, None, True))
            )
            continue
        if name not in dictionary and not (unknown_attributes and 2 <= len(name) <= 4):
            raise _error(f"the query names AI {name!r}, which GS1 does not define")
        if not raw:
            raise _error("the query gives no value", name)
        value = _unescape(raw, name, plus_is_space=True)
        if name == GTIN_AI and legacy_gtin and len(value) in LEGACY_GTIN_LENGTHS:
            value = value.zfill(14)
        attributes.append((name, value))
    return attributes, parameters


def _unescape(raw: str, ai: str | None, plus_is_space: bool) -> str:
    """Percent-decoding as Digital Link defines it: `+` is a space in the query only, and a
    `%` not followed by two hex digits stays a `%`. An AI value decodes byte for byte (its
    character set is checked later) and may not hold NUL; any other parameter is UTF-8."""
    text = raw.replace("+", " ") if plus_is_space else raw
    out = unquote_to_bytes(text) if "%" in text else text.encode("latin-1")
    if ai is not None:
        if 0 in out:
            raise _error("the value holds a NUL character (%00)", ai)
        return out.decode("latin-1")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(f"the query parameter {raw!r} is not UTF-8 once decoded") from None


def _is_escape(text: str, position: int) -> bool:
    pair = text[position + 1 : position + 3]
    return len(pair) == 2 and _HEX_DIGITS.issuperset(pair)


def _error(
    reason: str, ai: str | None = None, fourteen_digit: str | None = None
) -> DigitalLinkError:
    entry = ai_dictionary().get(ai) if ai is not None else None
    return DigitalLinkError(
        reason, ai, title=entry.title if entry else None, fourteen_digit=fourteen_digit
    )


def _check_path_sequence(ais: list[str]) -> None:
    if not is_key_sequence(ais):
        key = ais[0]
        allowed = " or ".join(
            "/".join(sequence) for sequence in ai_dictionary()[key].key_qualifiers or ()
        )
        raise _error(
            f"{'/'.join(ais[1:])} cannot follow it in the path: its key qualifiers are, in this "
            f"order, {allowed or 'none'}",
            key,
        )


def is_key_sequence(ais: list[str]) -> bool:
    """True when `ais` is a primary key then some of one of its qualifier sequences, in order."""
    return _is_key_sequence(tuple(ais))


# Bounded: the sequences tried come from scanned URLs.
@lru_cache(maxsize=1024)
def _is_key_sequence(ais: tuple[str, ...]) -> bool:
    entry = ai_dictionary().get(ais[0]) if ais else None
    if entry is None or entry.key_qualifiers is None:
        return False
    qualifiers = list(ais[1:])
    if not qualifiers:
        return True
    return any(_is_ordered_subset(qualifiers, sequence) for sequence in entry.key_qualifiers)


def _is_ordered_subset(items: list[str], sequence: tuple[str, ...]) -> bool:
    remaining = iter(sequence)
    return all(any(item == candidate for candidate in remaining) for item in items)


def _check_attributes(path: list[tuple[str, str]], attributes: list[tuple[str, str]]) -> None:
    _check_attribute_ais(tuple(ai for ai, _ in path), tuple(ai for ai, _ in attributes))


# These checks depend on the AIs alone, which nearly every scan repeats: their verdicts are
# kept (bounded, as the AIs come from scanned URLs).
@lru_cache(maxsize=1024)
def _check_attribute_ais(path_ais: tuple[str, ...], attribute_ais: tuple[str, ...]) -> None:
    seen: set[str] = set()
    for ai in path_ais + attribute_ais:
        if ai in seen:
            raise _error("is given more than once", ai)
        seen.add(ai)
    for ai in attribute_ais:
        if not entry_for(ai).data_attribute:
            raise _error("is not allowed as a data attribute in the query", ai)
        for position in range(1, len(path_ais) + 1):
            if is_key_sequence([*path_ais[:position], ai, *path_ais[position:]]):
                raise _error(
                    f"is a key qualifier of AI {path_ais[0]}: it belongs in the path "
                    f"(/{path_ais[0]}/…/{ai}/…), not in the query",
                    ai,
                )


def _check_associations(ais: list[tuple[str, str]]) -> None:
    """GS1's mandatory and invalid pairings (`req=`, `ex=`) over every AI of the URI."""
    _check_association_ais(tuple(ai for ai, _ in ais))


@lru_cache(maxsize=1024)
def _check_association_ais(present: tuple[str, ...]) -> None:
    for ai in present:
        entry = entry_for(ai)
        for excluded in entry.excludes:
            clash = next(
                (other for other in present if other != ai and _matches(other, excluded)), None
            )
            if clash is not None:
                raise _error(f"cannot be given with AI {clash}", ai)
        for alternatives in entry.requires:
            if not any(
                all(_present(pattern, present) for pattern in group) for group in alternatives
            ):
                wanted = " or ".join("+".join(group) for group in alternatives)
                raise _error(f"needs AI {wanted} in the same URI", ai)


def _present(pattern: str, present: tuple[str, ...]) -> bool:
    if "n" not in pattern:
        return pattern in present
    return any(_matches(ai, pattern) for ai in present)


def _matches(ai: str, pattern: str) -> bool:
    """True when `ai` matches a dictionary pattern such as `3103` or `394n` (n: any digit)."""
    return len(ai) == len(pattern) and all(
        (p == "n" and a.isdigit()) or p == a for a, p in zip(ai, pattern, strict=True)
    )


def check_ai_value(entry: AIEntry, value: str) -> None:
    """DigitalLinkError naming the AI unless `value` fits its components and their checks."""
    ai = entry.ai
    if len(value) > entry.max_chars:
        raise _error(f"{value!r} is {len(value)} characters; at most {entry.max_chars}", ai)
    position = 0
    for component in entry.components:
        if position >= len(value) and component.optional:
            break
        if component is entry.components[-1] or component.min_chars == component.max_chars:
            width = min(component.max_chars, len(value) - position)
        else:
            width = component.max_chars
        part = value[position : position + width]
        if len(part) < component.min_chars:
            expected = (
                f"{component.min_chars}"
                if component.min_chars == component.max_chars
                else f"{component.min_chars} to {component.max_chars}"
            )
            raise _error(
                f"{value!r} is too short: {expected} {_CSET_NAMES[component.charset]} "
                f"expected from character {position + 1}",
                ai,
            )
        _check_charset(ai, component.charset, part)
        for check in component.checks:
            reason = VALUE_CHECKS[check](part)
            if reason:
                raise _error(f"{value!r}: {reason}", ai)
        position += len(part)
    if position < len(value):
        raise _error(f"{value!r} is too long for its format", ai)


def _check_charset(ai: str, charset: str, part: str) -> None:
    if charset == "N":
        ok = part.isascii() and part.isdigit()
    elif charset == "X":
        ok = GS1_CSET_82.issuperset(part)
    elif charset == "Y":
        ok = CSET_39.issuperset(part)
    else:
        ok = _is_cset_64(part)
    if not ok:
        refused = sorted({char for char in part if not _allowed(charset, char)}) or ["="]
        shown = " ".join(repr(char) for char in refused)
        raise _error(f"{shown} not allowed: {_CSET_NAMES[charset]} only", ai)


def _allowed(charset: str, char: str) -> bool:
    if charset == "N":
        return char in "0123456789"
    if charset == "X":
        return char in GS1_CSET_82
    if charset == "Y":
        return char in CSET_39
    return char in CSET_64


def _is_cset_64(part: str) -> bool:
    body = part.rstrip("=")
    padding = len(part) - len(body)
    if padding > 2 or (padding and len(part) % 3):
        return False
    return CSET_64.issuperset(body)


# --- the GS1 Barcode Syntax Tests named in the dictionary -----------------------------------
# Each takes a component's text and answers None when it passes, else the reason.


def _csum(part: str) -> str | None:
    if gtin_check_digit(part[:-1]) != int(part[-1]):
        return f"wrong check digit: {gtin_check_digit(part[:-1])} expected"
    return None


_CSET_82_ORDER = (
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)


def _csumalpha(part: str) -> str | None:
    if len(part) < 2:
        return "too short for its check character pair"
    primes = _primes(len(part) - 2)
    total = sum(
        _CSET_82_ORDER.index(char) * primes[len(part) - 3 - position]
        for position, char in enumerate(part[:-2])
    )
    expected = CSET_32[(total % 1021) >> 5] + CSET_32[total % 1021 & 31]
    return None if part[-2:] == expected else f"wrong check characters: {expected} expected"


@cache
def _primes(count: int) -> tuple[int, ...]:
    found: list[int] = []
    candidate = 2
    while len(found) < count:
        if all(candidate % prime for prime in found if prime * prime <= candidate):
            found.append(candidate)
        candidate += 1
    return tuple(found)


def _gcp(part: str, offset: int) -> str | None:
    prefix = part[offset : offset + GCP_MIN_DIGITS]
    if len(prefix) < GCP_MIN_DIGITS or not prefix.isdigit():
        return "does not start with a GS1 Company Prefix"
    return None


def _date(part: str, day_zero: bool) -> str | None:
    if len(part) not in (6, 8) or not part.isdigit():
        return "not a date"
    if len(part) == 6:
        year = _full_year(int(part[:2]))
        month, day = int(part[2:4]), int(part[4:6])
    else:
        year, month, day = int(part[:4]), int(part[4:6]), int(part[6:8])
    if not 1 <= month <= 12:
        return f"not a date: month {month:02d}"
    if day == 0 and day_zero:
        return None
    try:
        dt.date(year, month, day)
    except ValueError:
        return f"not a date: day {day:02d} of {year}-{month:02d}"
    return None


def _full_year(yy: int) -> int:
    """GS1 General Specifications §7.12: a two-digit year within -49..+50 of this year."""
    this_year = dt.date.today().year
    century = this_year - this_year % 100
    difference = yy - this_year % 100
    if difference >= 51:
        return century - 100 + yy
    if difference > -50:
        return century + yy
    return century + 100 + yy


def _ranged(part: str, top: int, name: str) -> str | None:
    if not part.isdigit() or int(part) > top:
        return f"not a valid {name}"
    return None


def _pieceoftotal(part: str) -> str | None:
    if len(part) % 2 or not part.isdigit():
        return "not a piece number and total"
    piece, total = int(part[: len(part) // 2]), int(part[len(part) // 2 :])
    if piece == 0 or total == 0 or piece > total:
        return f"piece {piece} of {total} is not possible"
    return None


def _posinseqslash(part: str) -> str | None:
    position, slash, end = part.partition("/")
    if not (slash and position.isdigit() and end.isdigit()):
        return "not a position/total"
    if position[0] == "0" or end[0] == "0" or int(position) > int(end):
        return f"position {position} of {end} is not possible"
    return None


def _pcenc(part: str) -> str | None:
    for match in re.finditer("%", part):
        if not _is_escape(part, match.start()):
            return "holds an incomplete percent escape"
    return None


def _iban(part: str) -> str | None:
    if len(part) < 5 or part[:2] not in _code_list("iso3166alpha2") or len(part) > 34:
        return "not an IBAN"
    digits = "".join(str(int(char, 36)) for char in part[4:] + part[:4])
    return None if int(digits) % 97 == 1 else "wrong IBAN check digits"


def _in_list(name: str, label: str) -> Callable[[str], str | None]:
    def check(part: str) -> str | None:
        return None if part in _code_list(name) else f"{part!r} is not {label}"

    return check


def _iso3166999(part: str) -> str | None:
    return None if part == "999" else _in_list("iso3166", "an ISO 3166 country code")(part)


def _mediatype(part: str) -> str | None:
    if len(part) == 2 and part.isdigit() and (1 <= int(part) <= 10 or 80 <= int(part) <= 99):
        return None
    return f"{part!r} is not an assigned media type"


def _nonzero(part: str) -> str | None:
    return None if part.strip("0") else "must not be zero"


VALUE_CHECKS: dict[str, Callable[[str], str | None]] = {
    "csum": _csum,
    "csumalpha": _csumalpha,
    "gcppos1": lambda part: _gcp(part, 0),
    "gcppos2": lambda part: _gcp(part, 1),
    "yymmdd": lambda part: _date(part, day_zero=False),
    "yymmd0": lambda part: _date(part, day_zero=True),
    "yyyymmdd": lambda part: _date(part, day_zero=False),
    "yyyymmd0": lambda part: _date(part, day_zero=True),
    "hh": lambda part: _ranged(part, 23, "hour"),
    "mi": lambda part: _ranged(part, 59, "minute"),
    "ss": lambda part: _ranged(part, 59, "second"),
    "hhmi": lambda part: _ranged(part[:2], 23, "hour") or _ranged(part[2:], 59, "minute"),
    "yesno": lambda part: None if part in ("0", "1") else "must be 0 or 1",
    "zero": lambda part: None if part and not part.strip("0") else "must be 0",
    "nonzero": _nonzero,
    "nozeroprefix": lambda part: "must not start with 0" if part.startswith("0") else None,
    "hasnondigit": lambda part: None if not part.isdigit() else "must hold a non-digit",
    "hyphen": lambda part: None if part and not part.strip("-") else "must be '-'",
    "winding": lambda part: None if part in ("0", "1", "9") else "must be 0, 1 or 9",
    "iso5218": lambda part: None if part in ("0", "1", "2", "9") else "must be 0, 1, 2 or 9",
    "importeridx": lambda part: None if len(part) == 1 and part in CSET_64 else "bad index",
    "latitude": lambda part: _ranged(part, 1_800_000_000, "latitude"),
    "longitude": lambda part: _ranged(part, 3_600_000_000, "longitude"),
    "pieceoftotal": _pieceoftotal,
    "posinseqslash": _posinseqslash,
    "pcenc": _pcenc,
    "iban": _iban,
    "iso3166": _in_list("iso3166", "an ISO 3166 country code"),
    "iso3166999": _iso3166999,
    "iso3166alpha2": _in_list("iso3166alpha2", "an ISO 3166 alpha-2 country code"),
    "iso4217": _in_list("iso4217", "an ISO 4217 currency code"),
    "packagetype": _in_list("packagetype", "a GS1 package type code"),
    "mediatype": _mediatype,
    # The coupon AIs (8110, 8112) carry a whole coupon description of their own; only their
    # character set and length are checked here.
    "couponcode": lambda part: None,
    "couponposoffer": lambda part: None,
}


@cache
def _code_list(name: str) -> frozenset[str]:
    lists: dict[str, list[str]] = json.loads(CODE_LISTS_PATH.read_text(encoding="utf-8"))
    return frozenset(lists[name])


# --- reading the dictionary ------------------------------------------------------------------


def entry_for(ai: str) -> AIEntry:
    """The dictionary's entry for `ai`; an AI GS1 does not define (accepted only with
    `unknown_attributes`) reads as a query attribute of up to 90 CSET 82 characters."""
    entry = ai_dictionary().get(ai)
    if entry is not None:
        return entry
    return AIEntry(
        ai, "", (Component("X", 1, UNKNOWN_AI_MAX_CHARS, False, ()),), False, True, (), (), None
    )


_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d+)?(?:\.\.(\d+))?(\])?((?:,\w+)*)$")
_FLAG_CHARACTERS = frozenset("*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~")


@cache
def ai_dictionary() -> dict[str, AIEntry]:
    """Every AI of the bundled GS1 Barcode Syntax Dictionary, by AI."""
    entries: dict[str, AIEntry] = {}
    for line in DICTIONARY_PATH.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        definition, _, title = line.partition("#")
        for entry in _entries(definition.split(), title.strip()):
            entries[entry.ai] = entry
    return entries


def _entries(tokens: list[str], title: str) -> Iterator[AIEntry]:
    ais, rest = tokens[0], tokens[1:]
    flags = rest.pop(0) if rest and set(rest[0]) <= _FLAG_CHARACTERS else ""
    components: list[Component] = []
    requires: list[tuple[tuple[str, ...], ...]] = []
    excludes: list[str] = []
    key_qualifiers: tuple[tuple[str, ...], ...] | None = None
    for token in rest:
        match = _COMPONENT.match(token)
        if match:
            opening, charset, fixed, most, _, checks = match.groups()
            min_chars = int(fixed) if fixed else 1
            components.append(
                Component(
                    charset,
                    min_chars,
                    int(most) if most else min_chars,
                    bool(opening),
                    tuple(check for check in checks.split(",") if check),
                )
            )
        elif token.startswith("req="):
            requires.append(tuple(tuple(group.split("+")) for group in token[4:].split(",")))
        elif token.startswith("ex="):
            excludes.extend(token[3:].split(","))
        elif token == "dlpkey":
            key_qualifiers = ()
        elif token.startswith("dlpkey="):
            key_qualifiers = tuple(tuple(sequence.split(",")) for sequence in token[7:].split("|"))
    first, _, last = ais.partition("-")
    for number in range(int(first), int(last or first) + 1):
        yield AIEntry(
            str(number).zfill(len(first)),
            title,
            tuple(components),
            "*" in flags,
            "?" in flags,
            tuple(requires),
            tuple(excludes),
            key_qualifiers,
        )
