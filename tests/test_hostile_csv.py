"""CSV formula injection: serials a spreadsheet would run (starting =, +, - or @) never reach a serials.csv."""

from __future__ import annotations

from pathlib import Path

import pytest
from service_support import spec_document

from labelgen.errors import BatchError, RegistryInputError
from labelgen.production.serials import read_serial_file
from labelgen.service.routers.runs import parse_run_input

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("serial", [s for s in FORMULAS if not s.startswith("@")])
def test_a_formula_serial_in_a_file_is_refused_naming_its_line(tmp_path: Path, serial: str) -> None:
    path = tmp_path / "serials.csv"
    path.write_text(f"serial\nA1\n{serial}\n", encoding="utf-8")
    with pytest.raises(BatchError, match=r"line 3.*formula"):
        read_serial_file(path)


@pytest.mark.parametrize("serial", [s for s in FORMULAS if not s.startswith("@")])
def test_a_formula_serial_over_http_is_named(serial: str) -> None:
    # ('@' is outside the GS1 character set, refused as such.)
    with pytest.raises(RegistryInputError) as caught:
        parse_run_input(
            {"spec": spec_document(), "count": 2, "sheet": "A4", "serials": ["A1", serial]}
        )
    problems = {problem.field: problem.reason for problem in caught.value.problems}
    assert "formula" in problems["serials[1]"]


def test_ordinary_serials_pass(tmp_path: Path) -> None:
    path = tmp_path / "serials.csv"
    path.write_text("A-1\nB=2\n", encoding="utf-8")
    assert read_serial_file(path) == ["A-1", "B=2"]
