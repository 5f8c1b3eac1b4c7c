"""Export stage: a Layout (drawn as SVG) → PNG (`labelgen.raster`) or print PDF (`labelgen.pdfwriter`)."""

from __future__ import annotations

import io
import re
import struct
import zlib
from datetime import datetime
from typing import TYPE_CHECKING

from labelgen.fonts import use_bundled_fonts_only

# Fontconfig must be pointed at the bundled fonts before CairoSVG or WeasyPrint first load it.
use_bundled_fonts_only()

import numpy as np  # noqa: E402
import pikepdf  # noqa: E402
from isal import isal_zlib  # noqa: E402
from PIL import Image  # noqa: E402

from labelgen.draw import draw_svg, print_margin_mm  # noqa: E402
from labelgen.errors import RenderError  # noqa: E402
from labelgen.layout import Layout  # noqa: E402
from labelgen.pdfwriter import (  # noqa: E402
    CUT_CONTOUR,
    PT_PER_MM,
    UnsupportedDrawing,
    die_line_operators,
    die_line_path,
    make_cut_contour_space,
    make_overprint_state,
    set_print_boxes,
    tag_subsets_by_content,
    write_artwork_pdf,
    write_pdf,
)
from labelgen.pipeline import DEFAULT_DPI  # noqa: E402

if TYPE_CHECKING:
    import cairocffi

MAX_PNG_PIXELS = 60_000_000
# Print runs, cartons and preflight take these from here; they are made in `pdfwriter`.
__all__ = [
    "CUT_CONTOUR",
    "DEFAULT_DPI",
    "PT_PER_MM",
    "die_line_path",
    "drop_unused_colour_spaces",
    "encode_png",
    "export_artwork_pdf",
    "export_pdf",
    "export_pdf_pages",
    "export_png",
    "export_svg",
    "join_pdfs",
    "make_cut_contour_space",
    "make_overprint_state",
    "tag_subsets_by_content",
    "weasyprint_pdf",
    "weasyprint_svg_page",
]


MAX_DATA_URI_CHARS = 3_000_000


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
    # Imported here: cairo takes a tenth of a second to load, which a print run or the verifying
    # service, drawing no PNG, need not pay.
    from labelgen.raster import raster_layout

    try:
        canvas = raster_layout(layout, dpi)
    except UnsupportedDrawing:
        # As for the PDF: a template folder's drawing the writer does not read is drawn whole by
        # the renderer that reads all of SVG.
        canvas = _cairosvg_surface(layout, dpi)
    image = Image.frombuffer(
        "RGBA",
        (canvas.get_width(), canvas.get_height()),
        bytes(canvas.get_data()),
        "raw",
        "BGRa",  # cairo keeps premultiplied BGRA in native (little-endian) order
        canvas.get_stride(),
        1,
    )
    return encode_png(image, dpi)


def _cairosvg_surface(layout: Layout, dpi: float) -> cairocffi.ImageSurface:
    """CairoSVG's drawing of the screen SVG at `dpi`, every letter pinned where it was measured."""
    from cairosvg.parser import Tree
    from cairosvg.surface import PNGSurface

    svg = draw_svg(layout, embed_fonts=False, pin_words=True).encode("utf-8")
    # Bytes in, no url=: CairoSVG then resolves nothing relative to a file or the network.
    surface = PNGSurface(Tree(bytestring=svg), None, dpi)
    canvas: cairocffi.ImageSurface = surface.cairo
    canvas.flush()
    return canvas


def encode_png(image: Image.Image, dpi: float) -> bytes:
    """`image` (RGBA) as PNG bytes recording `dpi` (pHYs), so layout programs size it right.

    Written here rather than by Pillow or cairo: a label is mostly flat colour, and its rows
    deflated unfiltered by ISA-L at level 1 come out smaller than Pillow's filtered rows at
    zlib level 3 (142 against 162 kB for ocop-classic at 300 dpi), in a third of the time.
    """
    width, height = image.size
    rows = np.empty((height, width * 4 + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None on every row
    rows[:, 1:] = np.asarray(image, dtype=np.uint8).reshape(height, width * 4)
    pixels_per_metre = round(dpi / 0.0254)
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)),
            _png_chunk(b"pHYs", struct.pack(">IIB", pixels_per_metre, pixels_per_metre, 1)),
            _png_chunk(b"IDAT", isal_zlib.compress(rows.tobytes(), 1)),
            _png_chunk(b"IEND", b""),
        ]
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def export_pdf(layout: Layout, *, cmyk: bool = False, created_at: datetime | None = None) -> bytes:
    """The print PDF: artwork with bleed, crop marks, TrimBox/BleedBox, the die line as a spot colour.

    With `cmyk`, every colour is press CMYK (black drawn as solid K, `labelgen.production.colour`)
    and the file is PDF/X-4 with the press OutputIntent, created at `created_at` (now).
    """
    return export_pdf_pages([layout], cmyk=cmyk, created_at=created_at)


def export_pdf_pages(
    layouts: list[Layout], *, cmyk: bool = False, created_at: datetime | None = None
) -> bytes:
    """The print PDF of a label set: one page per panel, in order, as `export_pdf` makes each.

    `labelgen.pdfwriter` writes it. A template folder whose drawing uses SVG that writer does not
    draw (gradients, clip paths, style sheets) is drawn by WeasyPrint instead, whole: the same
    picture through the renderer that reads all of SVG, never a part of it left out.
    """
    try:
        return write_pdf(layouts, cmyk=cmyk, created_at=created_at)
    except UnsupportedDrawing:
        return join_pdfs(
            [weasyprint_pdf(layout, cmyk=cmyk, created_at=created_at) for layout in layouts]
        )


def weasyprint_pdf(
    layout: Layout, *, cmyk: bool = False, created_at: datetime | None = None
) -> bytes:
    """The print PDF `export_pdf` makes, drawn by WeasyPrint from the SVG: the route for a
    drawing `labelgen.pdfwriter` does not draw, and the per-label baseline benchmarks compare
    print runs with."""
    margin_mm = print_margin_mm(layout)
    svg = draw_svg(layout, for_print=True, embed_fonts=False, press=cmyk)
    raw_pdf = _svg_page_pdf(svg, layout, margin_mm)
    return _finish_pdf(raw_pdf, layout, margin_mm, cmyk=cmyk, created_at=created_at)


def export_artwork_pdf(layout: Layout, *, press: bool = False) -> bytes:
    """The artwork alone on a page of trim plus bleed, without marks, boxes or die line: what a
    print run draws once and places on its sheets (`press`: black drawn as solid black)."""
    try:
        return write_artwork_pdf(layout, press=press)
    except UnsupportedDrawing:
        svg = draw_svg(layout, for_print=True, crop_marks=False, embed_fonts=False, press=press)
        return _svg_page_pdf(svg, layout, layout.bleed_mm)


def _svg_page_pdf(svg: str, layout: Layout, margin_mm: float) -> bytes:
    """WeasyPrint's one-page PDF of `svg`, the page `margin_mm` larger than the trim all round."""
    page_width_mm = layout.width_mm + 2 * margin_mm
    page_height_mm = layout.height_mm + 2 * margin_mm
    return weasyprint_svg_page(svg, page_width_mm, page_height_mm, layout.title)


def weasyprint_svg_page(svg: str, width_mm: float, height_mm: float, title: str) -> bytes:
    """WeasyPrint's one-page PDF of `svg` on a page of `width_mm` × `height_mm`: the route for
    a drawing `labelgen.pdfwriter` does not draw."""
    # Imported here: WeasyPrint takes over a second to load, and only a drawing the PDF writer
    # cannot draw needs it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetchingError

    class _DataOnlyFetcher(URLFetcher):
        """WeasyPrint's default fetcher reads file: URLs and the network; a label needs neither.
        Only size-capped data: URIs (an embedded logo) are let through."""

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> object:  # type: ignore[override]
            if url.startswith("data:") and len(url) <= MAX_DATA_URI_CHARS:
                return super().fetch(url, headers)
            raise URLFetchingError(f"labelgen fetches no resources ({url[:40]})")

    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{_escape_html(title)}</title><style>"
        f"@page{{size:{width_mm}mm {height_mm}mm;margin:0}}"
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
    from labelgen.production.colour import convert_pdf_to_cmyk

    with pikepdf.open(io.BytesIO(raw_pdf)) as pdf:
        if cmyk:
            # Before the die line goes in, so that only WeasyPrint's artwork is walked.
            convert_pdf_to_cmyk(pdf)
        page = pdf.pages[0]
        left_pt = float(page.mediabox[0]) + margin_mm * PT_PER_MM
        top_pt = float(page.mediabox[3]) - margin_mm * PT_PER_MM
        set_print_boxes(page, layout, left_pt, top_pt)
        add_die_line_resources(pdf, page, {"/CSCut": make_cut_contour_space(pdf)})
        draw_over_page(pdf, page, die_line_operators(layout, left_pt, top_pt))
        return saved_print_pdf(pdf, layout.title, cmyk=cmyk, created_at=created_at)


def saved_print_pdf(
    pdf: pikepdf.Pdf, title: str, *, cmyk: bool, created_at: datetime | None
) -> bytes:
    """A finished print PDF's bytes: its title, in CMYK its OutputIntent and PDF/X-4 metadata,
    no unused colour space, subsets named by content and a document id made from content."""
    from labelgen.production.colour import add_output_intent, set_pdfx4_metadata

    pdf.docinfo["/Title"] = title
    pdf.docinfo["/Creator"] = "labelgen"
    if cmyk:
        add_output_intent(pdf)
        set_pdfx4_metadata(pdf, title, created_at=created_at)
    drop_unused_colour_spaces(pdf)
    tag_subsets_by_content(pdf)
    output = io.BytesIO()
    pdf.save(output, deterministic_id=True, compress_streams=True)
    return output.getvalue()


def add_die_line_resources(
    pdf: pikepdf.Pdf, page: pikepdf.Page, colour_spaces: dict[str, pikepdf.Object]
) -> None:
    """The separations a die's lines are stroked in (`colour_spaces`, by resource name) and the
    overprinting state `/GSCut` they are drawn under, in the page's resources: the cutter reads
    the lines, the press never prints them, and they knock nothing out of the artwork."""
    resources = page.obj.Resources
    if "/ColorSpace" not in resources:
        resources.ColorSpace = pikepdf.Dictionary()
    if "/ExtGState" not in resources:
        resources.ExtGState = pikepdf.Dictionary()
    for name, space in colour_spaces.items():
        resources.ColorSpace[name] = space
    resources.ExtGState.GSCut = make_overprint_state(pdf)


def draw_over_page(pdf: pikepdf.Pdf, page: pikepdf.Page, operators: str) -> None:
    """`operators`, in plain page coordinates, drawn over the page's content."""
    # The artwork's content (WeasyPrint's) may flip the y axis and never restore it: isolate it
    # in q/Q.
    page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
    page.contents_add(pikepdf.Stream(pdf, b"Q\n" + operators.encode("ascii")), prepend=False)


_NAME_END = rb"(?=[\x00\t\n\x0c\r ()<>\[\]{}/%]|$)"


def drop_unused_colour_spaces(pdf: pikepdf.Pdf) -> None:
    """Remove the named colour spaces no content stream of `pdf` calls (WeasyPrint declares
    two Lab spaces in every resource dictionary, which preflight tools report as colour)."""
    from labelgen.production.colour import page_content_bytes

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
