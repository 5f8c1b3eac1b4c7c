"""Export stage: a Layout (drawn as SVG) → PNG (CairoSVG) or print PDF, RGB or press CMYK (WeasyPrint, pikepdf)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime
from decimal import Decimal

from labelgen.fonts import use_bundled_fonts_only

# Fontconfig must be pointed at the bundled fonts before CairoSVG or WeasyPrint first load it.
use_bundled_fonts_only()

import pikepdf  # noqa: E402
from PIL import Image  # noqa: E402
from weasyprint import HTML  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetchingError  # noqa: E402

from labelgen.draw import draw_svg, print_margin_mm  # noqa: E402
from labelgen.errors import RenderError  # noqa: E402
from labelgen.layout import Layout  # noqa: E402
from labelgen.production.colour import (  # noqa: E402
    add_output_intent,
    convert_pdf_to_cmyk,
    page_content_bytes,
    set_pdfx4_metadata,
)

PT_PER_MM = 72 / 25.4
DEFAULT_DPI = 300
MAX_PNG_PIXELS = 60_000_000
CUT_CONTOUR = "CutContour"


MAX_DATA_URI_CHARS = 3_000_000


class _DataOnlyFetcher(URLFetcher):
    """WeasyPrint's default fetcher reads file: URLs and the network; a label needs neither.
    Only size-capped data: URIs (an embedded logo) are let through."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> object:  # type: ignore[override]
        if url.startswith("data:") and len(url) <= MAX_DATA_URI_CHARS:
            return super().fetch(url, headers)
        raise URLFetchingError(f"labelgen fetches no resources ({url[:40]})")


def export_svg(layout: Layout) -> bytes:
    """The screen SVG (trim size, fonts embedded) as UTF-8 bytes."""
    return draw_svg(layout).encode("utf-8")


def export_png(layout: Layout, dpi: float = DEFAULT_DPI) -> bytes:
    """The label at `dpi` as PNG bytes (trim size, transparent outside a round or shaped label)."""
    if not 10 <= dpi <= 2400:
        raise RenderError(f"dpi must be between 10 and 2400, not {dpi}")
    pixels = (layout.width_mm / 25.4 * dpi) * (layout.height_mm / 25.4 * dpi)
    if pixels > MAX_PNG_PIXELS:
        raise RenderError(f"{dpi} dpi makes a {pixels / 1e6:.0f}-megapixel image; lower the dpi")
    # Imported here: CairoSVG and cairo take 0.3 s to load, which a print run or the verifying
    # service, drawing no PNG, need not pay.
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    svg = draw_svg(layout, embed_fonts=False, pin_words=True).encode("utf-8")
    # Bytes in, no url=: CairoSVG then resolves nothing relative to a file or the network.
    surface = PNGSurface(Tree(bytestring=svg), None, dpi)
    canvas = surface.cairo
    canvas.flush()
    image = Image.frombuffer(
        "RGBA",
        (canvas.get_width(), canvas.get_height()),
        bytes(canvas.get_data()),
        "raw",
        "BGRa",  # cairo keeps premultiplied BGRA in native (little-endian) order
        canvas.get_stride(),
        1,
    )
    output = io.BytesIO()
    # Pillow rather than cairo's own writer: it records the dpi (pHYs) so layout programs size
    # the image right, and zlib level 3 encodes about twice as fast for 10 % more bytes.
    image.save(output, "PNG", dpi=(dpi, dpi), compress_level=3)
    return output.getvalue()


def export_pdf(layout: Layout, *, cmyk: bool = False, created_at: datetime | None = None) -> bytes:
    """The print PDF: artwork with bleed, crop marks, TrimBox/BleedBox, the die line as a spot colour.

    With `cmyk`, every colour is press CMYK (black drawn as solid K, `labelgen.production.colour`)
    and the file is PDF/X-4 with the press OutputIntent, created at `created_at` (now).
    """
    margin_mm = print_margin_mm(layout)
    svg = draw_svg(layout, for_print=True, embed_fonts=False, press=cmyk)
    raw_pdf = _svg_page_pdf(svg, layout, margin_mm)
    return _finish_pdf(raw_pdf, layout, margin_mm, cmyk=cmyk, created_at=created_at)


def export_artwork_pdf(layout: Layout, *, press: bool = False) -> bytes:
    """The artwork alone on a page of trim plus bleed, without marks, boxes or die line: what a
    print run draws once and places on its sheets (`press`: black drawn as solid black)."""
    svg = draw_svg(layout, for_print=True, crop_marks=False, embed_fonts=False, press=press)
    return _svg_page_pdf(svg, layout, layout.bleed_mm)


def _svg_page_pdf(svg: str, layout: Layout, margin_mm: float) -> bytes:
    """WeasyPrint's one-page PDF of `svg`, the page `margin_mm` larger than the trim all round."""
    page_width_mm = layout.width_mm + 2 * margin_mm
    page_height_mm = layout.height_mm + 2 * margin_mm
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{_escape_html(layout.title)}</title><style>"
        f"@page{{size:{page_width_mm}mm {page_height_mm}mm;margin:0}}"
        "html,body{margin:0;padding:0}svg{display:block}"
        f"</style></head><body>{svg}</body></html>"
    )
    document = HTML(string=html, url_fetcher=_DataOnlyFetcher())
    raw_pdf = document.write_pdf()
    if raw_pdf is None:
        raise RenderError("the PDF renderer returned nothing")
    return raw_pdf


def _escape_html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _finish_pdf(
    raw_pdf: bytes,
    layout: Layout,
    margin_mm: float,
    *,
    cmyk: bool = False,
    created_at: datetime | None = None,
) -> bytes:
    """Set the print boxes, add the CutContour die line, and save with a stable document id
    (in CMYK: the colours converted, the OutputIntent and the PDF/X-4 metadata added)."""
    with pikepdf.open(io.BytesIO(raw_pdf)) as pdf:
        if cmyk:
            # Before the die line goes in, so that only WeasyPrint's artwork is walked.
            convert_pdf_to_cmyk(pdf)
        page = pdf.pages[0]
        media = [Decimal(str(value)) for value in page.mediabox]
        left_pt = float(media[0]) + margin_mm * PT_PER_MM
        top_pt = float(media[3]) - margin_mm * PT_PER_MM
        trim = [
            left_pt,
            top_pt - layout.height_mm * PT_PER_MM,
            left_pt + layout.width_mm * PT_PER_MM,
            top_pt,
        ]
        bleed_pt = layout.bleed_mm * PT_PER_MM
        page.obj.TrimBox = pikepdf.Array([_round_pt(value) for value in trim])
        page.obj.BleedBox = pikepdf.Array(
            [
                _round_pt(trim[0] - bleed_pt),
                _round_pt(trim[1] - bleed_pt),
                _round_pt(trim[2] + bleed_pt),
                _round_pt(trim[3] + bleed_pt),
            ]
        )
        _add_die_line(pdf, page, layout, trim[0], trim[3])
        pdf.docinfo["/Title"] = layout.title
        pdf.docinfo["/Creator"] = "labelgen"
        if cmyk:
            add_output_intent(pdf)
            set_pdfx4_metadata(pdf, layout.title, created_at=created_at)
        drop_unused_colour_spaces(pdf)
        tag_subsets_by_content(pdf)
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True, compress_streams=True)
    return output.getvalue()


def _round_pt(value: float) -> Decimal:
    return Decimal(f"{value:.4f}")


def _add_die_line(
    pdf: pikepdf.Pdf, page: pikepdf.Page, layout: Layout, left_pt: float, top_pt: float
) -> None:
    """Stroke the label's outline in a `CutContour` separation that the cutter reads and the
    press never prints (overprinted, so it knocks nothing out of the artwork)."""
    resources = page.obj.Resources
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    if "/ExtGState" not in resources:
        resources.ExtGState = pikepdf.Dictionary()
    resources.ColorSpace.CSCut = make_cut_contour_space(pdf)
    resources.ExtGState.GSCut = make_overprint_state(pdf)
    path = die_line_path(layout, left_pt, top_pt)
    stroke_pt = 0.25
    operators = f"q /GSCut gs /CSCut CS 1 SCN {stroke_pt} w {path} S Q\n"
    # WeasyPrint's content flips the y axis and never restores it: isolate it in q/Q so the
    # die line is drawn in plain page coordinates.
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + operators.encode("ascii")), prepend=False)


def make_cut_contour_space(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """The `CutContour` separation (shown as magenta on screen), as an indirect object of `pdf`."""
    return pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Name.Separation,
                pikepdf.Name(f"/{CUT_CONTOUR}"),
                pikepdf.Name.DeviceCMYK,
                pdf.make_indirect(
                    pikepdf.Dictionary(
                        FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[0, 1, 0, 0], N=1
                    )
                ),
            ]
        )
    )


def make_overprint_state(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """A graphics state that overprints, so a die line knocks nothing out of the artwork."""
    return pdf.make_indirect(
        pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, OP=True, op=True, OPM=1)
    )


def die_line_path(layout: Layout, left_pt: float, top_pt: float) -> str:
    """PDF path operators for the label's cut outline, in page points."""
    shape = layout.manifest.shape
    width_pt = layout.width_mm * PT_PER_MM
    height_pt = layout.height_mm * PT_PER_MM
    bottom_pt = top_pt - height_pt
    if shape.kind == "circle":
        outline = _ellipse(
            left_pt + width_pt / 2, bottom_pt + height_pt / 2, width_pt / 2, height_pt / 2
        )
    else:
        radius_pt = min(shape.corner_radius_mm * PT_PER_MM, width_pt / 2, height_pt / 2)
        outline = _rounded_rect(left_pt, bottom_pt, width_pt, height_pt, radius_pt)
    if shape.hole_diameter_mm and shape.hole_center_mm:
        radius_pt = shape.hole_diameter_mm / 2 * PT_PER_MM
        center_x_pt = left_pt + shape.hole_center_mm[0] * PT_PER_MM
        center_y_pt = top_pt - shape.hole_center_mm[1] * PT_PER_MM
        outline += " " + _ellipse(center_x_pt, center_y_pt, radius_pt, radius_pt)
    return outline


_KAPPA = 0.5522847498  # Bézier handle length for a quarter circle


def _ellipse(center_x: float, center_y: float, radius_x: float, radius_y: float) -> str:
    kx, ky = radius_x * _KAPPA, radius_y * _KAPPA
    cx, cy, rx, ry = center_x, center_y, radius_x, radius_y
    return (
        f"{cx + rx:.3f} {cy:.3f} m "
        f"{cx + rx:.3f} {cy + ky:.3f} {cx + kx:.3f} {cy + ry:.3f} {cx:.3f} {cy + ry:.3f} c "
        f"{cx - kx:.3f} {cy + ry:.3f} {cx - rx:.3f} {cy + ky:.3f} {cx - rx:.3f} {cy:.3f} c "
        f"{cx - rx:.3f} {cy - ky:.3f} {cx - kx:.3f} {cy - ry:.3f} {cx:.3f} {cy - ry:.3f} c "
        f"{cx + kx:.3f} {cy - ry:.3f} {cx + rx:.3f} {cy - ky:.3f} {cx + rx:.3f} {cy:.3f} c h"
    )


def _rounded_rect(x: float, y: float, width: float, height: float, radius: float) -> str:
    if radius <= 0:
        return f"{x:.3f} {y:.3f} {width:.3f} {height:.3f} re"
    k = radius * (1 - _KAPPA)
    right, top = x + width, y + height
    return (
        f"{x + radius:.3f} {y:.3f} m {right - radius:.3f} {y:.3f} l "
        f"{right - k:.3f} {y:.3f} {right:.3f} {y + k:.3f} {right:.3f} {y + radius:.3f} c "
        f"{right:.3f} {top - radius:.3f} l "
        f"{right:.3f} {top - k:.3f} {right - k:.3f} {top:.3f} {right - radius:.3f} {top:.3f} c "
        f"{x + radius:.3f} {top:.3f} l "
        f"{x + k:.3f} {top:.3f} {x:.3f} {top - k:.3f} {x:.3f} {top - radius:.3f} c "
        f"{x:.3f} {y + radius:.3f} l "
        f"{x:.3f} {y + k:.3f} {x + k:.3f} {y:.3f} {x + radius:.3f} {y:.3f} c h"
    )


_SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")
_NAME_END = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|$)"


def tag_subsets_by_content(pdf: pikepdf.Pdf) -> None:
    """Give every embedded font subset a tag made from its own glyph data.

    The renderer's tags are not unique: two panels, or two jobs a shop gangs on one sheet, carry
    different subsets under one name, and a RIP that takes equal names for equal fonts drops
    glyphs. A tag from the subset's bytes is equal only for equal subsets.
    """
    for font in pdf.objects:
        if not isinstance(font, pikepdf.Dictionary) or font.get("/Type") != pikepdf.Name.Font:
            continue
        if font.get("/Subtype") == pikepdf.Name.Type0:
            continue  # renamed with its descendant, below
        descriptor = font.get("/FontDescriptor")
        name = str(font.get("/BaseFont", ""))
        if descriptor is None or not _SUBSET_TAG.match(name):
            continue
        program = next(
            (
                descriptor[key]
                for key in ("/FontFile2", "/FontFile3", "/FontFile")
                if key in descriptor
            ),
            None,
        )
        if program is None:
            continue
        digest = hashlib.sha256(program.read_raw_bytes()).digest()
        tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
        renamed = f"/{tag}+{name[8:]}"
        font.BaseFont = pikepdf.Name(renamed)
        descriptor.FontName = pikepdf.Name(renamed)
        for parent in _type0_parents(pdf, font):
            parent.BaseFont = pikepdf.Name(f"/{tag}+{str(parent.BaseFont)[8:]}")


def _type0_parents(pdf: pikepdf.Pdf, descendant: pikepdf.Object) -> list[pikepdf.Object]:
    return [
        font
        for font in pdf.objects
        if isinstance(font, pikepdf.Dictionary)
        and font.get("/Subtype") == pikepdf.Name.Type0
        and any(child.objgen == descendant.objgen for child in font.get("/DescendantFonts", []))
    ]


def drop_unused_colour_spaces(pdf: pikepdf.Pdf) -> None:
    """Remove the named colour spaces no content stream of `pdf` calls (WeasyPrint declares
    two Lab spaces in every resource dictionary, which preflight tools report as colour)."""
    drawn = [
        stream
        for stream in pdf.objects
        if isinstance(stream, pikepdf.Stream)
        and (stream.get("/Subtype") == pikepdf.Name.Form or "/PatternType" in stream)
    ]
    contents = b"\n".join(
        [
            *(_decoded(stream) for stream in drawn),
            *(page_content_bytes(page.obj) for page in pdf.pages),
        ]
    )
    for holder in pdf.objects:
        if not isinstance(holder, pikepdf.Dictionary) or "/ColorSpace" not in holder:
            continue
        spaces = holder.ColorSpace
        if not isinstance(spaces, pikepdf.Dictionary):
            continue
        for name in list(spaces.keys()):
            if not re.search(re.escape(name.encode("latin-1")) + _NAME_END, contents):
                del spaces[name]


def _decoded(stream: pikepdf.Stream) -> bytes:
    try:
        return stream.read_bytes()
    except pikepdf.PdfError:
        return b""


def join_pdfs(panel_pdfs: list[bytes]) -> bytes:
    """One PDF with a page per panel, in order, each keeping its own print boxes and die line."""
    if len(panel_pdfs) == 1:
        return panel_pdfs[0]
    with pikepdf.open(io.BytesIO(panel_pdfs[0])) as joined:
        for panel_pdf in panel_pdfs[1:]:
            with pikepdf.open(io.BytesIO(panel_pdf)) as other:
                joined.pages.extend(other.pages)
        output = io.BytesIO()
        joined.save(output, deterministic_id=True, compress_streams=True)
    return output.getvalue()
