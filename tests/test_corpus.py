"""The evaluation corpus itself: every spec of every part is a valid spec that says what it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_support import ALL_PARTS, corpus_paths, misplaced_files

from labelgen.spec import load_spec

CORPUS = [path for part in ALL_PARTS for path in corpus_paths(part)]


def test_every_part_holds_specs() -> None:
    assert all(corpus_paths(part) for part in ALL_PARTS)


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_a_corpus_spec_is_valid_and_opens_with_what_it_is(path: Path) -> None:
    # A spec the check refuses as input (exit 2) would measure nothing about the layout.
    load_spec(path)
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# ") and len(first_line) > 20


def test_dev_and_holdout_are_split_by_the_rule() -> None:
    assert misplaced_files() == []
