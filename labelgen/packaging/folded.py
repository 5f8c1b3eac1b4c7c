"""Folded preview: a Carton → PNG of the closed box in perspective from its own artwork (front,
side, top; soft shading), and a square listing image."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from labelgen.badge import BadgeColors, badge_height_mm, draw_badge
from labelgen.errors import RenderError
from labelgen.export import export_png
from labelgen.packaging.artwork import Carton
from labelgen.packaging.structures import Face
from labelgen.xmltext import quoteattr

Vec3 = tuple[float, float, float]
Point = tuple[float, float]

DEFAULT_WIDTH_PX = 1600
LISTING_PX = 1200  # square, over the 800 × 800 px the common marketplaces ask as a minimum
YAW_DEG = 30.0  # how far the box is turned to show its right side
PITCH_DEG = 20.0  # how far above the box's middle the eye is, as an angle from the box
DISTANCE = 4.5  # eye distance in box sizes: enough perspective to read as an object, no distortion
FACE_DPI = 220.0
EDGE_SAMPLES = 4  # a face's outline is drawn 4 × 4 finer as its mask: smooth edges
# Light from the upper left: the front lit, the side in half shade, the top brightest.
SHADE = {"front": 0.97, "right": 0.76, "top": 1.0}
GROUND = (244, 242, 238)  # a light warm grey, the folded picture's ground
MIN_WIDTH_PX = 200
MAX_WIDTH_PX = 4000


@dataclass(frozen=True)
class BoxSize:
    """The closed box's outside sizes in mm: length (front width), width (side), depth (height)."""

    length_mm: float
    width_mm: float
    depth_mm: float


def box_size(carton: Carton) -> BoxSize:
    front = carton.dieline.panel("front").rect
    top = carton.dieline.panel("top").rect
    return BoxSize(front.width_mm, top.height_mm, front.height_mm)


def render_folded_png(carton: Carton, width_px: int = DEFAULT_WIDTH_PX) -> bytes:
    """The closed box seen from the front right, a little above, on a light ground with a soft
    shadow, `width_px` wide (the height follows the box)."""
    return folded_pngs(carton, width_px, listing=False)[0]


def render_listing_png(carton: Carton, size_px: int = LISTING_PX) -> bytes:
    """A square image for a marketplace listing: the folded box centred on white, the OCOP badge
    (when the product has one) in the top-left corner."""
    return _listing_png(carton, folded_box(carton, round(size_px * 0.9)), size_px)


def folded_pngs(
    carton: Carton, width_px: int = DEFAULT_WIDTH_PX, *, listing: bool = True
) -> list[bytes]:
    """The folded picture and, with `listing`, the listing image made from the same drawing
    (the box is drawn once for both)."""
    box = folded_box(carton, width_px)
    ground = Image.new("RGB", box.size, GROUND)
    ground.paste(box, mask=box.getchannel("A"))
    pictures = [_png(ground)]
    if listing:
        pictures.append(_listing_png(carton, box, LISTING_PX))
    return pictures


def _listing_png(carton: Carton, box: Image.Image, size_px: int) -> bytes:
    canvas = Image.new("RGB", (size_px, size_px), "white")
    scale = min(size_px * 0.86 / box.width, size_px * 0.86 / box.height)
    box = box.resize(
        (max(1, round(box.width * scale)), max(1, round(box.height * scale))),
        Image.Resampling.LANCZOS,
    )
    offset = ((size_px - box.width) // 2, (size_px - box.height) // 2)
    canvas.paste(box, offset, box.getchannel("A"))
    badge = _badge_image(carton, round(size_px * 0.2))
    if badge is not None:
        margin = round(size_px * 0.035)
        canvas.paste(badge, (margin, margin), badge)
    return _png(canvas)


def _png(image: Image.Image) -> bytes:
    output = io.BytesIO()
    image.save(output, "PNG", compress_level=3)
    return output.getvalue()


def folded_box(carton: Carton, width_px: int) -> Image.Image:
    """The box and its shadow, RGBA on a transparent ground, `width_px` wide."""
    if not MIN_WIDTH_PX <= width_px <= MAX_WIDTH_PX:
        raise RenderError(
            f"a folded preview is {MIN_WIDTH_PX} to {MAX_WIDTH_PX} pixels wide, not {width_px}"
        )
    size = box_size(carton)
    corners = _projected_corners(size)
    xs = [point[0] for point in corners.values()]
    ys = [point[1] for point in corners.values()]
    span_x, span_y = max(xs) - min(xs), max(ys) - min(ys)
    work_width = width_px
    margin = 0.12 * work_width
    scale = (work_width - 2 * margin) / span_x
    work_height = round(span_y * scale + 2.4 * margin)

    def place(point: Point) -> Point:
        return (margin + (point[0] - min(xs)) * scale, margin + (point[1] - min(ys)) * scale)

    screen = {name: place(point) for name, point in corners.items()}
    canvas = Image.new("RGBA", (work_width, work_height), (*GROUND, 0))
    _add_ground_shadow(canvas, screen)
    faces: list[tuple[Face, tuple[str, str, str, str]]] = [
        # Each face's image corners (top-left, top-right, bottom-right, bottom-left) on the box.
        ("front", ("FTL", "FTR", "FBR", "FBL")),
        ("right", ("FTR", "BTR", "BBR", "FBR")),
        ("top", ("BTL", "BTR", "FTR", "FTL")),
    ]
    for face, names in faces:
        quad = [screen[name] for name in names]
        warped, (left, top) = _warped(_face_picture(carton, face), quad, face)
        canvas.alpha_composite(warped, (int(left), int(top)))
    _edge_highlights(canvas, screen)
    return canvas


def _projected_corners(size: BoxSize) -> dict[str, Point]:
    """The eight corners (F/B front or back, T/B top or bottom, L/R) seen in perspective."""
    length, width, depth = size.length_mm, size.width_mm, size.depth_mm
    points: dict[str, Vec3] = {}
    for front_back, z in (("F", 0.0), ("B", width)):
        for top_bottom, y in (("T", depth), ("B", 0.0)):
            for left_right, x in (("L", 0.0), ("R", length)):
                points[front_back + top_bottom + left_right] = (x, y, z)
    centre = (length / 2, depth / 2, width / 2)
    yaw = math.radians(YAW_DEG)
    distance = DISTANCE * max(length, width, depth)
    # Two-point perspective, as product photographers shoot: the eye is raised rather than the
    # view tilted, so the box's upright edges stay upright.
    eye_height = depth / 2 + distance * math.tan(math.radians(PITCH_DEG))
    projected = {}
    for name, (x, y, z) in points.items():
        x, y, z = x - centre[0], y - eye_height, z - centre[2]
        x, z = x * math.cos(yaw) + z * math.sin(yaw), -x * math.sin(yaw) + z * math.cos(yaw)
        factor = distance / (z + distance)
        projected[name] = (x * factor, -y * factor)  # image y runs down
    return projected


def _face_picture(carton: Carton, face: Face) -> Image.Image:
    art = carton.art_for(face)
    if art is None:
        # A sleeve's open end: the dark inside of the tube, framed by the board's edge.
        size = box_size(carton)
        width_px = max(2, round(size.width_mm / 25.4 * FACE_DPI))
        height_px = max(2, round(size.depth_mm / 25.4 * FACE_DPI))
        picture = Image.new("RGBA", (width_px, height_px), (58, 52, 46, 255))
        frame = max(2, round(0.8 / 25.4 * FACE_DPI))
        draw = ImageDraw.Draw(picture)
        draw.rectangle(
            (0, 0, width_px - 1, height_px - 1), outline=(226, 218, 204, 255), width=frame
        )
        return picture
    picture = Image.open(io.BytesIO(export_png(art.layout, FACE_DPI))).convert("RGBA")
    return picture


def _warped(picture: Image.Image, quad: list[Point], face: Face) -> tuple[Image.Image, Point]:
    """`picture` mapped onto `quad`, shaded for its face: the warped image of the quad's
    bounding box (transparent around the face) and where that box goes on the canvas."""
    shaded = _shaded(picture, face)
    left = math.floor(min(x for x, _ in quad))
    top = math.floor(min(y for _, y in quad))
    right = math.ceil(max(x for x, _ in quad))
    bottom = math.ceil(max(y for _, y in quad))
    local = [(x - left, y - top) for x, y in quad]
    # The picture is mapped onto the quad grown by a pixel, so that every pixel the true outline
    # touches holds the face's own colour; the outline itself is the finely drawn mask.
    cx = sum(x for x, _ in local) / 4
    cy = sum(y for _, y in local) / 4
    grown = [(x + math.copysign(1.0, x - cx), y + math.copysign(1.0, y - cy)) for x, y in local]
    width, height = shaded.size
    source = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)), (0.0, float(height))]
    coefficients = _perspective_coefficients(grown, source)
    size = (right - left, bottom - top)
    warped = shaded.transform(
        size, Image.Transform.PERSPECTIVE, coefficients, Image.Resampling.BICUBIC
    )
    mask = Image.new("L", (size[0] * EDGE_SAMPLES, size[1] * EDGE_SAMPLES), 0)
    ImageDraw.Draw(mask).polygon([(x * EDGE_SAMPLES, y * EDGE_SAMPLES) for x, y in local], fill=255)
    warped.putalpha(mask.reduce(EDGE_SAMPLES))
    return warped, (left, top)


def _shaded(picture: Image.Image, face: Face) -> Image.Image:
    """The face darkened for the light it gets, with a soft gradient across it (the far edge of
    the side darker, the front lighter toward its top)."""
    pixels = np.asarray(picture, dtype=np.float32)
    height, width = pixels.shape[:2]
    base = SHADE[face]
    if face == "right":
        ramp = np.linspace(1.0, 0.82, width, dtype=np.float32)[None, :]
    elif face == "front":
        ramp = np.linspace(1.03, 0.93, height, dtype=np.float32)[:, None]
    else:
        ramp = np.linspace(0.95, 1.04, height, dtype=np.float32)[:, None]
    factor = (base * ramp)[..., None]
    pixels[..., :3] = np.clip(pixels[..., :3] * factor, 0, 255)
    return Image.fromarray(pixels.astype(np.uint8), "RGBA")


def _perspective_coefficients(target: list[Point], source: list[Point]) -> tuple[float, ...]:
    """The eight PIL coefficients mapping each output point of `target` to its `source` point."""
    rows = []
    values = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values += [u, v]
    solution = np.linalg.solve(np.array(rows, dtype=np.float64), np.array(values, dtype=np.float64))
    return tuple(float(value) for value in solution)


def _add_ground_shadow(canvas: Image.Image, screen: dict[str, Point]) -> None:
    """A soft shadow under the box's base, drawn into the transparent canvas. It is blurred at
    an eighth of the size, as a mask over its own region only, then scaled back: a blur that
    wide looks the same and costs a small fraction."""
    reduction = 8
    offset = canvas.width * 0.012
    base = [
        (x - offset, y + offset * 0.6) for x, y in (screen[n] for n in ("FBL", "FBR", "BBR", "BBL"))
    ]
    blur = canvas.width * 0.018
    left = max(0, math.floor(min(x for x, _ in base) - 3 * blur))
    top = max(0, math.floor(min(y for _, y in base) - 3 * blur))
    right = min(canvas.width, math.ceil(max(x for x, _ in base) + 3 * blur))
    bottom = min(canvas.height, math.ceil(max(y for _, y in base) + 3 * blur))
    small = (max(1, (right - left) // reduction), max(1, (bottom - top) // reduction))
    mask = Image.new("L", small, 0)
    ImageDraw.Draw(mask).polygon(
        [((x - left) / reduction, (y - top) / reduction) for x, y in base], fill=120
    )
    mask = mask.filter(ImageFilter.GaussianBlur(blur / reduction))
    mask = mask.resize((right - left, bottom - top), Image.Resampling.BILINEAR)
    shadow = Image.new("RGBA", mask.size, (40, 32, 24, 0))
    shadow.putalpha(mask)
    canvas.alpha_composite(shadow, (left, top))


def _edge_highlights(canvas: Image.Image, screen: dict[str, Point]) -> None:
    """A thin light line along the lit edges, where board catches the light at a fold."""
    draw = ImageDraw.Draw(canvas)
    width = max(1, round(canvas.width / 900))
    for start, end in (("FTL", "FTR"), ("FTR", "FBR"), ("FTR", "BTR")):
        draw.line([screen[start], screen[end]], fill=(255, 255, 255, 90), width=width)


def _badge_image(carton: Carton, width_px: int) -> Image.Image | None:
    """The front's OCOP badge alone, `width_px` wide, drawn as the label draws it."""
    front = carton.art_for("front")
    badge = front.layout.badge if front else None
    if front is None or badge is None:
        return None
    from cairosvg import svg2png

    width_mm = 40.0
    if badge.official_mark is not None:
        height_mm = width_mm * badge.height_mm / badge.width_mm
        body = (
            f'<image x="0" y="0" width="{width_mm}" height="{height_mm}"'
            f' preserveAspectRatio="xMidYMid meet" href={quoteattr(badge.official_mark)}/>'
        )
    else:
        with_caption = badge.year is not None or badge.province is not None
        height_mm = badge_height_mm(width_mm, with_caption=with_caption)
        colors = BadgeColors.from_brand(front.layout.colors.primary, front.layout.colors.accent)
        body = draw_badge(
            badge.stars, width_mm=width_mm, colors=colors, year=badge.year, province=badge.province
        )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1"'
        f' width="{width_mm}mm" height="{height_mm}mm" viewBox="0 0 {width_mm} {height_mm}">'
        f"{body}</svg>"
    )
    dpi = width_px / (width_mm / 25.4)
    png = svg2png(bytestring=svg.encode("utf-8"), dpi=dpi)
    if not isinstance(png, bytes):
        raise RenderError("the badge could not be drawn")
    return Image.open(io.BytesIO(png)).convert("RGBA")
