"""labelgen: compliant OCOP packaging labels as SVG, PNG and print-ready PDF."""

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
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

# The stages are imported when first used: a command loads what it runs and no more (a print
# run or `labelgen check` never pays for the PDF and PNG libraries).
_LAZY = {
    **dict.fromkeys(("LabelSet", "Layout", "layout_label", "layout_set"), "labelgen.layout"),
    **dict.fromkeys(
        (
            "RenderedPanel",
            "check_label",
            "check_set",
            "check_spec",
            "export_layout",
            "render",
            "render_panels",
            "suggest_templates",
        ),
        "labelgen.pipeline",
    ),
    **dict.fromkeys(("LabelSpec", "load_spec", "parse_spec"), "labelgen.spec"),
    **dict.fromkeys(("bundled_template_ids", "load_template"), "labelgen.templates"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'labelgen' has no attribute {name!r}")


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
