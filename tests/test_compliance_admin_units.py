"""Reading Vietnamese addresses and issuing bodies against the post-2025 administrative units."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from vietnam_provinces import Province, Ward

from labelgen.compliance.admin_units import (
    current_provinces,
    find_province,
    issuer_level,
    province_label,
    read_address,
    split_units,
)
from labelgen.compliance.vntext import fold, name_key


def test_the_data_set_holds_the_34_provinces_after_the_2025_merger() -> None:
    provinces = current_provinces()
    assert len(provinces) == 34
    assert find_province("Tiền Giang") is None  # merged into Đồng Tháp
    assert find_province("Đồng Tháp") is not None


@pytest.mark.parametrize(
    ("written", "codename"),
    [
        ("Hà Nội", "ha_noi"),
        ("TP.HCM", "ho_chi_minh"),
        ("HCM", "ho_chi_minh"),
        ("Khánh Hoà", "khanh_hoa"),
        ("khánh hòa", "khanh_hoa"),
        ("Thanh Hoá", "thanh_hoa"),
    ],
)
def test_provinces_are_found_however_they_are_spelt(written: str, codename: str) -> None:
    province = find_province(written)
    assert province is not None
    assert province.codename == codename


def test_tone_mark_placement_does_not_matter_but_tones_do() -> None:
    assert name_key("Hoà Bình") == name_key("Hòa Bình")
    assert name_key("Hoà") != name_key("Hoa")


def test_fold_removes_every_diacritic() -> None:
    assert fold("Việt Nam") == "viet nam"
    assert fold("Đồng Tháp") == "dong thap"


@pytest.mark.parametrize(
    ("part", "kind", "name"),
    [
        ("tỉnh Đồng Tháp", "tỉnh", "Đồng Tháp"),
        ("TP. Hồ Chí Minh", "thành phố", "Hồ Chí Minh"),
        ("TP.HCM", "thành phố", "HCM"),
        ("Q.1", "quận", "1"),
        ("Thị Xã Hồng Ngự", "thị xã", "Hồng Ngự"),
        ("Tỉnh lộ 8", None, "Tỉnh lộ 8"),
        ("Ấp 3", None, "Ấp 3"),
        ("Pleiku", None, "Pleiku"),
    ],
)
def test_address_parts_are_read_with_their_unit_type(
    part: str, kind: str | None, name: str
) -> None:
    [unit] = split_units(part)
    assert (unit.kind, unit.name) == (kind, name)


def test_an_old_address_is_read_in_full() -> None:
    reading = read_address("Ấp 1, xã Mỹ Đức Tây, huyện Cái Bè – tỉnh Tiền Giang")
    assert reading.province is None
    assert reading.former_units == ("huyện Cái Bè",)
    assert reading.unknown_provinces == ("tỉnh Tiền Giang",)
    assert reading.names_a_province


@pytest.mark.parametrize(
    ("issued_by", "decided_on", "level"),
    [
        ("UBND tỉnh Đồng Tháp", dt.date(2024, 12, 27), "province"),
        ("Ủy ban nhân dân huyện Lấp Vò", dt.date(2024, 5, 10), "district"),
        ("Uỷ ban nhân dân thị xã Hồng Ngự, tỉnh Đồng Tháp", dt.date(2024, 5, 10), "district"),
        ("UBND TP. Cao Lãnh", dt.date(2024, 5, 10), "district"),
        ("UBND thành phố Hà Nội", dt.date(2024, 5, 10), "province"),
        ("UBND thành phố Huế", dt.date(2024, 12, 31), "district"),
        ("UBND thành phố Huế", dt.date(2025, 1, 1), "province"),
        ("Bộ Nông nghiệp và Phát triển nông thôn", dt.date(2024, 5, 10), "ministry"),
        ("Bộ Nông nghiệp và Môi trường", dt.date(2025, 9, 1), "ministry"),
        ("Sở Nông nghiệp và Môi trường", dt.date(2025, 9, 1), None),
        ("UBND xã Tháp Mười", dt.date(2025, 9, 1), None),
    ],
)
def test_the_issuer_level_is_read_from_its_name(
    issued_by: str, decided_on: dt.date, level: str | None
) -> None:
    assert issuer_level(issued_by, decided_on) == level


def dashed_wards() -> list[tuple[Province, Ward]]:
    """Every commune, ward and special zone of the data set whose name holds a dash."""
    return [
        (province, ward)
        for province in Province.iter_all()
        for ward in Ward.iter_by_province(province.code)
        if re.search(r"[-\u2013\u2014]", ward.name)
    ]


def test_the_data_set_names_wards_with_a_dash() -> None:
    names = {ward.name for _, ward in dashed_wards()}
    assert {
        "Phường Lâm Viên - Đà Lạt",
        "Phường Xuân Hương - Đà Lạt",
        "Phường Văn Miếu - Quốc Tử Giám",
        "Xã Chân Mây – Lăng Cô",
    } <= names


@pytest.mark.parametrize("dash", [" - ", " – ", " — ", "-"])
@pytest.mark.parametrize(
    ("province", "ward"), dashed_wards(), ids=[ward.codename for _, ward in dashed_wards()]
)
def test_official_names_with_a_dash_are_read_whole(
    province: Province, ward: Ward, dash: str
) -> None:
    kind = ward.division_type.value
    name = re.sub(r"\s*[-\u2013\u2014]\s*", dash, ward.name.removeprefix(kind.capitalize() + " "))
    address = f"Số 1 đường Trần Phú, {kind} {name}, {province_label(province)}"
    assert f"{kind} {name}" in [part.text for part in split_units(address)]
    reading = read_address(address)
    assert reading.province is not None and reading.province.code == province.code
    assert reading.unknown_communes == ()


@pytest.mark.parametrize(
    ("address", "unknown"),
    [
        # Half of a dashed name, the name in another province, a name made up after the pattern.
        ("12 Hùng Vương, phường Lâm Viên, tỉnh Lâm Đồng", ("phường Lâm Viên",)),
        ("phường Lâm Viên - Đà Lạt, tỉnh Khánh Hòa", ("phường Lâm Viên - Đà Lạt",)),
        ("phường Hoa Sen - Đà Lạt, tỉnh Lâm Đồng", ("phường Hoa Sen",)),
        # A spaced dash between parts still separates them.
        ("Ấp An Ninh, xã Định Yên - tỉnh Đồng Tháp", ("xã Định Yên",)),
    ],
)
def test_unknown_communes_are_still_found(address: str, unknown: tuple[str, ...]) -> None:
    assert read_address(address).unknown_communes == unknown


def test_a_dashed_name_runs_no_further_than_the_name() -> None:
    parts = split_units("P. Xuân Hương – Đà Lạt - Lâm Đồng")
    assert [(part.kind, part.text) for part in parts] == [
        ("phường", "P. Xuân Hương – Đà Lạt"),
        (None, "Lâm Đồng"),
    ]
