"""Locates the bundled data folders (templates, fonts, assets) in a checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def bundled_dir(name: str) -> Path:
    """The folder `name` ('templates', 'fonts' or 'assets') shipped with labelgen."""
    # A wheel carries the folders inside the package; a checkout keeps them at the top level.
    for candidate in (_PACKAGE_DIR / "_bundled" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"labelgen's bundled '{name}' folder is missing")
