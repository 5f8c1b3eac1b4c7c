"""Reading Vietnamese addresses and issuing bodies against the post-2025 administrative units."""

from __future__ import annotations

import datetime as dt

import pytest

from labelgen.compliance.admin_units import (
    current_provinces,
    find_province,
    issuer_level,
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
