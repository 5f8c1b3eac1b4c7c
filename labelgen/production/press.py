"""The press colour method: an sRGB colour → press CMYK (`labelgen.production.colour` documents it).

Kept apart from the PDF conversion, with Pillow's LittleCMS binding and no PDF library, so that
the compliance check (which ink mix a small text's colour prints with) loads only this; the
press profile's transforms are built on the first colour that needs them.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path

from PIL import Image, ImageCms

from labelgen.errors import ColourError
from labelgen.resources import bundled_dir

PROFILE_FILE_NAME = "ISOcoated_v2_300_bas.icc"
MAX_INK = 3.0  # 300 % total area coverage
NEUTRAL_TOLERANCE = 3 / 255
DECIMALS = 4
LUMINOSITY_WEIGHTS = (0.30, 0.59, 0.11)  # PDF's DeviceRGB → DeviceGray conversion

Colour = tuple[float, ...]


def profile_path() -> Path:
    """The bundled CMYK press profile (see assets/icc/README.md)."""
    return bundled_dir("assets") / "icc" / PROFILE_FILE_NAME


@cache
def press_profile_bytes() -> bytes:
    """The press profile's bytes, as embedded in the OutputIntent."""
    return profile_path().read_bytes()


@cache
def _press_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(io.BytesIO(press_profile_bytes()))


@cache
def _rgb_transform(source_icc: bytes | None) -> ImageCms.ImageCmsTransform:
    """RGB → press CMYK, relative colorimetric with black-point compensation."""
    if source_icc is None:
        source = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    else:
        source = ImageCms.ImageCmsProfile(io.BytesIO(source_icc))
    return ImageCms.buildTransform(
        source,
        _press_profile(),
        "RGB",
        "CMYK",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
        flags=ImageCms.Flags.BLACKPOINTCOMPENSATION,
    )


@cache
def _k_ramp_luminance() -> tuple[float, ...]:
    """Relative luminance Y (paper white = its own Y) of K-only tints 0..255 on the press."""
    to_lab = ImageCms.buildTransform(
        _press_profile(),
        ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")),
        "CMYK",
        "LAB",
        renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
    )
    ramp = Image.new("CMYK", (256, 1))
    ramp.putdata([(0, 0, 0, k) for k in range(256)])
    lab = ImageCms.applyTransform(ramp, to_lab)
    assert lab is not None
    lightness = lab.getchannel("L")
    return tuple(_lab_lightness_to_y(_channel_value(lightness, k) / 255 * 100) for k in range(256))


def _channel_value(channel: Image.Image, x: int) -> float:
    value = channel.getpixel((x, 0))
    assert isinstance(value, int | float)
    return float(value)


def _lab_lightness_to_y(lightness: float) -> float:
    if lightness > 8:
        return ((lightness + 16) / 116) ** 3
    return lightness / 903.3


def _srgb_to_linear(value: float) -> float:
    if value <= 0.04045:
        return value / 12.92
    return ((value + 0.055) / 1.055) ** 2.4


def _srgb_luminance(red: float, green: float, blue: float) -> float:
    return (
        0.2126 * _srgb_to_linear(red)
        + 0.7152 * _srgb_to_linear(green)
        + 0.0722 * _srgb_to_linear(blue)
    )


@lru_cache(maxsize=4096)
def grey_to_k(luminance: float) -> float:
    """The K-only tint (0..1) that prints a grey of relative luminance `luminance` (0..1).

    Black-point compensation: Y 0 maps to solid K, Y 1 to the paper; between them the K ramp
    of the press profile is inverted (linear interpolation between its 256 measured steps).
    """
    ramp = _k_ramp_luminance()
    white_y, black_y = ramp[0], ramp[-1]
    target_y = black_y + min(max(luminance, 0.0), 1.0) * (white_y - black_y)
    if target_y >= white_y:
        return 0.0
    for step in range(1, len(ramp)):
        if ramp[step] <= target_y:
            lighter, darker = ramp[step - 1], ramp[step]
            share = (lighter - target_y) / (lighter - darker) if lighter > darker else 1.0
            return _round(min(1.0, (step - 1 + share) / (len(ramp) - 1)))
    return 1.0


def _round(value: float) -> float:
    rounded = round(value, DECIMALS)
    return 0.0 if rounded == 0 else rounded  # no "-0.0"


def _check_unit(values: Iterable[float]) -> None:
    for value in values:
        if not 0.0 <= value <= 1.0 or math.isnan(value):
            raise ColourError(f"colour component {value!r} is outside 0..1")


def _is_neutral(red: float, green: float, blue: float) -> bool:
    return max(red, green, blue) - min(red, green, blue) <= NEUTRAL_TOLERANCE + 1e-9


def _limit_ink(cyan: float, magenta: float, yellow: float, black: float) -> Colour:
    """Scale C, M and Y down together (K kept) until the total is at most MAX_INK."""
    colours = cyan + magenta + yellow
    if colours + black <= MAX_INK or colours == 0:
        return (cyan, magenta, yellow, black)
    scale = (MAX_INK - black) / colours
    # Rounded down, so that 4-decimal rounding cannot push the sum back over the limit.
    return (
        math.floor(cyan * scale * 10**DECIMALS) / 10**DECIMALS,
        math.floor(magenta * scale * 10**DECIMALS) / 10**DECIMALS,
        math.floor(yellow * scale * 10**DECIMALS) / 10**DECIMALS,
        black,
    )


@lru_cache(maxsize=65536)
def rgb_to_cmyk(red: float, green: float, blue: float) -> tuple[float, float, float, float]:
    """An sRGB colour (components 0..1) as press CMYK (0..1), by the method in the module doc."""
    return _rgb_to_cmyk_through(None, red, green, blue)


@lru_cache(maxsize=65536)
def _rgb_to_cmyk_through(
    source_icc: bytes | None, red: float, green: float, blue: float
) -> tuple[float, float, float, float]:
    _check_unit((red, green, blue))
    if _is_neutral(red, green, blue):
        return (0.0, 0.0, 0.0, grey_to_k(_srgb_luminance(red, green, blue)))
    pixel = Image.new("RGB", (1, 1), tuple(round(value * 255) for value in (red, green, blue)))
    converted = ImageCms.applyTransform(pixel, _rgb_transform(source_icc))
    assert converted is not None
    ink = tuple(channel / 255 for channel in converted.getpixel((0, 0)))  # type: ignore[union-attr]
    cyan, magenta, yellow, black = _limit_ink(*ink)
    return (_round(cyan), _round(magenta), _round(yellow), _round(black))


PROCESS_INKS = ("C", "M", "Y", "K")
# An ink under half a percent is no dot a press prints: it does not count as an ink used.
INK_USED_MIN = 0.005


def hex_to_cmyk(colour: str) -> Colour:
    """A `#RRGGBB` colour as the press CMYK `convert_pdf_to_cmyk` gives it."""
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    return rgb_to_cmyk(red, green, blue)


def process_inks(colour: str) -> tuple[str, ...]:
    """The process inks (`C`, `M`, `Y`, `K`) a `#RRGGBB` colour prints with, in that order.

    One ink for black, greys and pure process colours; two or more for a brand colour mixed
    from the process inks, whose plates never register perfectly (print-shop practice: no
    such mix for small text and fine lines)."""
    amounts = hex_to_cmyk(colour)
    return tuple(
        ink for ink, amount in zip(PROCESS_INKS, amounts, strict=True) if amount >= INK_USED_MIN
    )


def mixed_inks(colour: str) -> tuple[str, ...]:
    """The process inks a `#RRGGBB` colour is mixed from when it takes two or more, else ().

    A neutral prints on the black plate alone by the method, which needs no profile to say:
    only other colours are separated (building the profile's transforms takes tens of ms)."""
    red, green, blue = (int(colour[index : index + 2], 16) / 255 for index in (1, 3, 5))
    if _is_neutral(red, green, blue):
        return ()
    inks = process_inks(colour)
    return inks if len(inks) > 1 else ()


def rgb_to_grey(red: float, green: float, blue: float) -> float:
    """An RGB colour as DeviceGray with PDF's luminosity weights (for soft masks)."""
    _check_unit((red, green, blue))
    weights = LUMINOSITY_WEIGHTS
    return _round(weights[0] * red + weights[1] * green + weights[2] * blue)
