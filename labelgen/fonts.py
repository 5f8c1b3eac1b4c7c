"""Fonts stage: the bundled font files → families, metrics in mm, shaped widths and glyph coverage."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import struct
import tempfile
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from pathlib import Path

import uharfbuzz as hb

from labelgen.errors import FontError
from labelgen.resources import bundled_dir

MM_PER_PT = 25.4 / 72
REGULAR = 400
BOLD = 700
DEFAULT_FAMILY = "Be Vietnam Pro"
# The four faces every label family needs: body text, headlines, and the English twins in italics.
# There is no fallback: a family missing one of them is not offered (`label_families`), and a spec
# naming it anyway is refused by `font_face` with the face that is missing, never drawn in another.
LABEL_STYLES = ((REGULAR, False), (BOLD, False), (REGULAR, True), (BOLD, True))
# Kerning is left off everywhere: CairoSVG cannot kern, so measuring with kerning would make the
# PNG disagree with the SVG and the PDF by up to a few percent of a line's width.
SHAPING_FEATURES = {"kern": False, "liga": False}


@dataclass(frozen=True)
class FontFace:
    """One bundled font file: a family at one weight, with its metrics in font units."""

    family: str
    weight: int
    italic: bool
    path: Path

    def __hash__(self) -> int:
        # Computed once: a print run looks a face up in the glyph caches some 20 times a label.
        return self._hash_value

    @cached_property
    def _hash_value(self) -> int:
        return hash((self.family, self.weight, self.italic, self.path))

    @cached_property
    def _hb_font(self) -> hb.Font:
        return hb.Font(hb.Face(hb.Blob.from_file_path(str(self.path))))

    @cached_property
    def _tables(self) -> tuple[int, int, int, int, int, frozenset[int]]:
        # Read through HarfBuzz, which has the file open already: fontTools would parse the
        # same tables in Python, a tenth of a second for the faces of one label.
        face = self._hb_font.face
        os2 = _table(face, "OS/2")
        hhea = _table(face, "hhea")
        # OS/2 version 2 and later: sxHeight at byte 86, sCapHeight at 88; hhea: ascender at 4,
        # descender at 6 (OpenType's table layouts).
        x_height, cap_height = struct.unpack_from(">hh", os2, 86)
        ascent, descent = struct.unpack_from(">hh", hhea, 4)
        return (face.upem, cap_height, x_height, ascent, descent, frozenset(face.unicodes))

    @property
    def units_per_em(self) -> int:
        return self._tables[0]

    def cap_height_mm(self, font_size_pt: float) -> float:
        """Height of a capital letter (and of the digits) at this size, in mm."""
        return self._tables[1] / self.units_per_em * font_size_pt * MM_PER_PT

    def x_height_mm(self, font_size_pt: float) -> float:
        return self._tables[2] / self.units_per_em * font_size_pt * MM_PER_PT

    def ascent_mm(self, font_size_pt: float) -> float:
        return self._tables[3] / self.units_per_em * font_size_pt * MM_PER_PT

    def descent_mm(self, font_size_pt: float) -> float:
        """Depth below the baseline, as a positive number of mm."""
        return -self._tables[4] / self.units_per_em * font_size_pt * MM_PER_PT

    def missing_characters(self, text: str) -> list[str]:
        """Characters of `text` this face has no glyph for (whitespace aside), in order, once each."""
        cmap = self._tables[5]
        # Each distinct character once (a dict keeps their order): a spec's long texts repeat them.
        return [
            character
            for character in dict.fromkeys(text)
            if ord(character) not in cmap and not character.isspace()
        ]

    def text_width_mm(self, text: str, font_size_pt: float) -> float:
        """The advance width of `text` set on one line at `font_size_pt`, in mm."""
        return glyphs_width_mm(self, shape_text(self, text), font_size_pt)

    @cached_property
    def pdf_metrics(self) -> PdfFontMetrics:
        """The face's metrics as a PDF font descriptor gives them (thousandths of an em)."""
        face = self._hb_font.face
        bbox = struct.unpack_from(">hhhh", _table(face, "head"), 36)  # xMin, yMin, xMax, yMax
        italic_angle = struct.unpack_from(">i", _table(face, "post"), 4)[0] / 65536  # 16.16
        per_mille = 1000 / self.units_per_em
        return PdfFontMetrics(
            bbox=tuple(round(value * per_mille) for value in bbox),
            ascent=round(self._tables[3] * per_mille),
            descent=round(self._tables[4] * per_mille),
            cap_height=round(self._tables[1] * per_mille),
            italic_angle=italic_angle,
        )

    @cached_property
    def woff2_base64(self) -> str:
        """The face as base64 WOFF2 for an SVG's @font-face, made once and kept beside the TTF."""
        woff2_path = self.path.with_suffix(".woff2")
        if woff2_path.exists():
            return base64.b64encode(woff2_path.read_bytes()).decode("ascii")
        return base64.b64encode(build_woff2(self.path)).decode("ascii")


def _table(face: hb.Face, tag: str) -> bytes:
    data: bytes = face.reference_table(tag).data
    if not data:
        raise FontError(f"the font has no {tag} table")
    return data


@dataclass(frozen=True)
class PdfFontMetrics:
    """A face's bounding box, ascent, descent and cap height in thousandths of an em."""

    bbox: tuple[int, ...]
    ascent: int
    descent: int
    cap_height: int
    italic_angle: float


@dataclass(frozen=True)
class ShapedGlyph:
    """One glyph of a shaped run, in font units."""

    glyph_id: int
    advance_units: int
    x_offset_units: int
    y_offset_units: int


@lru_cache(maxsize=65536)
def shape_text(face: FontFace, text: str) -> tuple[ShapedGlyph, ...]:
    """The glyphs HarfBuzz sets for `text` in `face` (kerning off, see SHAPING_FEATURES)."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(face._hb_font, buffer, SHAPING_FEATURES)
    return tuple(
        ShapedGlyph(info.codepoint, position.x_advance, position.x_offset, position.y_offset)
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True)
    )


@lru_cache(maxsize=65536)
def glyph_texts(face: FontFace, text: str) -> tuple[str, ...]:
    """For each glyph `shape_text` sets for `text`, the characters it stands for: the whole
    cluster on its first glyph, nothing on the others (what a PDF's ToUnicode map needs)."""
    glyphs = shape_text(face, text)
    if len(glyphs) == len(text):
        return tuple(text)  # one glyph a character, the usual case with ligatures off
    buffer = hb.Buffer()
    buffer.add_codepoints([ord(character) for character in text])  # clusters: character indices
    buffer.guess_segment_properties()
    hb.shape(face._hb_font, buffer, SHAPING_FEATURES)
    clusters = [info.cluster for info in buffer.glyph_infos]
    # A cluster runs up to the next cluster's start in text order (clusters rise left to right).
    starts = sorted(set(clusters))
    ends = {start: end for start, end in zip(starts, [*starts[1:], len(text)], strict=True)}
    texts = []
    seen: set[int] = set()
    for cluster in clusters:
        texts.append("" if cluster in seen else text[cluster : ends[cluster]])
        seen.add(cluster)
    return tuple(texts)


def shape_text_once(face: FontFace, text: str) -> tuple[ShapedGlyph, ...]:
    """`shape_text` without its cache, for text set once and never again: every unit of a print
    run has its own serial, and caching them filled 130 MB a worker over 100,000 labels."""
    return shape_text.__wrapped__(face, text)


def glyphs_width_mm(face: FontFace, glyphs: tuple[ShapedGlyph, ...], font_size_pt: float) -> float:
    """The advance width of shaped `glyphs` of `face` at `font_size_pt`, in mm."""
    advance_units = sum(glyph.advance_units for glyph in glyphs)
    return advance_units / face.units_per_em * font_size_pt * MM_PER_PT


def build_woff2(ttf_path: Path) -> bytes:
    """The TTF at `ttf_path` re-wrapped as WOFF2 (same glyphs, smaller file)."""

    from fontTools.ttLib import TTFont  # only when a WOFF2 beside the TTF is missing

    output = io.BytesIO()
    with TTFont(str(ttf_path)) as font:
        font.flavor = "woff2"
        font.save(output)
    return output.getvalue()


@cache
def bundled_faces() -> dict[str, dict[tuple[int, bool], FontFace]]:
    """Every bundled font file, by family name then (weight, italic)."""
    families: dict[str, dict[tuple[int, bool], FontFace]] = {}
    for path in sorted(bundled_dir("fonts").glob("*.ttf")):
        face = hb.Face(hb.Blob.from_file_path(str(path)))
        family = str(
            face.get_name(hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY)
            or face.get_name(hb.OTNameIdPredefined.FONT_FAMILY)
        )
        os2 = _table(face, "OS/2")
        weight = struct.unpack_from(">H", os2, 4)[0]  # usWeightClass
        italic = bool(struct.unpack_from(">H", os2, 62)[0] & 1)  # fsSelection bit 0
        families.setdefault(family, {})[(weight, italic)] = FontFace(family, weight, italic, path)
    return families


def label_families() -> list[str]:
    """The bundled families a label can be set in: those with all of LABEL_STYLES, default first."""
    complete = [
        family
        for family, faces in bundled_faces().items()
        if all(style in faces for style in LABEL_STYLES)
    ]
    return sorted(complete, key=lambda family: (family != DEFAULT_FAMILY, family))


def font_face(family: str, weight: int = REGULAR, italic: bool = False) -> FontFace:
    """The bundled face of `family` at `weight`; FontError when the family is not bundled."""
    families = bundled_faces()
    if family not in families:
        known = ", ".join(sorted(families))
        raise FontError(f"font family '{family}' is not bundled (bundled: {known})")
    faces = families[family]
    if (weight, italic) not in faces:
        style = " italic" if italic else ""
        raise FontError(f"font family '{family}' has no weight {weight}{style} bundled")
    return faces[(weight, italic)]


def use_bundled_fonts_only() -> Path:
    """Point fontconfig at the bundled fonts and nothing else; returns the config file written.

    CairoSVG ignores @font-face and WeasyPrint's SVG text asks fontconfig by family name, so
    without this the PNG and PDF would quietly use whatever fonts this machine has installed.
    Fontconfig reads FONTCONFIG_FILE once, when it first starts: this must run before the first
    render in the process, which is why the export stage calls it when it is imported.
    """
    fonts_dir = bundled_dir("fonts")
    digest = hashlib.sha256(str(fonts_dir).encode()).hexdigest()[:12]
    config_dir = Path(tempfile.gettempdir()) / f"labelgen-fontconfig-{digest}"
    config_dir.mkdir(parents=True, exist_ok=True)
    config_path = config_dir / "fonts.conf"
    config = (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{fonts_dir}</dir>\n  <cachedir>{config_dir / 'cache'}</cachedir>\n"
        "</fontconfig>\n"
    )
    if not config_path.exists() or config_path.read_text(encoding="utf-8") != config:
        temporary_path = config_path.with_suffix(f".{os.getpid()}.tmp")
        temporary_path.write_text(config, encoding="utf-8")
        temporary_path.replace(config_path)
    os.environ["FONTCONFIG_FILE"] = str(config_path)
    return config_path
