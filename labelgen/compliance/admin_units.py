"""Address or issuer text → the administrative units it names, judged against the 2025 list."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from vietnam_provinces import Province, VietNamDivisionType, Ward

from labelgen.compliance.vntext import name_key, nfc

UnitKind = Literal[
    "tỉnh", "thành phố", "huyện", "quận", "thị xã", "thị trấn", "xã", "phường", "đặc khu"
]
IssuerLevel = Literal["ministry", "province", "district"]

# District-level units and townships ("thị trấn") were abolished on 01/07/2025 when local
# government went from three tiers to two; provinces were merged into 34 at the same time.
DISTRICTS_ABOLISHED_ON = dt.date(2025, 7, 1)
DISTRICT_KINDS: frozenset[UnitKind] = frozenset({"huyện", "quận", "thị xã"})
FORMER_KINDS: frozenset[UnitKind] = DISTRICT_KINDS | {"thị trấn"}
COMMUNE_KINDS: frozenset[UnitKind] = frozenset({"xã", "phường", "đặc khu"})

# Huế was a city inside Thừa Thiên Huế province (a district-level unit) until it became a
# centrally run city on 01/01/2025; the data set only knows the present.
_HUE_CENTRAL_SINCE = dt.date(2025, 1, 1)
_HUE_CODENAME = "hue"

# Written forms of a unit's type at the start of an address part, with the common abbreviations
# ("TP.", "TX", "TT", "Q.", "P.") that need a dot or a space after them to count.
_KIND_WORDS: dict[str, UnitKind] = {
    "tỉnh": "tỉnh",
    "thành phố": "thành phố",
    "tp": "thành phố",
    "huyện": "huyện",
    "quận": "quận",
    "q": "quận",
    "thị xã": "thị xã",
    "tx": "thị xã",
    "thị trấn": "thị trấn",
    "tt": "thị trấn",
    "xã": "xã",
    "phường": "phường",
    "p": "phường",
    "đặc khu": "đặc khu",
}
_UNIT_PART = re.compile(
    r"^(?P<kind>tỉnh|thành\s+phố|huyện|quận|thị\s+xã|thị\s+trấn|xã|phường|đặc\s+khu)\s+"
    r"|^(?P<abbrev>tp|tx|tt|q|p)(?:\.\s*|\s+)",
    re.IGNORECASE,
)
# "Tỉnh lộ 8", "Huyện lộ 2": roads named after a unit level, not units.
_ROAD = re.compile(r"^lộ\b", re.IGNORECASE)
_PART_SEPARATOR = re.compile(r"\s*[,;]\s*")
# A spaced hyphen or dash also separates parts ("huyện Cái Bè – tỉnh Tiền Giang"), except inside
# an official name: since 2025 some wards are named with one ("phường Lâm Viên - Đà Lạt").
_DASH_SEPARATOR = re.compile(r"(\s[-\u2013\u2014]\s)")
_COUNCIL_PREFIX = re.compile(
    r"^(?:ubnd|ủy\s+ban\s+nhân\s+dân|uỷ\s+ban\s+nhân\s+dân)\s+", re.IGNORECASE
)
_MINISTRY = re.compile(r"^bộ\s+\S", re.IGNORECASE)

# Short names people write for Hồ Chí Minh City ("TP.HCM", "TPHCM").
_PROVINCE_ALIASES = {
    "hcm": "ho_chi_minh",
    "tp hcm": "ho_chi_minh",
    "tphcm": "ho_chi_minh",
    "sài gòn": "ho_chi_minh",
}


@dataclass(frozen=True)
class UnitPart:
    """One comma-separated part of an address: the unit type it starts with, if any, its name."""

    text: str
    kind: UnitKind | None
    name: str


@dataclass(frozen=True)
class AddressReading:
    """What an address says about administrative units, judged against the current list."""

    province: Province | None
    former_units: tuple[str, ...]
    unknown_provinces: tuple[str, ...]
    unknown_communes: tuple[str, ...]
    names_a_province: bool


def split_units(text: str) -> tuple[UnitPart, ...]:
    """The parts of an address, each with the unit type its text starts with."""
    return tuple(read_part(part) for part in split_parts(text))


def split_parts(text: str) -> list[str]:
    """An address cut into parts at commas, semicolons and spaced dashes, keeping whole the
    official commune names that hold a dash ('phường Lâm Viên - Đà Lạt, tỉnh Lâm Đồng')."""
    parts: list[str] = []
    for chunk in _PART_SEPARATOR.split(nfc(text)):
        parts.extend(split_at_dashes(chunk))
    return [part for part in parts if part]


def split_at_dashes(chunk: str) -> list[str]:
    """A comma-free stretch of an address cut at its spaced dashes, except where the pieces on
    both sides belong to one commune name found in the data set (the longest such run wins)."""
    pieces = _DASH_SEPARATOR.split(chunk)  # text, dash, text, dash, …, text
    parts = []
    start = 0
    while start < len(pieces):
        # Runs of pieces end on a text piece: even indices; try the longest run first.
        end = next(
            (
                end
                for end in range(len(pieces) - 1, start, -2)
                if names_dashed_commune("".join(pieces[start : end + 1]))
            ),
            start,
        )
        parts.append("".join(pieces[start : end + 1]).strip())
        start = end + 2
    return parts


def names_dashed_commune(text: str) -> bool:
    """Whether a part ('phường Lâm Viên - Đà Lạt', or the name alone) names a commune, ward or
    special zone somewhere in the country."""
    part = read_part(text)
    return part.kind in (*COMMUNE_KINDS, None) and name_key(part.name) in _all_commune_keys()


def read_part(text: str) -> UnitPart:
    """One address part → its unit type (None when it names none, e.g. 'Ấp 3') and name."""
    match = _UNIT_PART.match(text)
    if match is None:
        return UnitPart(text, None, text)
    name = text[match.end() :].strip()
    if not name or _ROAD.match(name):
        return UnitPart(text, None, text)
    written = " ".join((match["kind"] or match["abbrev"]).lower().split())
    return UnitPart(text, _KIND_WORDS[written], name)


@cache
def _provinces_by_key() -> dict[str, Province]:
    provinces: dict[str, Province] = {}
    for province in Province.iter_all():
        provinces[name_key(province.name.removeprefix("Thành phố "))] = province
    by_codename = {province.codename: province for province in provinces.values()}
    for alias, codename in _PROVINCE_ALIASES.items():
        provinces[name_key(alias)] = by_codename[codename]
    return provinces


@cache
def _commune_keys(province: Province) -> frozenset[str]:
    keys = set()
    for ward in Ward.iter_by_province(province.code):
        prefix = ward.division_type.value.capitalize() + " "
        keys.add(name_key(ward.name.removeprefix(prefix)))
    return frozenset(keys)


@cache
def _all_commune_keys() -> frozenset[str]:
    return frozenset(key for province in Province.iter_all() for key in _commune_keys(province))


def current_provinces() -> tuple[Province, ...]:
    """The provinces and centrally run cities in force now (34 since 01/07/2025)."""
    return tuple(Province.iter_all())


def province_label(province: Province) -> str:
    """How a sentence names a province: 'tỉnh Đồng Tháp', 'thành phố Hà Nội'."""
    if province.division_type == VietNamDivisionType.TINH:
        return f"tỉnh {province.name}"
    return "thành phố " + province.name.removeprefix("Thành phố ")


def find_province(name: str) -> Province | None:
    """The current province or centrally run city with this name ('Hà Nội', 'TP.HCM'), if any."""
    return _provinces_by_key().get(name_key(name))


def is_central_city(name: str, on: dt.date | None = None) -> bool:
    """Whether 'thành phố {name}' is a province-level city (on the given date; today by default)."""
    province = find_province(name)
    if province is None or province.division_type != VietNamDivisionType.THANH_PHO_TRUNG_UONG:
        return False
    return not (province.codename == _HUE_CODENAME and on and on < _HUE_CENTRAL_SINCE)


def has_commune(province: Province, name: str) -> bool:
    """Whether the current province has a commune, ward or special zone of this name."""
    return name_key(name) in _commune_keys(province)


def read_address(address: str) -> AddressReading:
    """The province an address names, and the parts that name units that no longer exist."""
    parts = split_units(address)
    province: Province | None = None
    former: list[str] = []
    unknown_provinces: list[str] = []
    names_a_province = False
    for part in parts:
        if part.kind in FORMER_KINDS or (
            part.kind == "thành phố" and not is_central_city(part.name)
        ):
            former.append(part.text)
        elif part.kind in ("tỉnh", "thành phố") or (part.kind is None and find_province(part.name)):
            names_a_province = True
            found = find_province(part.name)
            if found is None:
                unknown_provinces.append(part.text)
            province = province or found
    unknown_communes: list[str] = []
    if province is not None:
        unknown_communes = [
            part.text
            for part in parts
            if part.kind in COMMUNE_KINDS and not has_commune(province, part.name)
        ]
    return AddressReading(
        province=province,
        former_units=tuple(former),
        unknown_provinces=tuple(unknown_provinces),
        unknown_communes=tuple(unknown_communes),
        names_a_province=names_a_province,
    )


def issuer_unit(issued_by: str) -> UnitPart | None:
    """The administrative unit whose People's Committee issued a decision, if the text names one."""
    first_part = next(iter(split_parts(issued_by)), "")
    council = _COUNCIL_PREFIX.match(first_part)
    if council is None:
        return None
    part = read_part(first_part[council.end() :])
    return part if part.kind is not None else None


def issuer_level(issued_by: str, decided_on: dt.date) -> IssuerLevel | None:
    """Whether a ministry, a province or a district issued the decision; None when unclear."""
    if _MINISTRY.match(nfc(issued_by)):
        return "ministry"
    unit = issuer_unit(issued_by)
    if unit is None:
        return None
    if unit.kind == "tỉnh":
        return "province"
    if unit.kind == "thành phố":
        return "province" if is_central_city(unit.name, decided_on) else "district"
    if unit.kind in DISTRICT_KINDS:
        return "district"
    return None
