"""labelgen: compliant OCOP packaging labels as SVG, PNG and print-ready PDF."""

from labelgen.errors import (
    CodeError,
    FontError,
    LabelgenError,
    NotCompliantError,
    Problem,
    RenderError,
    SpecError,
    TemplateError,
)
from labelgen.layout import Layout, layout_label
from labelgen.pipeline import check_label, check_spec, export_layout, render
from labelgen.spec import LabelSpec, load_spec, parse_spec
from labelgen.templates import bundled_template_ids, load_template

__all__ = [
    "CodeError",
    "FontError",
    "LabelSpec",
    "LabelgenError",
    "Layout",
    "NotCompliantError",
    "Problem",
    "RenderError",
    "SpecError",
    "TemplateError",
    "bundled_template_ids",
    "check_label",
    "check_spec",
    "export_layout",
    "layout_label",
    "load_spec",
    "load_template",
    "parse_spec",
    "render",
]
