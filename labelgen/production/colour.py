"""Print colour stage: an RGB PDF from WeasyPrint → the same artwork in DeviceCMYK, with OutputIntent and PDF/X-4 XMP.

One method turns every RGB colour of the artwork into press CMYK, whether it is a fill or
stroke operator, an image pixel, a shading's colour or a palette entry:

1. **Neutral greys become K only.** A colour whose three channels lie within 3/255 of one
   another (so near-blacks such as the text colour #1D1D1B count) is printed with the black
   plate alone: black text and codes are 100 % K (REGULATIONS §7) and greys are not built
   from four plates that never register perfectly. The K value keeps the grey's lightness:
   the grey's relative luminance Y is mapped with black-point compensation onto the range
   the K ramp of the press profile spans (paper white to solid K), and the K ramp, measured
   through the profile, is inverted at that Y. Pure black is exactly ``0 0 0 1``, white is
   ``0 0 0 0``.
2. **Other colours go through the press profile** with LittleCMS (Pillow's ImageCms): sRGB →
   ISO Coated v2 300 % (FOGRA39, ``assets/icc``), relative colorimetric with black-point
   compensation. Relative colorimetric keeps every brand colour the press can print exactly
   as it is (measured against the paper's white) and moves only those it cannot to the
   nearest printable one; perceptual rendering would shift in-gamut brand colours too. The
   compensation maps the screen's black onto the press's black so dark tones keep their
   detail instead of clipping. An ICC-tagged RGB colour space goes through its own profile.
3. **Total ink stays at or under 300 %.** The profile is separated for 300 % already; should
   a result still exceed it (8-bit rounding can add a few tenths of a percent), cyan, magenta
   and yellow are scaled down in proportion, black kept, until the sum is 300 %.
4. Values are rounded to 4 decimals, so equal colours give equal operators.

Inside a luminosity soft mask the colours are not ink but a mask: there RGB becomes
DeviceGray with the PDF luminosity weights (0.30 R + 0.59 G + 0.11 B), which keeps the mask
exactly as it was, and the mask group's colour space becomes DeviceGray.

Gradients: a type 2 (exponential) function is resampled into 8 linear segments whose ends are
converted exactly, so the gradient follows the converted colours and not a straight line
between two converted ends. Sampled and PostScript functions, mesh shadings without a
function and colour-key masked images cannot be converted and raise `ColourError`.

DeviceGray operators (``g``/``G``) become ``k``/``K`` with K = 1 − grey, which is how a
PDF/X output device prints DeviceGray anyway; DeviceGray images stay as they are.
"""

from __future__ import annotations

import hashlib
import re
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Literal

import pikepdf
from PIL import Image, ImageChops, ImageCms, ImageMath

from labelgen.errors import ColourError
from labelgen.production.press import (
    DECIMALS,
    MAX_INK,
    NEUTRAL_TOLERANCE,
    PROCESS_INKS,
    Colour,
    _rgb_to_cmyk_through,
    _rgb_transform,
    _round,
    _srgb_luminance,
    grey_to_k,
    hex_to_cmyk,
    press_profile_bytes,
    process_inks,
    profile_path,
    rgb_to_cmyk,
    rgb_to_grey,
)

PROFILE_DESCRIPTION = "ISO Coated v2 300% (basICColor)"
# The ICC registry's entry for the characterisation the profile is built on.
OUTPUT_CONDITION_IDENTIFIER = "FOGRA39"
OUTPUT_CONDITION = (
    "Offset commercial and specialty printing according to ISO 12647-2:2004/Amd 1, "
    "paper type 1 or 2 (gloss or matte coated offset), 115 g/m2, screen ruling 60/cm; "
    "total area coverage 300 %"
)
REGISTRY_NAME = "http://www.color.org"
PDFX_VERSION = "PDF/X-4"
PDFX_MIN_PDF_VERSION = "1.6"
GRADIENT_SEGMENTS = 8

PDFX_NAMESPACE = "http://www.npes.org/pdfx/ns/id/"
PDF_NAMESPACE = "http://ns.adobe.com/pdf/1.3/"
XMP_NAMESPACE = "http://ns.adobe.com/xap/1.0/"
XMP_MM_NAMESPACE = "http://ns.adobe.com/xap/1.0/mm/"

CMYK = pikepdf.Name.DeviceCMYK
GRAY = pikepdf.Name.DeviceGray
_RGB_NAMES = frozenset({"/DeviceRGB", "/RGB", "/CalRGB"})
_GRAY_NAMES = frozenset({"/DeviceGray", "/G", "/CalGray"})
_CMYK_NAMES = frozenset({"/DeviceCMYK", "/CMYK"})
# The colour method lives in `labelgen.production.press`; these are its names used by callers
# of this module (the conversion, preflight and the tests).
__all__ = [
    "PROCESS_INKS",
    "hex_to_cmyk",
    "process_inks",
    "profile_path",
    "rgb_to_cmyk",
]


# --- colour spaces --------------------------------------------------------------------------

Family = Literal["rgb", "gray", "cmyk", "other"]


@dataclass(frozen=True)
class SpaceInfo:
    """What a colour space is, for conversion: its family and, for ICC-tagged RGB, the profile."""

    family: Family
    icc: bytes | None = None
    calibrated: bool = False  # CalRGB: no profile LittleCMS could use as it stands
    holds_rgb: bool = False  # itself RGB, or built on RGB (Indexed base, Separation alternate…)


def describe_space(
    space: pikepdf.Object | None, resources: pikepdf.Object | None = None
) -> SpaceInfo:
    """Classify a colour space (a name, a resource name or an array)."""
    if isinstance(space, pikepdf.Name):
        name = str(space)
        if name in _RGB_NAMES:
            return SpaceInfo("rgb", calibrated=name == "/CalRGB", holds_rgb=True)
        if name in _GRAY_NAMES:
            return SpaceInfo("gray")
        if name in _CMYK_NAMES:
            return SpaceInfo("cmyk")
        named = _named_space(resources, name)
        if named is not None:
            return describe_space(named, None)
        return SpaceInfo("other")
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        kind = str(space[0])
        if kind == "/ICCBased":
            count = int(space[1].get("/N", 0))
            if count == 3:
                return SpaceInfo("rgb", icc=space[1].read_bytes(), holds_rgb=True)
            return SpaceInfo("gray" if count == 1 else "cmyk" if count == 4 else "other")
        if kind == "/CalRGB":
            return SpaceInfo("rgb", calibrated=True, holds_rgb=True)
        if kind == "/CalGray":
            return SpaceInfo("gray")
        if kind in ("/Indexed", "/I") and len(space) > 1:
            return SpaceInfo("other", holds_rgb=describe_space(space[1], resources).holds_rgb)
        if kind == "/Separation" and len(space) > 2:
            return SpaceInfo("other", holds_rgb=describe_space(space[2], resources).holds_rgb)
        if kind == "/DeviceN" and len(space) > 2:
            return SpaceInfo("other", holds_rgb=describe_space(space[2], resources).holds_rgb)
        if kind == "/Pattern" and len(space) > 1:
            return SpaceInfo("other", holds_rgb=describe_space(space[1], resources).holds_rgb)
        if len(space) == 1:
            return describe_space(space[0], resources)
    return SpaceInfo("other")


def _named_space(resources: pikepdf.Object | None, name: str) -> pikepdf.Object | None:
    if resources is None or "/ColorSpace" not in resources:
        return None
    spaces = resources.ColorSpace
    if name in spaces:
        return spaces[name]
    return None


# --- the walk: every colour-bearing object reachable from the pages -------------------------

NodeKind = Literal["content", "image", "shading", "group", "colour_spaces", "soft_mask", "font"]


@dataclass(frozen=True)
class Node:
    """One object that can carry colour, where it was reached, and whether inside a soft mask."""

    kind: NodeKind
    obj: pikepdf.Object
    location: str
    mask: bool
    resources: pikepdf.Object | None = None  # what a content stream draws with
    page: pikepdf.Page | None = None  # set for a page's own content stream


@dataclass
class ArtworkWalker:
    """Walks pages, the Form XObjects they use (recursively, also in patterns, soft masks, Type 3
    glyphs and annotation appearances), and yields each colour-bearing object, and each font,
    once: an object shared by many pages (a print run's artwork form) is visited on the first."""

    _seen: set[tuple[tuple[int, int], bool]] = field(default_factory=set)
    _mask_groups: set[tuple[int, int]] = field(default_factory=set)

    def page_nodes(self, page: pikepdf.Page, page_number: int) -> Iterator[Node]:
        location = f"page {page_number}"
        resources = inherited_attribute(page.obj, "/Resources")
        yield Node("content", page.obj, location, False, resources, page)
        if "/Group" in page.obj:
            yield Node("group", page.obj.Group, f"{location} group", False)
        yield from self._resources(resources, location, False)
        for index, annotation in enumerate(page.obj.get("/Annots", pikepdf.Array()), start=1):
            yield from self._annotation(annotation, f"{location} › annotation {index}")

    def _first_visit(self, obj: pikepdf.Object, mask: bool) -> bool:
        if not obj.is_indirect:
            return True
        key = (obj.objgen, mask)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _annotation(self, annotation: pikepdf.Object, location: str) -> Iterator[Node]:
        appearances = annotation.get("/AP")
        if not isinstance(appearances, pikepdf.Dictionary):
            return
        for state_key in ("/N", "/R", "/D"):
            appearance = appearances.get(state_key)
            if isinstance(appearance, pikepdf.Stream):
                yield from self._form(appearance, f"{location} appearance {state_key}", False, None)
            elif isinstance(appearance, pikepdf.Dictionary):
                for state, form in appearance.items():
                    if isinstance(form, pikepdf.Stream):
                        where = f"{location} appearance {state_key} {state}"
                        yield from self._form(form, where, False, None)

    def _form(
        self,
        form: pikepdf.Object,
        location: str,
        mask: bool,
        parent_resources: pikepdf.Object | None,
    ) -> Iterator[Node]:
        if not self._first_visit(form, mask):
            return
        resources = form.get("/Resources", parent_resources)
        yield Node("content", form, location, mask, resources)
        if "/Group" in form:
            yield Node("group", form.Group, f"{location} group", mask)
        yield from self._resources(resources, location, mask)

    def _resources(
        self, resources: pikepdf.Object | None, location: str, mask: bool
    ) -> Iterator[Node]:
        if not isinstance(resources, pikepdf.Dictionary) or not self._first_visit(resources, mask):
            return
        if isinstance(resources.get("/ColorSpace"), pikepdf.Dictionary):
            yield Node("colour_spaces", resources.ColorSpace, location, mask, resources)
        # Soft masks first: WeasyPrint also lists a mask's group among the XObjects beside it,
        # where it must not be taken for artwork.
        for name, state in _entries(resources, "/ExtGState"):
            soft_mask = state.get("/SMask") if isinstance(state, pikepdf.Dictionary) else None
            if isinstance(soft_mask, pikepdf.Dictionary) and "/G" in soft_mask:
                where = f"{location} › ExtGState {name} soft mask"
                if soft_mask.G.is_indirect:
                    self._mask_groups.add(soft_mask.G.objgen)
                yield Node("soft_mask", soft_mask, where, True)
                yield from self._form(soft_mask.G, where, True, resources)
        for name, xobject in _entries(resources, "/XObject"):
            where = f"{location} › XObject {name}"
            subtype = xobject.get("/Subtype")
            if subtype == pikepdf.Name.Form and xobject.objgen in self._mask_groups:
                continue
            if subtype == pikepdf.Name.Form:
                yield from self._form(xobject, where, mask, resources)
            elif subtype == pikepdf.Name.Image and self._first_visit(xobject, mask):
                yield Node("image", xobject, where, mask, resources)
        for name, pattern in _entries(resources, "/Pattern"):
            yield from self._pattern(pattern, f"{location} › Pattern {name}", mask, resources)
        for name, shading in _entries(resources, "/Shading"):
            if self._first_visit(shading, mask):
                yield Node("shading", shading, f"{location} › Shading {name}", mask, resources)
        for name, font in _entries(resources, "/Font"):
            if not self._first_visit(font, mask):
                continue
            where = f"{location} › Font {name}"
            yield Node("font", font, where, mask, resources)
            if font.get("/Subtype") == pikepdf.Name.Type3:
                yield from self._type3_font(font, where, mask, resources)

    def _pattern(
        self, pattern: pikepdf.Object, location: str, mask: bool, resources: pikepdf.Object
    ) -> Iterator[Node]:
        if not self._first_visit(pattern, mask):
            return
        if int(pattern.get("/PatternType", 0)) == 1:
            pattern_resources = pattern.get("/Resources", resources)
            yield Node("content", pattern, location, mask, pattern_resources)
            yield from self._resources(pattern_resources, location, mask)
        elif "/Shading" in pattern:
            yield Node("shading", pattern.Shading, f"{location} shading", mask, resources)

    def _type3_font(
        self, font: pikepdf.Object, location: str, mask: bool, resources: pikepdf.Object
    ) -> Iterator[Node]:
        font_resources = font.get("/Resources", resources)
        for glyph, procedure in _entries(font, "/CharProcs"):
            where = f"{location} glyph {glyph}"
            yield Node("content", procedure, where, mask, font_resources)
        yield from self._resources(font_resources, location, mask)


def _entries(holder: pikepdf.Object, key: str) -> Iterator[tuple[str, pikepdf.Object]]:
    entries = holder.get(key)
    if isinstance(entries, pikepdf.Dictionary):
        yield from entries.items()


def inherited_attribute(page: pikepdf.Object, key: str) -> pikepdf.Object | None:
    """A page attribute, looked up the page tree when the page itself lacks it."""
    node: pikepdf.Object | None = page
    for _ in range(64):  # deeper trees do not occur; a loop in a broken file must not hang
        if node is None:
            return None
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def walk_pdf(pdf: pikepdf.Pdf) -> Iterator[Node]:
    """Every colour-bearing object of `pdf`, each once."""
    walker = ArtworkWalker()
    for number, page in enumerate(pdf.pages, start=1):
        yield from walker.page_nodes(page, number)


# --- finding RGB ------------------------------------------------------------------------------

# PDF's white space, and the vertical tab, which qpdf's parser takes as white space too.
_WHITE_SPACE = frozenset(b"\x00\t\n\x0b\f\r ")
_DELIMITERS = frozenset(b"()<>[]{}/%")
_TOKEN_ENDS = _WHITE_SPACE | _DELIMITERS
# A token that follows a "/" is part of a name, so "/" cannot stand before an operator.
_BEFORE_OPERATOR = _TOKEN_ENDS - {ord("/")}
# The operators that can bring RGB in, each with the index of the byte it is searched for by:
# the rarer of its two, as a page of QR codes holds thousands of `re` (so "r" is common) and
# a sheet calls its serial's glyphs by names such as /G179 (so "G" is too).
_RGB_OPERATORS = ((b"rg", 1), (b"RG", 0), (b"cs", 1), (b"CS", 0), (b"BI", 1))
_NAMED_OPERATORS = frozenset({b"cs", b"CS"})
# Room before a cs or CS for its operand and the operator before that.
_LOOK_BACK_BYTES = 64
_PLAIN_NAME = re.compile(rb"/[^\x00-\x20\x7f-\xff()<>\[\]{}/%#]+")
_OPERATOR_WORD = re.compile(rb"[A-Za-z'\"][A-Za-z0-9*'\"]*")
_OBJECT_KEYWORDS = frozenset({b"true", b"false", b"null"})


@dataclass(frozen=True)
class ColourOperators:
    """What a look at a content stream's bytes found: whether only parsing it can tell if it
    sets RGB (an rg or RG, an inline image, a cs or CS whose operand is not plain), and the
    colour space names its cs and CS operators are given."""

    needs_parsing: bool
    space_names: frozenset[str] = frozenset()


def scan_colour_operators(data: bytes) -> ColourOperators:
    """The operators that can bring RGB in, found in a content stream's decoded bytes.

    Searching bytes costs a fraction of parsing: a print sheet of 24 QR codes (17,000
    operators) takes about 0.1 ms, against 30 ms for pikepdf's parser. A match inside a
    string or a comment only ever sends the stream to the parser.
    """
    names: set[str] = set()
    length = len(data)
    for operator, search_index in _RGB_OPERATORS:
        first, second = operator
        search_byte = operator[search_index]
        position = data.find(search_byte)
        while position >= 0:
            start = position - search_index
            end = start + 2
            # The operator as a token of its own, not part of a longer one such as /CSCut.
            is_operator = (
                start >= 0
                and end <= length
                and data[start] == first
                and data[start + 1] == second
                and (start == 0 or data[start - 1] in _BEFORE_OPERATOR)
                and (end == length or data[end] in _TOKEN_ENDS)
            )
            if is_operator:
                if operator not in _NAMED_OPERATORS:
                    return ColourOperators(True)
                name = _operand_name(data, start)
                if name is None:
                    return ColourOperators(True)
                names.add(name)
            position = data.find(search_byte, position + 1)
    if names and b"%" in data:
        # A comment could hide an operand before the name from `_operand_name`'s look back.
        return ColourOperators(True)
    return ColourOperators(False, frozenset(names))


def _operand_name(data: bytes, operator_start: int) -> str | None:
    """The colour space name a cs or CS at `operator_start` is given, when it surely is the
    only operand: a plain printable name (no # escape) after white space that follows another
    operator, or at the stream's start. None for anything else, which the parser must judge."""
    window_start = max(0, operator_start - _LOOK_BACK_BYTES)
    window = data[window_start:operator_start]
    if b"\x00" in window:
        return None  # white space to PDF, not to bytes.split()
    tokens = window.split()
    if not tokens or _PLAIN_NAME.fullmatch(tokens[-1]) is None:
        return None
    name = "/" + tokens[-1][1:].decode("ascii")
    if len(tokens) == 1:
        # Alone in the window: the first token of the stream, or a name too long to judge here.
        return name if window_start == 0 else None
    if len(tokens) == 2 and window_start > 0:
        return None  # the operator before may start outside the window
    before = tokens[-2]
    if _OPERATOR_WORD.fullmatch(before) is None or before in _OBJECT_KEYWORDS:
        return None  # a number, a string, another name, true, false or null: more operands
    return name


def may_set_rgb(found: ColourOperators, resources: pikepdf.Object | None) -> bool:
    """False only when the scanned stream surely sets no RGB with `resources`."""
    if found.needs_parsing:
        return True
    return any(
        describe_space(pikepdf.Name(name), resources).holds_rgb for name in found.space_names
    )


def _may_hold_rgb(data: bytes, resources: pikepdf.Object | None) -> bool:
    """A quick look at the raw operators: False only when the stream surely sets no RGB.
    Anything it is unsure of is left to the parser."""
    return may_set_rgb(scan_colour_operators(data), resources)


def rgb_in_node(node: Node) -> list[str]:
    """Where `node` uses RGB, one line each naming the place (empty when it uses none)."""
    obj = node.obj
    if node.kind == "content":
        return _rgb_in_content(node)
    if node.kind == "image":
        return _rgb_in_image(obj, node.location, node.resources)
    if node.kind == "shading":
        if describe_space(obj.get("/ColorSpace"), node.resources).holds_rgb:
            return [f"{node.location}: shading in {_space_name(obj.get('/ColorSpace'))}"]
        return []
    if node.kind == "group":
        space = obj.get("/CS")
        if space is not None and describe_space(space).holds_rgb:
            return [f"{node.location}: transparency group in {_space_name(space)}"]
        return []
    if node.kind == "colour_spaces":
        return [
            f"{node.location}: colour space {name} is {_space_name(space)}"
            for name, space in obj.items()
            if describe_space(space).holds_rgb or name == "/DefaultRGB"
        ]
    return []


def _rgb_in_image(
    image: pikepdf.Object, location: str, resources: pikepdf.Object | None
) -> list[str]:
    found = []
    space = image.get("/ColorSpace")
    if space is not None and describe_space(space, resources).holds_rgb:
        found.append(f"{location}: image in {_space_name(space)}")
    soft_mask = image.get("/SMask")
    if (
        isinstance(soft_mask, pikepdf.Stream)
        and describe_space(soft_mask.get("/ColorSpace")).holds_rgb
    ):
        found.append(f"{location}: image soft mask in RGB")
    return found


def _rgb_in_content(node: Node) -> list[str]:
    source = node.page if node.page is not None else node.obj
    data = _content_bytes(node)
    found: list[str] = []
    if not _may_hold_rgb(data, node.resources):
        return found
    for instruction in pikepdf.parse_content_stream(source):
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            image = instruction.iimage
            if _inline_holds_rgb(image, node.resources):
                found.append(f"{node.location}: inline image in RGB")
            continue
        operator = str(instruction.operator)
        if operator in ("rg", "RG"):
            found.append(f"{node.location}: RGB colour operator {operator}")
        elif operator in ("cs", "CS") and instruction.operands:
            space = instruction.operands[0]
            if describe_space(space, node.resources).holds_rgb:
                found.append(f"{node.location}: operator {_space_name(space)} {operator}")
    # One line per kind of use, counted: a page may repeat the same operator thousands of times.
    counts = Counter(found)
    return [text if count == 1 else f"{text} ({count} times)" for text, count in counts.items()]


def _inline_holds_rgb(image: pikepdf.PdfInlineImage, resources: pikepdf.Object | None) -> bool:
    if image.image_mask:
        return False
    space = image.obj.get("/ColorSpace", image.obj.get("/CS"))
    return space is not None and describe_space(_expand_inline_space(space), resources).holds_rgb


def _expand_inline_space(space: pikepdf.Object) -> pikepdf.Object:
    abbreviations = {"/RGB": "/DeviceRGB", "/G": "/DeviceGray", "/CMYK": "/DeviceCMYK"}
    if isinstance(space, pikepdf.Name) and str(space) in abbreviations:
        return pikepdf.Name(abbreviations[str(space)])
    return space


def _content_bytes(node: Node) -> bytes:
    if node.page is not None:
        return page_content_bytes(node.page.obj)
    return decoded_bytes(node.obj)


def page_content_bytes(page: pikepdf.Object) -> bytes:
    """A page's content streams, decoded and joined by a newline (no token spans two)."""
    contents = page.get("/Contents")
    if isinstance(contents, pikepdf.Array):
        return b"\n".join(decoded_bytes(part) for part in contents)
    return decoded_bytes(contents) if isinstance(contents, pikepdf.Stream) else b""


def decoded_bytes(stream: pikepdf.Object) -> bytes:
    """A stream's data, decoded. Flate alone, the filter of nearly every content stream, is
    inflated with zlib here, in about half the time qpdf's pipeline takes."""
    if isinstance(stream, pikepdf.Stream) and _flate_only(stream):
        try:
            return zlib.decompress(stream.read_raw_bytes())
        except zlib.error:
            pass  # damaged data: qpdf decodes what it can, as it always did
    return stream.read_bytes()


def _flate_only(stream: pikepdf.Stream) -> bool:
    filters = stream.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    return filters == pikepdf.Name.FlateDecode and "/DecodeParms" not in stream


def _space_name(space: pikepdf.Object | None) -> str:
    if isinstance(space, pikepdf.Array) and len(space) > 0:
        return f"[{space[0]} …]"
    return str(space)


def find_rgb(pdf: pikepdf.Pdf) -> list[str]:
    """Every place in `pdf` that still uses RGB (DeviceRGB, ICC-based or calibrated RGB, or a
    space built on one), each naming the page and the object."""
    found: list[str] = []
    for node in walk_pdf(pdf):
        found.extend(rgb_in_node(node))
    return found


# --- converting -------------------------------------------------------------------------------


def convert_pdf_to_cmyk(pdf: pikepdf.Pdf) -> None:
    """Rewrite every colour of `pdf` (in place) as press CMYK by the module's method.

    Raises ColourError, naming the object, for colour the method cannot convert.
    """
    for page in pdf.pages:
        # As image XObjects, inline images go through the same conversion as the others.
        page.externalize_inline_images()
    nodes = list(walk_pdf(pdf))
    converter = _Converter(pdf)
    # Content first: it must read the named colour spaces before they are rewritten.
    order: tuple[NodeKind, ...] = (
        "content",
        "soft_mask",
        "group",
        "colour_spaces",
        "image",
        "shading",
    )
    for kind in order:
        for node in nodes:
            if node.kind == kind:
                converter.convert(node)


@dataclass
class _Target:
    """What RGB turns into in one context: press CMYK for ink, DeviceGray inside a soft mask."""

    space: pikepdf.Name
    fill_operator: str
    stroke_operator: str


_INK = _Target(CMYK, "k", "K")
_MASK = _Target(GRAY, "g", "G")


@dataclass
class _PaintState:
    """The colour space the original content had selected, for fill and for stroke."""

    fill: SpaceInfo = field(default_factory=lambda: SpaceInfo("gray"))
    stroke: SpaceInfo = field(default_factory=lambda: SpaceInfo("gray"))


class _Converter:
    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self._pdf = pdf
        self._converted_as: dict[tuple[int, int], bool] = {}

    def convert(self, node: Node) -> None:
        self._claim(node)
        handlers: dict[NodeKind, Callable[[Node], None]] = {
            "content": self._content,
            "soft_mask": self._soft_mask,
            "group": self._group,
            "colour_spaces": self._colour_spaces,
            "image": self._image,
            "shading": self._shading,
        }
        handlers[node.kind](node)

    def _claim(self, node: Node) -> None:
        """One object cannot be both ink and a soft mask: its colours would need two values."""
        if not node.obj.is_indirect or node.kind in ("colour_spaces", "soft_mask"):
            return
        previous = self._converted_as.setdefault(node.obj.objgen, node.mask)
        if previous != node.mask:
            raise ColourError(
                f"{node.location}: the same object is drawn both as artwork and as a soft mask"
            )

    # content streams

    def _content(self, node: Node) -> None:
        source = node.page if node.page is not None else node.obj
        instructions = pikepdf.parse_content_stream(source)
        target = _MASK if node.mask else _INK
        rewritten, changed = _rewrite_content(instructions, node, target)
        if not changed:
            return
        data = pikepdf.unparse_content_stream(rewritten)  # type: ignore[arg-type]
        if node.page is not None:
            node.page.obj.Contents = self._pdf.make_stream(data)
        else:
            node.obj.write(data)

    # soft masks and groups

    def _soft_mask(self, node: Node) -> None:
        group = node.obj.G.get("/Group")
        backdrop = node.obj.get("/BC")
        if group is None or backdrop is None:
            return
        info = describe_space(group.get("/CS", GRAY))
        if info.family == "rgb" and len(backdrop) == 3:
            red, green, blue = (float(value) for value in backdrop)
            node.obj.BC = pikepdf.Array([_number(rgb_to_grey(red, green, blue))])

    def _group(self, node: Node) -> None:
        space = node.obj.get("/CS")
        if space is None:
            return
        if describe_space(space).holds_rgb:
            node.obj.CS = GRAY if node.mask else CMYK

    # colour space resources

    def _colour_spaces(self, node: Node) -> None:
        spaces = node.obj
        for name in list(spaces.keys()):
            space = spaces[name]
            if name == "/DefaultRGB":
                del spaces[name]  # DeviceRGB is gone; a default for it has nothing to tag
                continue
            info = describe_space(space)
            if not info.holds_rgb:
                continue
            if info.family == "rgb":
                # Every operator naming it now names DeviceCMYK (or DeviceGray in a mask) itself.
                spaces[name] = CMYK
            else:
                spaces[name] = self._converted_space(space, f"{node.location}: {name}")

    def _converted_space(self, space: pikepdf.Object | None, location: str) -> pikepdf.Object:
        """An Indexed or Separation space built on RGB, rebuilt on DeviceCMYK."""
        if not isinstance(space, pikepdf.Array):
            raise ColourError(f"{location}: colour space {space} cannot be converted")
        kind = str(space[0])
        if kind in ("/Indexed", "/I"):
            return self._converted_indexed(space, location)
        if kind == "/Separation":
            base = describe_space(space[2])
            function = _converted_function(
                space[3], _colour_converter(base, _INK, location), 3, location
            )
            return pikepdf.Array([space[0], space[1], CMYK, function])
        raise ColourError(f"{location}: a {kind[1:]} colour space on RGB cannot be converted")

    def _converted_indexed(self, space: pikepdf.Object, location: str) -> pikepdf.Array:
        base = describe_space(space[1])
        if base.family != "rgb":
            raise ColourError(f"{location}: an Indexed colour space on {_space_name(space[1])}")
        lookup = space[3]
        table = lookup.read_bytes() if isinstance(lookup, pikepdf.Stream) else bytes(lookup)
        convert = _colour_converter(base, _INK, location)
        entries = int(space[2]) + 1
        palette = bytearray()
        for index in range(entries):
            rgb = table[index * 3 : index * 3 + 3]
            if len(rgb) < 3:
                raise ColourError(f"{location}: the Indexed palette is shorter than its hival")
            ink = convert(tuple(channel / 255 for channel in rgb))
            palette.extend(round(value * 255) for value in ink)
        return pikepdf.Array(
            [pikepdf.Name.Indexed, CMYK, entries - 1, pikepdf.String(bytes(palette))]
        )

    # images

    def _image(self, node: Node) -> None:
        image = node.obj
        if image.get("/ImageMask", False):
            return
        space = image.get("/ColorSpace")
        if space is None:
            raise ColourError(f"{node.location}: an image without a colour space (JPX?)")
        info = describe_space(space, node.resources)
        if not info.holds_rgb:
            return
        if isinstance(space, pikepdf.Array) and str(space[0]) in ("/Indexed", "/I"):
            image.ColorSpace = self._converted_indexed(space, node.location)
            return
        if info.family != "rgb":
            image.ColorSpace = self._converted_space(space, node.location)
            return
        if info.calibrated:
            raise ColourError(f"{node.location}: a CalRGB image cannot be converted")
        if "/Decode" in image or isinstance(image.get("/Mask"), pikepdf.Array):
            raise ColourError(
                f"{node.location}: an RGB image with a /Decode array or a colour-key mask"
            )
        if int(image.get("/BitsPerComponent", 8)) != 8:
            raise ColourError(f"{node.location}: an RGB image with other than 8 bits a channel")
        try:
            picture = pikepdf.PdfImage(image).as_pil_image()  # type: ignore[arg-type]
        except (pikepdf.PdfError, NotImplementedError, ValueError) as error:
            raise ColourError(f"{node.location}: the image cannot be decoded ({error})") from None
        picture = picture.convert("RGB")
        if node.mask:
            converted = picture.convert("L")  # ITU-R 601 weights: PDF's luminosity weights
            new_space = GRAY
        else:
            converted = rgb_image_to_cmyk(picture, info.icc)
            new_space = CMYK
        image.write(zlib.compress(converted.tobytes(), 9), filter=pikepdf.Name.FlateDecode)
        image.ColorSpace = new_space
        image.BitsPerComponent = 8
        for key in ("/DecodeParms", "/SMaskInData"):
            if key in image:
                del image[key]

    # shadings

    def _shading(self, node: Node) -> None:
        shading = node.obj
        space = shading.get("/ColorSpace")
        info = describe_space(space, node.resources)
        if not info.holds_rgb:
            return
        if info.family != "rgb":
            shading.ColorSpace = self._converted_space(space, node.location)
            return
        if info.calibrated:
            raise ColourError(f"{node.location}: a CalRGB shading cannot be converted")
        target = _MASK if node.mask else _INK
        convert = _colour_converter(info, target, node.location)
        function = shading.get("/Function")
        if function is None:
            raise ColourError(
                f"{node.location}: a shading of type {shading.get('/ShadingType')} whose colours"
                " sit in its data, not in a function, cannot be converted"
            )
        if isinstance(function, pikepdf.Array):
            raise ColourError(f"{node.location}: a shading with one function per colour channel")
        shading.Function = _converted_function(function, convert, 3, node.location)
        if "/Background" in shading:
            background = tuple(float(value) for value in shading.Background)
            shading.Background = pikepdf.Array([_number(value) for value in convert(background)])
        shading.ColorSpace = target.space


ColourConverter = Callable[[Colour], Colour]


def _colour_converter(info: SpaceInfo, target: _Target, location: str) -> ColourConverter:
    """How one colour of the source space (`info`) becomes the target's."""
    if info.calibrated:
        raise ColourError(f"{location}: CalRGB colours cannot be converted")
    if target is _MASK:
        if info.family == "rgb":
            return lambda colour: (rgb_to_grey(*colour[:3]),)
        return lambda colour: colour
    if info.family == "rgb":
        icc = info.icc

        def convert_rgb(colour: Colour) -> Colour:
            clamped = tuple(min(max(value, 0.0), 1.0) for value in colour[:3])
            return _rgb_to_cmyk_through(icc, *clamped)

        return convert_rgb
    if info.family == "gray":
        return lambda colour: (0.0, 0.0, 0.0, _round(1.0 - min(max(colour[0], 0.0), 1.0)))
    return lambda colour: colour


def _converted_function(
    function: pikepdf.Object, convert: ColourConverter, outputs: int, location: str
) -> pikepdf.Object:
    """A new function giving the converted colour of `function`'s (which is left untouched)."""
    kind = int(function.get("/FunctionType", -1))
    if kind == 2:
        return _converted_exponential(function, convert, outputs, location)
    if kind == 3:
        parts = [
            _converted_function(part, convert, outputs, location) for part in function.Functions
        ]
        stitched = pikepdf.Dictionary(
            FunctionType=3,
            Domain=function.Domain,
            Bounds=function.Bounds,
            Encode=function.Encode,
            Functions=pikepdf.Array(parts),
        )
        return stitched
    names = {0: "sampled", 4: "PostScript calculator"}
    what = names.get(kind, f"type {kind}")
    raise ColourError(f"{location}: a {what} colour function cannot be converted")


def _converted_exponential(
    function: pikepdf.Object, convert: ColourConverter, outputs: int, location: str
) -> pikepdf.Object:
    start = tuple(float(value) for value in function.get("/C0", pikepdf.Array([0] * outputs)))
    end = tuple(float(value) for value in function.get("/C1", pikepdf.Array([1] * outputs)))
    if len(start) != outputs or len(end) != outputs:
        raise ColourError(f"{location}: a colour function with {len(start)} outputs, not {outputs}")
    exponent = float(function.get("/N", 1))
    domain = [float(value) for value in function.get("/Domain", pikepdf.Array([0, 1]))]
    if start == end:
        return _exponential(domain, convert(start), convert(end), 1.0)
    # Sampled at evenly spaced inputs; each segment runs straight between two converted colours.
    low, high = domain[0], domain[1]
    inputs = [
        low + (high - low) * step / GRADIENT_SEGMENTS for step in range(GRADIENT_SEGMENTS + 1)
    ]
    colours = [
        convert(tuple(a + _power(x, exponent) * (b - a) for a, b in zip(start, end, strict=True)))
        for x in inputs
    ]
    segments = [
        _exponential([0.0, 1.0], colours[step], colours[step + 1], 1.0)
        for step in range(GRADIENT_SEGMENTS)
    ]
    return pikepdf.Dictionary(
        FunctionType=3,
        Domain=pikepdf.Array([_number(low), _number(high)]),
        Bounds=pikepdf.Array([_number(value) for value in inputs[1:-1]]),
        Encode=pikepdf.Array([0, 1] * GRADIENT_SEGMENTS),
        Functions=pikepdf.Array(segments),
    )


def _power(value: float, exponent: float) -> float:
    if value <= 0:
        return 0.0 if exponent > 0 else 1.0
    return float(value**exponent)


def _exponential(
    domain: list[float], start: Colour, end: Colour, exponent: float
) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(
        FunctionType=2,
        Domain=pikepdf.Array([_number(value) for value in domain]),
        C0=pikepdf.Array([_number(value) for value in start]),
        C1=pikepdf.Array([_number(value) for value in end]),
        N=_number(exponent),
    )


def _number(value: float) -> int | Decimal:
    """A PDF number with at most 4 decimals, written the same way each time."""
    rounded = Decimal(f"{value:.{DECIMALS}f}").normalize()
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return rounded


def _rewrite_content(
    instructions: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage],
    node: Node,
    target: _Target,
) -> tuple[list[object], bool]:
    """The instructions with every colour operator rewritten for `target`; and whether any was."""
    state = _PaintState()
    saved: list[_PaintState] = []
    output: list[object] = []
    changed = False
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            if _inline_holds_rgb(instruction.iimage, node.resources):
                raise ColourError(f"{node.location}: an RGB inline image cannot be converted here")
            output.append(instruction)
            continue
        operator = str(instruction.operator)
        operands = list(instruction.operands)
        replacement = _rewrite_instruction(operator, operands, state, node, target)
        if operator == "q":
            saved.append(_PaintState(state.fill, state.stroke))
        elif operator == "Q" and saved:
            restored = saved.pop()
            state.fill, state.stroke = restored.fill, restored.stroke
        if replacement is None:
            output.append(instruction)
        else:
            output.append(replacement)
            changed = True
    return output, changed


_SET_SPACE = {"cs": "fill", "CS": "stroke"}
_SET_COLOUR = {"sc": "fill", "scn": "fill", "SC": "stroke", "SCN": "stroke"}
_DEVICE_COLOUR = {
    "g": ("fill", "gray"),
    "G": ("stroke", "gray"),
    "rg": ("fill", "rgb"),
    "RG": ("stroke", "rgb"),
    "k": ("fill", "cmyk"),
    "K": ("stroke", "cmyk"),
}


def _rewrite_instruction(
    operator: str,
    operands: list[pikepdf.Object],
    state: _PaintState,
    node: Node,
    target: _Target,
) -> tuple[list[object], pikepdf.Operator] | None:
    """The replacement of one instruction (None: keep it), updating `state`."""
    if operator in _DEVICE_COLOUR:
        side, family = _DEVICE_COLOUR[operator]
        info = SpaceInfo(family)  # type: ignore[arg-type]
        setattr(state, side, info)
        if family == "cmyk" or (family == "gray" and target is _MASK):
            return None
        values = tuple(float(value) for value in operands)
        converted = _colour_converter(info, target, node.location)(values)
        name = target.fill_operator if side == "fill" else target.stroke_operator
        return ([_number(value) for value in converted], pikepdf.Operator(name))
    if operator in _SET_SPACE and operands:
        side = _SET_SPACE[operator]
        info = describe_space(operands[0], node.resources)
        setattr(state, side, info)
        if info.family == "rgb" or (info.family == "gray" and target is _INK):
            _colour_converter(info, target, node.location)  # refuses CalRGB here, named
            return ([target.space], pikepdf.Operator(operator))
        if info.holds_rgb and str(operands[0]).startswith("/") and _is_pattern(operands[0], node):
            raise ColourError(f"{node.location}: an uncoloured pattern on RGB cannot be converted")
        return None
    if operator in _SET_COLOUR:
        info = getattr(state, _SET_COLOUR[operator])
        if info.family == "rgb" or (info.family == "gray" and target is _INK):
            numbers = [float(value) for value in operands if not isinstance(value, pikepdf.Name)]
            converted = _colour_converter(info, target, node.location)(tuple(numbers))
            return ([_number(value) for value in converted], pikepdf.Operator(operator))
    return None


def _is_pattern(name: pikepdf.Object, node: Node) -> bool:
    space = _named_space(node.resources, str(name))
    return isinstance(space, pikepdf.Array) and str(space[0]) == "/Pattern"


def rgb_image_to_cmyk(picture: Image.Image, source_icc: bytes | None = None) -> Image.Image:
    """An RGB picture as press CMYK: a picture of greys alone is K only, as flat greys are;
    any other goes through the profile, then the ink limit."""
    if _picture_is_neutral(picture):
        lookup = [round(_grey_byte_to_k(value) * 255) for value in range(256)]
        black = picture.convert("L").point(lookup)
        blank = Image.new("L", picture.size, 0)
        return Image.merge("CMYK", (blank, blank, blank, black))
    converted = ImageCms.applyTransform(picture, _rgb_transform(source_icc))
    assert converted is not None
    return _limit_picture_ink(converted)


def _grey_byte_to_k(value: int) -> float:
    level = value / 255
    return grey_to_k(_srgb_luminance(level, level, level))


def _picture_is_neutral(picture: Image.Image) -> bool:
    red, green, blue = picture.split()
    limit = round(NEUTRAL_TOLERANCE * 255)
    for first, second in ((red, green), (green, blue), (red, blue)):
        largest = ImageChops.difference(first, second).getextrema()[1]
        if isinstance(largest, tuple) or largest > limit:
            return False
    return True


def _limit_picture_ink(picture: Image.Image) -> Image.Image:
    cyan, magenta, yellow, black = picture.split()
    total = ImageMath.lambda_eval(
        lambda a: a["c"] + a["m"] + a["y"] + a["k"], c=cyan, m=magenta, y=yellow, k=black
    )
    limit = round(MAX_INK * 255)
    if total.getextrema()[1] <= limit:  # type: ignore[union-attr, operator]
        return picture

    def scaled(channel: Image.Image) -> Image.Image:
        # Per pixel: C, M and Y times (limit − K) / (C + M + Y) where the total is over the limit.
        result = ImageMath.lambda_eval(
            lambda a: a["convert"](
                a["min"](
                    a["float"](a["x"]),
                    a["float"](a["x"])
                    * (limit - a["float"](a["k"]))
                    / a["max"](a["float"](a["c"] + a["m"] + a["y"]), 1.0),
                ),
                "L",
            ),
            x=channel,
            c=cyan,
            m=magenta,
            y=yellow,
            k=black,
        )
        assert isinstance(result, Image.Image)
        return result

    return Image.merge("CMYK", (scaled(cyan), scaled(magenta), scaled(yellow), black))


# --- OutputIntent and PDF/X-4 metadata ------------------------------------------------------


def add_output_intent(pdf: pikepdf.Pdf) -> None:
    """Declare the press condition: a GTS_PDFX OutputIntent with the press profile embedded.

    Replaces any PDF/X OutputIntent already there (a PDF/X file has exactly one).
    """
    # Deflated: 1,052,612 bytes as it comes, 779,459 compressed (its tables are dense).
    profile = pdf.make_stream(b"")
    profile.write(_deflated_profile(), filter=pikepdf.Name.FlateDecode)
    profile.N = 4
    intent = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFX,
            OutputConditionIdentifier=pikepdf.String(OUTPUT_CONDITION_IDENTIFIER),
            OutputCondition=pikepdf.String(OUTPUT_CONDITION),
            RegistryName=pikepdf.String(REGISTRY_NAME),
            Info=pikepdf.String(PROFILE_DESCRIPTION),
            DestOutputProfile=profile,
        )
    )
    others = [
        existing
        for existing in pdf.Root.get("/OutputIntents", pikepdf.Array())
        if existing.get("/S") != pikepdf.Name.GTS_PDFX
    ]
    pdf.Root.OutputIntents = pikepdf.Array([intent, *others])


@cache
def _deflated_profile() -> bytes:
    return zlib.compress(press_profile_bytes(), 9)


def set_pdfx4_metadata(pdf: pikepdf.Pdf, title: str, *, created_at: datetime | None = None) -> None:
    """Identify `pdf` as PDF/X-4: XMP and the document information dictionary, consistent.

    What is claimed is checked first at the document level, and a file that would not hold
    true is refused with ColourError rather than labelled: it must not be encrypted, must hold
    no JavaScript and must carry a CMYK PDF/X OutputIntent (`add_output_intent`). What holds
    page by page (TrimBox, embedded fonts, no RGB) is what `preflight_pdf` checks on the
    saved file. A PDF older than 1.6 is declared 1.6 in its catalogue.
    """
    _refuse_what_pdfx4_forbids(pdf)
    moment = (created_at or datetime.now(UTC)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if pdf.pdf_version < PDFX_MIN_PDF_VERSION:
        pdf.Root.Version = pikepdf.Name("/" + PDFX_MIN_PDF_VERSION)
    stamp = moment.isoformat()
    document_id = uuid.UUID(bytes=hashlib.sha256(f"{title}\n{stamp}".encode()).digest()[:16])
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as metadata:
        metadata["dc:title"] = title
        metadata[f"{{{XMP_NAMESPACE}}}CreateDate"] = stamp
        metadata[f"{{{XMP_NAMESPACE}}}ModifyDate"] = stamp
        metadata[f"{{{XMP_NAMESPACE}}}MetadataDate"] = stamp
        metadata[f"{{{XMP_NAMESPACE}}}CreatorTool"] = "labelgen"
        metadata[f"{{{PDF_NAMESPACE}}}Producer"] = "labelgen"
        metadata[f"{{{PDF_NAMESPACE}}}Trapped"] = "False"
        metadata[f"{{{PDFX_NAMESPACE}}}GTS_PDFXVersion"] = PDFX_VERSION
        metadata[f"{{{XMP_MM_NAMESPACE}}}DocumentID"] = f"uuid:{document_id}"
        metadata[f"{{{XMP_MM_NAMESPACE}}}InstanceID"] = f"uuid:{document_id}"
        metadata[f"{{{XMP_MM_NAMESPACE}}}VersionID"] = "1"
        metadata[f"{{{XMP_MM_NAMESPACE}}}RenditionClass"] = "default"
    pdf_date = pikepdf.String(_pdf_date(moment))
    pdf.docinfo["/Title"] = pikepdf.String(title)
    pdf.docinfo["/Creator"] = pikepdf.String("labelgen")
    pdf.docinfo["/Producer"] = pikepdf.String("labelgen")
    pdf.docinfo["/CreationDate"] = pdf_date
    pdf.docinfo["/ModDate"] = pdf_date
    pdf.docinfo["/Trapped"] = pikepdf.Name("/False")
    pdf.docinfo["/GTS_PDFXVersion"] = pikepdf.String(PDFX_VERSION)


def _pdf_date(moment: datetime) -> str:
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    zone = "Z" if minutes == 0 else f"{sign}{hours:02d}'{rest:02d}'"
    return f"D:{moment.strftime('%Y%m%d%H%M%S')}{zone}"


def _refuse_what_pdfx4_forbids(pdf: pikepdf.Pdf) -> None:
    if pdf.is_encrypted:
        raise ColourError("cannot claim PDF/X-4: the document is encrypted")
    names = pdf.Root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        raise ColourError(
            "cannot claim PDF/X-4: the document holds JavaScript (/Names /JavaScript)"
        )
    for key in ("/OpenAction", "/AA"):
        action = pdf.Root.get(key)
        if isinstance(action, pikepdf.Dictionary):
            raise ColourError(f"cannot claim PDF/X-4: the catalogue has an action ({key})")
    if not pdfx_output_intents(pdf):
        raise ColourError("cannot claim PDF/X-4: there is no CMYK GTS_PDFX OutputIntent")


def pdfx_output_intents(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The GTS_PDFX OutputIntents whose embedded profile is CMYK."""
    found = []
    for intent in pdf.Root.get("/OutputIntents", pikepdf.Array()):
        profile = intent.get("/DestOutputProfile")
        if (
            intent.get("/S") == pikepdf.Name.GTS_PDFX
            and isinstance(profile, pikepdf.Stream)
            and int(profile.get("/N", 0)) == 4
        ):
            found.append(intent)
    return found
