"""Press sheet: a Carton and a sheet choice → one PDF page with the blank stepped in a grid
(the imposition engine's slots), the die's lines on every blank, crop marks and a slug line."""

from __future__ import annotations

import datetime as dt
import io

import pikepdf

from labelgen.export import PT_PER_MM, saved_print_pdf
from labelgen.packaging.artwork import Carton
from labelgen.packaging.flat import BLEED_MM
from labelgen.packaging.nesting import Nest, PlacedBlank, nest
from labelgen.packaging.pdf import add_die_resources, die_line_operators, flat_page_pdf
from labelgen.production.colour import convert_pdf_to_cmyk
from labelgen.production.imposition import Imposition, ImpositionOptions, Mark, Slot, impose
from labelgen.production.outlines import glyph_forms, glyph_resource_name
from labelgen.production.stamp import CMYK_INKS, GREY_INKS, slug_line_operators

MARK_STROKE_PT = 0.25
DEFAULT_CARTON_SHEET = "1000x700mm"  # B1, the common sheet of folding-carton presses
# A nest's corner marks: from this far outside the bleed to this far (mm).
CORNER_MARK_GAP_MM = 3.0
CORNER_MARK_END_MM = 8.0


def impose_carton(carton: Carton, options: ImpositionOptions) -> Imposition:
    """Where each blank goes on the sheet: its bounding box stepped in a grid, turned 90° when
    that fits more. Blanks are not nested into each other's flaps: each keeps its own box."""
    dieline = carton.dieline
    return impose(dieline.width_mm, dieline.height_mm, BLEED_MM, options)


def export_carton_sheet_pdf(
    carton: Carton,
    options: ImpositionOptions | None = None,
    *,
    cmyk: bool = False,
    nested: bool = False,
    created_at: dt.datetime | None = None,
) -> bytes:
    """One press sheet of blanks: the artwork drawn once and placed in every slot (clipped to
    the slot's bleed), each blank's cut and crease lines in `CutContour` and `Crease`, the
    imposition's crop marks in registration (all four process plates), and the slug line (the
    product, the box, how many blanks, the day) under them where the blanks leave it room.

    `nested`: every other row turned 180° and stepped into the row above (`nesting.nest`),
    when that fits more blanks than the grid; then corner marks stand at the nest's bounds
    (the blanks are die-cut, not guillotined, so there are no grid cuts to mark).
    """
    options = options or ImpositionOptions(sheet=DEFAULT_CARTON_SHEET)
    imposition = impose_carton(carton, options)
    sheet = imposition.sheet
    nest_layout = None
    if nested:
        candidate = nest(
            carton.dieline, sheet.width_mm, sheet.height_mm, options.margin_mm, BLEED_MM
        )
        if len(candidate.blanks) > len(imposition.slots):
            nest_layout = candidate
    artwork = flat_page_pdf(carton, "artwork", press=cmyk)
    with pikepdf.open(io.BytesIO(artwork)) as source, pikepdf.new() as pdf:
        if cmyk:
            convert_pdf_to_cmyk(source)
        width_pt = sheet.width_mm * PT_PER_MM
        height_pt = sheet.height_mm * PT_PER_MM
        page = pdf.add_blank_page(page_size=(width_pt, height_pt))
        form = pdf.copy_foreign(source.pages[0].as_form_xobject())
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Blank=form))
        add_die_resources(pdf, page)
        if nest_layout is None:
            operators = [_placed(slot, carton, height_pt) for slot in imposition.slots]
            operators.append(_marks(imposition.marks, height_pt))
            count = len(imposition.slots)
        else:
            operators = [_nested(blank, carton, height_pt) for blank in nest_layout.blanks]
            operators.append(_marks(_corner_marks(nest_layout, carton), height_pt))
            count = len(nest_layout.blanks)
        if _slug_is_clear(imposition, carton, nest_layout):
            day = (created_at or dt.datetime.now(dt.UTC)).date()
            black = (CMYK_INKS if cmyk else GREY_INKS).black
            # The carton's own typeface: its faces are all set in the brand's.
            family = carton.label_set.panels[0].font_family
            slug, glyph_ids = slug_line_operators(
                imposition, family, black, _slug_text(carton, count, day), height_pt
            )
            operators.append(slug + "\n")
            _add_glyph_forms(pdf, page, family, glyph_ids)
        page.obj.Contents = pdf.make_stream("".join(operators).encode("ascii"))
        page.obj.TrimBox = page.obj.MediaBox
        title = f"{carton.spec.product.name} — {count} × {carton.dieline.package.style}"
        return saved_print_pdf(pdf, title, cmyk=cmyk, created_at=created_at)


def _placed(slot: Slot, carton: Carton, sheet_height_pt: float) -> str:
    """One blank: the artwork form placed (turned when the slot is), clipped to the slot's
    bleed box, then its die lines over it."""
    dieline = carton.dieline
    x, y, width, height = slot.bleed_box_mm
    clip = (
        f"{x * PT_PER_MM:.3f} {sheet_height_pt - (y + height) * PT_PER_MM:.3f} "
        f"{width * PT_PER_MM:.3f} {height * PT_PER_MM:.3f} re W n\n"
    )
    # The artwork page is the blank plus BLEED_MM all round; its origin is its bottom-left.
    left_pt = (slot.trim_x_mm - BLEED_MM) * PT_PER_MM
    if slot.rotated:
        # Turned 90° anticlockwise: the blank's top goes to the sheet's left.
        bottom_pt = sheet_height_pt - (slot.trim_y_mm + slot.trim_height_mm + BLEED_MM) * PT_PER_MM
        place = f"0 1 -1 0 {left_pt + (dieline.height_mm + 2 * BLEED_MM) * PT_PER_MM:.3f} {bottom_pt:.3f} cm\n"
    else:
        bottom_pt = sheet_height_pt - (slot.trim_y_mm + slot.trim_height_mm + BLEED_MM) * PT_PER_MM
        place = f"1 0 0 1 {left_pt:.3f} {bottom_pt:.3f} cm\n"

    def to_sheet(point: tuple[float, float]) -> tuple[float, float]:
        px, py = point
        if slot.rotated:
            # Anticlockwise: the blank's (x, y) from its top-left goes to (y, W - x) on the slot.
            sx = slot.trim_x_mm + py
            sy = slot.trim_y_mm + (dieline.width_mm - px)
        else:
            sx, sy = slot.trim_x_mm + px, slot.trim_y_mm + py
        return sx * PT_PER_MM, sheet_height_pt - sy * PT_PER_MM

    return f"q {clip}{place}/Blank Do Q\n" + die_line_operators(dieline, to_sheet)


def _nested(blank: PlacedBlank, carton: Carton, sheet_height_pt: float) -> str:
    """One nested blank: the artwork form placed upright or turned 180°, then its die lines.
    Not clipped: outside its outline and bleed the artwork page paints nothing, and nested
    neighbours' bounding boxes overlap."""
    dieline = carton.dieline
    form_width_pt = (dieline.width_mm + 2 * BLEED_MM) * PT_PER_MM
    form_height_pt = (dieline.height_mm + 2 * BLEED_MM) * PT_PER_MM
    left_pt = (blank.x_mm - BLEED_MM) * PT_PER_MM
    bottom_pt = sheet_height_pt - (blank.y_mm + dieline.height_mm + BLEED_MM) * PT_PER_MM
    if blank.turned:
        place = f"-1 0 0 -1 {left_pt + form_width_pt:.3f} {bottom_pt + form_height_pt:.3f} cm\n"
    else:
        place = f"1 0 0 1 {left_pt:.3f} {bottom_pt:.3f} cm\n"

    def to_sheet(point: tuple[float, float]) -> tuple[float, float]:
        px, py = point
        if blank.turned:
            px, py = dieline.width_mm - px, dieline.height_mm - py
        return (blank.x_mm + px) * PT_PER_MM, sheet_height_pt - (blank.y_mm + py) * PT_PER_MM

    return f"q {place}/Blank Do Q\n" + die_line_operators(dieline, to_sheet)


def _corner_marks(layout: Nest, carton: Carton) -> tuple[Mark, ...]:
    """Corner marks 3 mm outside the bleed of the nest's bounds, 5 mm long, as crop marks."""
    dieline = carton.dieline
    left = min(blank.x_mm for blank in layout.blanks)
    top = min(blank.y_mm for blank in layout.blanks)
    right = max(blank.x_mm for blank in layout.blanks) + dieline.width_mm
    bottom = max(blank.y_mm for blank in layout.blanks) + dieline.height_mm
    start = BLEED_MM + CORNER_MARK_GAP_MM
    end = BLEED_MM + CORNER_MARK_END_MM
    marks = []
    for x in (left, right):
        for y in (top, bottom):
            sx = -1 if x == left else 1
            sy = -1 if y == top else 1
            marks.append(Mark(x + sx * start, y, x + sx * end, y))
            marks.append(Mark(x, y + sy * start, x, y + sy * end))
    return tuple(marks)


def _marks(marks: tuple[Mark, ...], sheet_height_pt: float) -> str:
    lines = " ".join(
        f"{mark.x1_mm * PT_PER_MM:.3f} {sheet_height_pt - mark.y1_mm * PT_PER_MM:.3f} m "
        f"{mark.x2_mm * PT_PER_MM:.3f} {sheet_height_pt - mark.y2_mm * PT_PER_MM:.3f} l"
        for mark in marks
    )
    return f"q {MARK_STROKE_PT} w 1 1 1 1 K {lines} S Q\n" if lines else ""


def _slug_text(carton: Carton, count: int, day: dt.date) -> str:
    package = carton.dieline.package
    size = f"{package.length_mm:g} × {package.width_mm:g} × {package.depth_mm:g} mm"
    return (
        f"{carton.spec.product.name} · {package.style} {size} · {count} hộp/blanks · {day:%d/%m/%Y}"
    )


def _slug_is_clear(imposition: Imposition, carton: Carton, layout: Nest | None) -> bool:
    """Whether the slug line's band stays off every blank, its bleed and its marks: the grid
    keeps the band free; nested rows may reach into it."""
    if imposition.slug_width_mm <= 0:
        return False
    if layout is None:
        return True
    x, y, width, height = imposition.slug_box_mm
    reach = BLEED_MM + CORNER_MARK_END_MM
    dieline = carton.dieline
    return all(
        x + width <= blank.x_mm - reach
        or x >= blank.x_mm + dieline.width_mm + reach
        or y + height <= blank.y_mm - reach
        or y >= blank.y_mm + dieline.height_mm + reach
        for blank in layout.blanks
    )


def _add_glyph_forms(
    pdf: pikepdf.Pdf, page: pikepdf.Page, family: str, glyph_ids: frozenset[int]
) -> None:
    """The slug's glyphs as the forms `slug_line_operators` calls, in the page's resources."""
    xobjects = page.obj.Resources.XObject
    for glyph_id, (outline, bbox) in glyph_forms(family, sorted(glyph_ids)).items():
        form = pdf.make_stream(
            outline.encode("ascii"),
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=list(bbox),
        )
        xobjects[f"/{glyph_resource_name(glyph_id)}"] = form
