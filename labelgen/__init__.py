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
from labelgen.layout import LabelSet, Layout, layout_label, layout_set
from labelgen.pipeline import (
    RenderedPanel,
    check_label,
    check_set,
    check_spec,
    export_layout,
    render,
    render_panels,
    suggest_templates,
)
from labelgen.spec import LabelSpec, load_spec, parse_spec
from labelgen.templates import bundled_template_ids, load_template

__all__ = [
    "CodeError",
    "FontError",
    "LabelSet",
    "LabelSpec",
    "LabelgenError",
    "Layout",
    "NotCompliantError",
    "Problem",
    "RenderError",
    "RenderedPanel",
    "SpecError",
    "TemplateError",
    "bundled_template_ids",
    "check_label",
    "check_set",
    "check_spec",
    "export_layout",
    "layout_label",
    "layout_set",
    "load_spec",
    "load_template",
    "parse_spec",
    "render",
    "render_panels",
    "suggest_templates",
]
