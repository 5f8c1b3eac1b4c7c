"""A carton's pictures: golden images of the flat and the folded box, each style folded, the listing image."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from imaging import open_png
from PIL import Image
from test_golden import assert_matches_golden

from labelgen.errors import RenderError
from labelgen.packaging.artwork import Carton, layout_carton
from labelgen.packaging.flat import draw_flat_svg
from labelgen.packaging.folded import (
    _projected_corners,
    box_size,
    render_folded_png,
    render_listing_png,
)
from labelgen.packaging.render import render_carton_files
from labelgen.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STYLE_EXAMPLES = {
    "reverse-tuck-end": "tra-sen-box",
    "straight-tuck-end": "keo-dua-straight-tuck",
    "crash-lock": "mat-ong-crash-lock",
    "sleeve": "tra-sen-sleeve",
}
PREVIEW_PX = 480


@pytest.fixture(scope="module")
def cartons() -> dict[str, Carton]:
    return {
        style: layout_carton(load_spec(EXAMPLES / f"{name}.yaml"))
        for style, name in STYLE_EXAMPLES.items()
    }


def test_golden_flat(cartons: dict[str, Carton], capsys: pytest.CaptureFixture[str]) -> None:
    (flat,) = render_carton_files(cartons["reverse-tuck-end"], "png", dpi=40)
    assert_matches_golden("carton-tra-sen-box-flat", flat.content, capsys)


def test_golden_folded(cartons: dict[str, Carton], capsys: pytest.CaptureFixture[str]) -> None:
    folded = render_folded_png(cartons["reverse-tuck-end"], PREVIEW_PX)
    assert_matches_golden("carton-tra-sen-box-folded", folded, capsys)


def _mean(image: Image.Image, point: tuple[float, float], radius: int = 3) -> tuple[float, ...]:
    x, y = round(point[0]), round(point[1])
    crop = image.crop((x - radius, y - radius, x + radius + 1, y + radius + 1)).convert("RGB")
    return tuple(float(value) for value in np.asarray(crop, dtype=np.float64).mean(axis=(0, 1)))


@pytest.mark.parametrize("style", list(STYLE_EXAMPLES))
def test_each_style_folds_into_a_box_with_three_shaded_faces(
    cartons: dict[str, Carton], style: str
) -> None:
    """The front is lit, the side in shade: a point low on the side (the same paper as low on
    the front, or a sleeve's dark open end) is darker than its twin on the front."""
    carton = cartons[style]
    image = open_png(render_folded_png(carton, PREVIEW_PX)).convert("RGB")
    corners = _projected_corners(box_size(carton))
    xs = [point[0] for point in corners.values()]
    ys = [point[1] for point in corners.values()]
    margin = 0.12 * PREVIEW_PX
    scale = (PREVIEW_PX - 2 * margin) / (max(xs) - min(xs))

    def at(name_a: str, name_b: str, name_c: str, u: float, v: float) -> tuple[float, float]:
        """A point on the face spanned from corner a along to b (u) and down to c (v)."""
        a, b, c = corners[name_a], corners[name_b], corners[name_c]
        x = a[0] + (b[0] - a[0]) * u + (c[0] - a[0]) * v
        y = a[1] + (b[1] - a[1]) * u + (c[1] - a[1]) * v
        return margin + (x - min(xs)) * scale, margin + (y - min(ys)) * scale

    front = _mean(image, at("FTL", "FTR", "FBL", 0.5, 0.75))
    side = _mean(image, at("FTR", "BTR", "FBR", 0.5, 0.75))
    background = _mean(image, (4, 4))
    assert sum(side) < sum(front) - 30
    assert front != background and side != background
    # Above the top face there is ground, not box.
    top_edge = at("BTL", "BTR", "FTL", 0.5, 0.0)
    assert _mean(image, (top_edge[0], top_edge[1] - 12)) == pytest.approx(background, abs=3)


def test_the_top_reads_from_the_front(cartons: dict[str, Carton]) -> None:
    """Hinged on the back, the top's artwork is turned on the flat so that on the box it reads
    upright for someone facing the front."""
    carton = cartons["reverse-tuck-end"]
    top = carton.dieline.panel("top")
    assert top.rotation == 180
    assert 'class="panel panel-top" transform="rotate(180' in draw_flat_svg(carton)


def test_listing_image_is_square_with_the_badge(cartons: dict[str, Carton]) -> None:
    image = open_png(render_listing_png(cartons["reverse-tuck-end"])).convert("RGB")
    assert image.size == (1200, 1200)
    corner = image.crop((0, 0, 300, 300))
    colours = corner.getcolors(maxcolors=300 * 300) or []
    assert len(colours) > 50  # the badge, not blank paper
    assert image.getpixel((1199, 1199)) == (255, 255, 255)


def test_the_folded_view_is_a_png_only(cartons: dict[str, Carton]) -> None:
    with pytest.raises(RenderError, match="PNG"):
        render_carton_files(cartons["sleeve"], "pdf", view="folded")
    with pytest.raises(RenderError, match="pixels wide"):
        render_folded_png(cartons["sleeve"], 50)
