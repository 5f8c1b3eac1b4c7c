"""Carton structures: flat sizes against hand-computed figures, cuts and creases where they belong."""

from __future__ import annotations

import itertools
import math

import pytest

from labelgen.errors import SpecError
from labelgen.packaging.structures import (
    GLUE_FLAP_MM,
    Dieline,
    Rect,
    Segment,
    allowances,
    build_dieline,
)
from labelgen.spec import Package


def package(style: str, length: float, width: float, depth: float, board: float = 0.4) -> Package:
    return Package.model_validate(
        {
            "style": style,
            "length_mm": length,
            "width_mm": width,
            "depth_mm": depth,
            "board_mm": board,
        }
    )


def tuck_mm(width: float) -> float:
    return min(max(0.3 * width, 10.0), 20.0)


# (style, L, W, D, board, flat width, flat height), each worked out by hand:
#   tuck ends: width 2(L + b) + 2(W + b) + glue; height D + 2b + 2(W + b) + 2 tuck
#   crash-lock: same width; height tuck + (W + b) + D + 2b + 0.75 (W + b)
#   sleeve: width L + b; height 2(D + 2b) + 2(W + b) + glue
CASES = [
    ("reverse-tuck-end", 90, 50, 140, 0.4, 2 * 90.4 + 2 * 50.4 + 15, 140.8 + 2 * 50.4 + 2 * 15),
    ("reverse-tuck-end", 60, 30, 100, 0.3, 2 * 60.3 + 2 * 30.3 + 12, 100.6 + 2 * 30.3 + 2 * 10),
    ("straight-tuck-end", 90, 50, 140, 0.4, 296.6, 271.6),
    ("straight-tuck-end", 200, 80, 60, 0.5, 2 * 200.5 + 2 * 80.5 + 15, 61 + 2 * 80.5 + 2 * 20),
    ("crash-lock", 90, 50, 140, 0.4, 296.6, 15 + 50.4 + 140.8 + 0.75 * 50.4),
    ("crash-lock", 120, 70, 180, 0.6, 2 * 120.6 + 2 * 70.6 + 15, 20 + 70.6 + 181.2 + 0.75 * 70.6),
    ("sleeve", 90, 50, 140, 0.4, 90.4, 2 * 140.8 + 2 * 50.4 + 15),
    ("sleeve", 150, 40, 25, 0.4, 150.4, 2 * 25.8 + 2 * 40.4 + 15),
]


@pytest.mark.parametrize(("style", "length", "width", "depth", "board", "flat_w", "flat_h"), CASES)
def test_flat_size_matches_the_hand_computed_blank(
    style: str,
    length: float,
    width: float,
    depth: float,
    board: float,
    flat_w: float,
    flat_h: float,
) -> None:
    dieline = build_dieline(package(style, length, width, depth, board))
    assert dieline.width_mm == pytest.approx(flat_w, abs=1e-6)
    assert dieline.height_mm == pytest.approx(flat_h, abs=1e-6)


def test_the_issue_example_rte_is_two_lengths_two_widths_and_a_glue_flap() -> None:
    dieline = build_dieline(package("reverse-tuck-end", 90, 50, 140))
    assert dieline.width_mm == pytest.approx(2 * 90 + 2 * 50 + 4 * 0.4 + GLUE_FLAP_MM)


def test_board_thickness_adds_a_caliper_per_wall_and_two_to_the_depth() -> None:
    thin = build_dieline(package("reverse-tuck-end", 90, 50, 140, 0.2))
    thick = build_dieline(package("reverse-tuck-end", 90, 50, 140, 1.0))
    front_thin, front_thick = thin.panel("front").rect, thick.panel("front").rect
    assert front_thick.width_mm - front_thin.width_mm == pytest.approx(0.8)
    assert front_thick.height_mm - front_thin.height_mm == pytest.approx(1.6)
    assert thick.width_mm - thin.width_mm == pytest.approx(4 * 0.8)
    sizes = allowances(package("crash-lock", 90, 50, 140, 1.0))
    assert (sizes.length_mm, sizes.width_mm, sizes.depth_mm) == (91.0, 51.0, 142.0)


def test_faces_sit_in_print_order_and_the_top_is_turned_on_tuck_ends() -> None:
    dieline = build_dieline(package("reverse-tuck-end", 90, 50, 140))
    walls = [dieline.panel(face).rect for face in ("left", "front", "right", "back")]
    for before, after in itertools.pairwise(walls):
        assert after.x_mm == pytest.approx(before.right_mm)
    top = dieline.panel("top")
    assert top.rotation == 180  # hinged on the back: its far edge comes to the front
    assert top.rect.x_mm == pytest.approx(dieline.panel("back").rect.x_mm)
    assert top.rect.bottom_mm == pytest.approx(dieline.panel("back").rect.y_mm)
    # Reverse tuck: the bottom closes from the front; straight tuck: from the back.
    assert dieline.panel("bottom").rect.x_mm == pytest.approx(dieline.panel("front").rect.x_mm)
    straight = build_dieline(package("straight-tuck-end", 90, 50, 140))
    assert straight.panel("bottom").rect.x_mm == pytest.approx(straight.panel("back").rect.x_mm)


def _on(point: tuple[float, float], segment: Segment) -> bool:
    (x0, y0), (x1, y1) = segment.start, segment.end
    cross = (x1 - x0) * (point[1] - y0) - (y1 - y0) * (point[0] - x0)
    within = min(x0, x1) - 1e-6 <= point[0] <= max(x0, x1) + 1e-6 and (
        min(y0, y1) - 1e-6 <= point[1] <= max(y0, y1) + 1e-6
    )
    return abs(cross) < 1e-6 * max(segment.length_mm, 1) and within


def _inside(point: tuple[float, float], rect: Rect, margin: float = 1e-3) -> bool:
    return (
        rect.x_mm + margin < point[0] < rect.right_mm - margin
        and rect.y_mm + margin < point[1] < rect.bottom_mm - margin
    )


def _samples(segment: Segment, count: int = 50) -> list[tuple[float, float]]:
    return [
        (
            segment.start[0] + (segment.end[0] - segment.start[0]) * step / count,
            segment.start[1] + (segment.end[1] - segment.start[1]) * step / count,
        )
        for step in range(count + 1)
    ]


@pytest.mark.parametrize("style", ["reverse-tuck-end", "straight-tuck-end", "crash-lock", "sleeve"])
def test_no_cut_or_crease_runs_through_a_face(style: str) -> None:
    """The die never cuts or creases across a face's artwork: every line runs along a face's
    edge or outside every face."""
    dieline = build_dieline(package(style, 90, 50, 140))
    for segment in (*dieline.cuts, *dieline.creases):
        for point in _samples(segment):
            assert not any(_inside(point, panel.rect) for panel in dieline.panels), (
                style,
                segment,
            )


@pytest.mark.parametrize("style", ["reverse-tuck-end", "straight-tuck-end", "crash-lock", "sleeve"])
def test_every_face_edge_is_either_cut_or_creased(style: str) -> None:
    dieline = build_dieline(package(style, 90, 50, 140))
    lines = (*dieline.cuts, *dieline.creases)
    for panel in dieline.panels:
        corners = panel.rect.corners()
        for index in range(4):
            edge = Segment(corners[index], corners[(index + 1) % 4])
            for point in _samples(edge, 20):
                assert any(_on(point, line) for line in lines), (style, panel.face, point)


def test_wall_folds_and_closure_hinges_are_creases_not_cuts() -> None:
    dieline = build_dieline(package("reverse-tuck-end", 90, 50, 140))
    front = dieline.panel("front").rect
    back = dieline.panel("back").rect
    fold = Segment((front.x_mm, front.y_mm), (front.x_mm, front.bottom_mm))
    hinge = Segment((back.x_mm, back.y_mm), (back.right_mm, back.y_mm))
    for line in (fold, hinge):
        middle = ((line.start[0] + line.end[0]) / 2, (line.start[1] + line.end[1]) / 2)
        assert any(_on(middle, crease) for crease in dieline.creases)
        assert not any(_on(middle, cut) for cut in dieline.cuts)
    # 3 wall folds, the glue flap, 2 closures with 2 tucks, 4 dust flaps.
    assert len([c for c in dieline.creases if _vertical(c)]) == 4
    assert len(dieline.creases) == 12


def _vertical(segment: Segment) -> bool:
    return math.isclose(segment.start[0], segment.end[0])


def test_tuck_locks_are_slits_cut_through_the_tuck_crease() -> None:
    """Along the top's far edge: the shoulder (1.5 mm) and the slit (2.5 mm) cut at each end,
    the tuck's crease between them."""
    dieline = build_dieline(package("reverse-tuck-end", 90, 50, 140))
    top_closure = next(flap for flap in dieline.flaps if flap.name == "top-closure")
    far_y = min(y for _, y in top_closure.outline)
    on_edge = [line for line in dieline.cuts if _horizontal_at(line, far_y)]
    creased = [line for line in dieline.creases if _horizontal_at(line, far_y)]
    assert sorted(round(cut.length_mm, 6) for cut in on_edge) == [4.0, 4.0]
    assert [round(crease.length_mm, 6) for crease in creased] == [round(90.4 - 2 * 4.0, 6)]


def _horizontal_at(segment: Segment, y: float) -> bool:
    return math.isclose(segment.start[1], y) and math.isclose(segment.end[1], y)


def test_the_crash_lock_bottom_has_diagonal_creases_and_glue_areas() -> None:
    dieline = build_dieline(package("crash-lock", 90, 50, 140))
    diagonals = [
        crease
        for crease in dieline.creases
        if not _vertical(crease) and not math.isclose(crease.start[1], crease.end[1])
    ]
    assert len(diagonals) == 2
    assert len(dieline.glue_areas) == 3  # the glue flap and the two side flaps' patches
    assert not any(panel.face == "bottom" for panel in dieline.panels)


def test_cut_path_encloses_the_blank() -> None:
    """The outline's cuts meet end to end: every cut's end touches another cut or a crease."""
    for style in ("reverse-tuck-end", "crash-lock", "sleeve"):
        dieline: Dieline = build_dieline(package(style, 90, 50, 140))
        lines = (*dieline.cuts, *dieline.creases)
        for cut in dieline.cuts:
            for end in (cut.start, cut.end):
                touching = [line for line in lines if line is not cut and _on(end, line)]
                assert touching, (style, cut, end)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("style", "gable-top", "style"),
        ("length_mm", 5, "length_mm"),
        ("board_mm", 3, "board_mm"),
    ],
)
def test_a_bad_package_names_the_field(field: str, value: object, reason: str) -> None:
    from labelgen.spec import parse_spec

    document = {
        "package": {
            "style": "sleeve",
            "length_mm": 90,
            "width_mm": 50,
            "depth_mm": 140,
            field: value,
        },
        "template": "carton-classic",
        "brand": {"name": "B"},
        "product": {"name": "P", "category": "other"},
        "producer": {"name": "X", "address": "Y"},
    }
    with pytest.raises(SpecError) as raised:
        parse_spec(document)
    assert any(problem.field == f"package.{reason}" for problem in raised.value.problems)
