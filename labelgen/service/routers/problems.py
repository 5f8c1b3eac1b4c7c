"""Problem types resource: GET /problems and /problems/{slug} → what each problem `type` URI means."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.exceptions import HTTPException

from labelgen.service.models import ProblemTypeInfo
from labelgen.service.openapi import problem_responses
from labelgen.service.problems import NOT_FOUND, PROBLEM_KINDS, PROBLEM_KINDS_BY_SLUG, ProblemKind

router = APIRouter(prefix="/problems", tags=["service"])


@router.get("", summary="Problem types", response_model=list[ProblemTypeInfo])
async def list_problem_types() -> list[ProblemTypeInfo]:
    """Every `type` an error answer may carry."""
    return [problem_type_info(kind) for kind in PROBLEM_KINDS]


@router.get(
    "/{slug}",
    summary="One problem type",
    response_model=ProblemTypeInfo,
    responses=problem_responses(NOT_FOUND),
)
async def get_problem_type(slug: str) -> ProblemTypeInfo:
    """What the problem type `/problems/{slug}` means (the URI an error's `type` holds)."""
    kind = PROBLEM_KINDS_BY_SLUG.get(slug)
    if kind is None:
        raise HTTPException(status_code=404)
    return problem_type_info(kind)


def problem_type_info(kind: ProblemKind) -> ProblemTypeInfo:
    return ProblemTypeInfo(
        type=kind.type_uri, title=kind.title, status=kind.status, description=kind.description
    )
