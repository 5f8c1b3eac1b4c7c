"""Folding cartons: a spec with `package:` → dieline geometry, panel artwork, the flat as
PDF/SVG/PNG and a folded preview.

Stages, one module each: `structures` (geometry), `artwork` (faces laid out, compliance),
`flat` (the flat drawing), `pdf` (the print PDF), `folded` (the preview), `render` (the route),
`nesting` and `sheet` (blanks on a press sheet).
"""

from labelgen.packaging.artwork import Carton, check_carton, layout_carton
from labelgen.packaging.render import CartonFile, checked_carton, render_carton_files
from labelgen.packaging.structures import Dieline, build_dieline

__all__ = [
    "Carton",
    "CartonFile",
    "Dieline",
    "build_dieline",
    "check_carton",
    "checked_carton",
    "layout_carton",
    "render_carton_files",
]
