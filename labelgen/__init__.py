"""labelgen: compliant OCOP packaging labels as SVG, PNG and print-ready PDF."""

from labelgen.errors import (
    CodeError,
    FontError,
    LabelgenError,
    Problem,
    RenderError,
    SpecError,
    TemplateError,
)
from labelgen.layout import Layout, layout_label
from labelgen.pipeline import export_layout, render
from labelgen.spec import LabelSpec, load_spec, parse_spec
from labelgen.templates import bundled_template_ids, load_template

__all__ = [
    "CodeError",
    "FontError",
    "LabelSpec",
    "LabelgenError",
    "Layout",
    "Problem",
    "RenderError",
    "SpecError",
    "TemplateError",
    "bundled_template_ids",
    "export_layout",
    "layout_label",
    "load_spec",
    "load_template",
    "parse_spec",
    "render",
]
