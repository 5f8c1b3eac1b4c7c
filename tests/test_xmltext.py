"""labelgen.xmltext escapes as the standard library's xml.sax.saxutils does (it replaces it)."""

from __future__ import annotations

from xml.sax import saxutils

import pytest

from labelgen.xmltext import escape, quoteattr

TEXTS = [
    "",
    "Hạt sen sấy",
    "A & B <b>",
    'say "hi"',
    "it's",
    "both \" and ' quotes",
    "line\nbreak\rand\ttab",
    "&amp; already",
]


@pytest.mark.parametrize("text", TEXTS)
def test_escape_matches_the_standard_library(text: str) -> None:
    assert escape(text) == saxutils.escape(text)


@pytest.mark.parametrize("text", TEXTS)
def test_quoteattr_matches_the_standard_library(text: str) -> None:
    assert quoteattr(text) == saxutils.quoteattr(text)
