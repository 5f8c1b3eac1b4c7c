"""labelgen.production.press.mixed_inks: the inks of a colour mixed from several, none for one."""

from __future__ import annotations

import pytest

from labelgen.production.press import mixed_inks, process_inks


@pytest.mark.parametrize("colour", ["#000000", "#1D1D1B", "#808080", "#F2F2F2", "#FFFFFF"])
def test_neutrals_mix_no_inks(colour: str) -> None:
    assert mixed_inks(colour) == ()
    assert len(process_inks(colour)) <= 1  # the separation agrees: black alone at most


@pytest.mark.parametrize("colour", ["#B0306A", "#2E7D32", "#C8A000"])
def test_brand_colours_name_their_inks(colour: str) -> None:
    inks = mixed_inks(colour)
    assert len(inks) > 1
    assert inks == process_inks(colour)


@pytest.mark.parametrize("colour", ["#00FFFF", "#FF0000", "#E0E4E0", "#101410", "#FFFFFE"])
def test_mixed_inks_are_the_separations_when_it_takes_several(colour: str) -> None:
    inks = process_inks(colour)
    assert mixed_inks(colour) == (inks if len(inks) > 1 else ())
