"""Colour roles and #RRGGBB colours → the colour a role is drawn in, blends, WCAG 2 contrast ratios."""

from __future__ import annotations

from typing import Literal

from labelgen.spec import Colors
from labelgen.templates import TextSlot

ColorRole = Literal["text", "primary", "accent", "background", "muted"]
Backdrop = Literal["background", "primary", "accent"]

# WCAG 2 (success criterion 1.4.3): 4.5:1 for body text, 3:1 for large text, which is 18 pt and
# up, or 14 pt and up in bold. Below 3:1 no text reads as contrasting at any size.
MIN_CONTRAST = 3.0
BODY_TEXT_CONTRAST = 4.5
LARGE_TEXT_PT = 18.0
LARGE_BOLD_TEXT_PT = 14.0
# A hair under a limit from rounding the colours' channels is not worth a finding.
CONTRAST_TOLERANCE = 1e-6

# Muted text (English twins, hints) is the text colour taken this far toward the background.
MUTED_SHARE = 0.35


def role_color(role: str, colors: Colors) -> str:
    """The #RRGGBB a template's colour role is drawn in with these brand colours.

    KeyError for a role that is none of text, primary, accent, background and muted.
    """
    if role == "muted":
        return mix(colors.text, colors.background, MUTED_SHARE)
    by_role = {
        "text": colors.text,
        "primary": colors.primary,
        "accent": colors.accent,
        "background": colors.background,
    }
    return by_role[role]


def mix(foreground: str, background: str, share: float) -> str:
    """`foreground` blended toward `background` by `share` (0 keeps the foreground)."""
    channels = []
    for index in (1, 3, 5):
        front = int(foreground[index : index + 2], 16)
        back = int(background[index : index + 2], 16)
        channels.append(round(front + (back - front) * share))
    return "#" + "".join(f"{channel:02X}" for channel in channels)


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a #RRGGBB colour: 0 for black, 1 for white."""
    channels = [int(color[index : index + 2], 16) / 255 for index in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def is_large(size_pt: float, *, bold: bool) -> bool:
    """Whether text of this size and weight is large text in WCAG's sense."""
    return size_pt >= (LARGE_BOLD_TEXT_PT if bold else LARGE_TEXT_PT) - CONTRAST_TOLERANCE


def needed_contrast(*, large: bool) -> float:
    """The contrast ratio text should reach against what is behind it (WCAG 2, 1.4.3)."""
    return MIN_CONTRAST if large else BODY_TEXT_CONTRAST


def backdrop_role(slot: TextSlot) -> Backdrop:
    """The colour role drawn behind a text slot: its `backdrop` when the template names it;
    otherwise, as the bundled drawings are made, the primary band behind text drawn in the
    background colour and the background behind all other text."""
    if slot.backdrop is not None:
        return slot.backdrop
    return "primary" if slot.color == "background" else "background"


def readable_role(slot: TextSlot, colors: Colors, *, large: bool) -> str:
    """The colour role a slot's text is set in: its own, unless that does not contrast enough
    with what is behind it and the brand's text or background colour does (an orange brand
    colour names a product in the dark text colour, never in an unreadable orange)."""
    behind = role_color(backdrop_role(slot), colors)
    needed = needed_contrast(large=large) - CONTRAST_TOLERANCE
    for role in (slot.color, "text", "background"):
        if contrast_ratio(role_color(role, colors), behind) >= needed:
            return role
    return slot.color
