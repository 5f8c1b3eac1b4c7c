"""Templates resource: GET /api/v1/templates → the bundled templates (id, name, size, shape, descriptions, slots)."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter

from labelgen.service.models import (
    TemplateDescription,
    TemplateInfo,
    TemplateQuantityRange,
    TemplateShape,
    TemplateSize,
    TemplateSlots,
)
from labelgen.service.openapi import problem_responses
from labelgen.service.problems import INTERNAL
from labelgen.templates import bundled_template_ids, load_template

router = APIRouter(prefix="/api/v1", tags=["templates"])


@router.get(
    "/templates",
    summary="List the bundled templates",
    response_model=list[TemplateInfo],
    responses=problem_responses(INTERNAL),
)
async def list_templates() -> list[TemplateInfo]:
    """Every bundled template, sorted by id: what a spec's `template:` may name over HTTP.
    A panel that is a side of another (`side_of`) comes with it and is not offered alone."""
    return bundled_templates()


@cache
def bundled_templates() -> list[TemplateInfo]:
    """The bundled templates, read once: they ship with the package and do not change."""
    return [template_info(template_id) for template_id in bundled_template_ids()]


def template_info(template_id: str) -> TemplateInfo:
    manifest = load_template(template_id).manifest
    shape = manifest.shape
    return TemplateInfo(
        id=template_id,
        name=manifest.name,
        size=TemplateSize(
            width_mm=manifest.width_mm,
            height_mm=manifest.height_mm,
            bleed_mm=manifest.bleed_mm,
            safe_mm=manifest.safe_mm,
        ),
        shape=TemplateShape(
            kind=shape.kind,
            corner_radius_mm=shape.corner_radius_mm,
            hole_diameter_mm=shape.hole_diameter_mm,
            hole_center_mm=shape.hole_center_mm,
        ),
        description=TemplateDescription(vi=manifest.description.vi, en=manifest.description.en),
        slots=TemplateSlots(text=list(manifest.text_slots), graphic=list(manifest.graphic_slots)),
        role=manifest.role,
        sides=list(manifest.sides),
        side_of=manifest.side_of,
        quantity_range=(
            None
            if manifest.quantity_range is None
            else TemplateQuantityRange(
                min=manifest.quantity_range.min, max=manifest.quantity_range.max
            )
        ),
    )
