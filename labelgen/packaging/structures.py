"""Carton structures: a Package (style, inside L × W × D, board) → its flat Dieline (faces,
flaps, cuts, creases, glue areas) in mm."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from labelgen.errors import PackageError
from labelgen.spec import CartonStyle, Package

Point = tuple[float, float]
Face = Literal["front", "back", "left", "right", "top", "bottom"]
Edge = Literal["top", "bottom", "left", "right"]
FlapKind = Literal["glue", "closure", "tuck", "dust", "lock"]

# Coordinates: mm on the print side of the flat blank, x to the right, y down, (0, 0) the
# top-left corner of the dieline's bounding box.

GLUE_FLAP_MM = 15.0  # a straight-line gluer's usual flap; narrower on small boxes
GLUE_TAPER_MM = 4.0  # the glue flap's ends are bevelled so it clears the closures
DUST_RELIEF_MM = 1.0  # the dust flap starts this far in from the corner folds
TUCK_CLEARANCE_MM = 1.5  # the tuck is narrower than the opening on each side
LOCK_SLIT_MM = 2.5  # slit lock: a cut at each end of the tuck's crease
EPSILON_MM = 1e-6


@dataclass(frozen=True)
class Rect:
    x_mm: float
    y_mm: float
    width_mm: float
    height_mm: float

    @property
    def right_mm(self) -> float:
        return self.x_mm + self.width_mm

    @property
    def bottom_mm(self) -> float:
        return self.y_mm + self.height_mm

    def corners(self) -> tuple[Point, Point, Point, Point]:
        return (
            (self.x_mm, self.y_mm),
            (self.right_mm, self.y_mm),
            (self.right_mm, self.bottom_mm),
            (self.x_mm, self.bottom_mm),
        )


@dataclass(frozen=True)
class Panel:
    """A face of the closed box that carries artwork: where it lies on the flat, and how its
    artwork is turned there (180° when it folds over so that upright text reads upright on the
    standing box)."""

    face: Face
    rect: Rect
    rotation: Literal[0, 180]


@dataclass(frozen=True)
class Flap:
    """A piece of board that folds inside or closes the box: glue flap, closure, tuck, dust flap."""

    name: str
    kind: FlapKind
    outline: tuple[Point, ...]  # closed polygon, clockwise on the print side


@dataclass(frozen=True)
class Segment:
    start: Point
    end: Point

    @property
    def length_mm(self) -> float:
        return math.dist(self.start, self.end)


@dataclass(frozen=True)
class Dieline:
    """One carton's flat blank: artwork panels, flaps, and the lines the die cuts and creases."""

    package: Package
    panels: tuple[Panel, ...]
    flaps: tuple[Flap, ...]
    cuts: tuple[Segment, ...]
    creases: tuple[Segment, ...]
    glue_areas: tuple[Rect, ...]  # where glue goes on the print side of the blank: no ink
    width_mm: float
    height_mm: float

    def panel(self, face: Face) -> Panel:
        for panel in self.panels:
            if panel.face == face:
                return panel
        raise KeyError(face)

    @property
    def cut_length_mm(self) -> float:
        return sum(segment.length_mm for segment in self.cuts)

    @property
    def crease_length_mm(self) -> float:
        return sum(segment.length_mm for segment in self.creases)


@dataclass(frozen=True)
class Allowances:
    """Board-thickness allowances: each wall panel is one caliper longer than the inside
    dimension it spans (half a caliper at each of its two folds), the walls one caliper taller
    at each end so the closures lie over them, and each closure one caliper deeper than the
    opening it covers."""

    length_mm: float
    width_mm: float
    depth_mm: float
    closure_mm: float
    tuck_mm: float
    glue_mm: float


def allowances(package: Package) -> Allowances:
    board = package.board_mm
    width = package.width_mm + board
    return Allowances(
        length_mm=package.length_mm + board,
        width_mm=width,
        depth_mm=package.depth_mm + 2 * board,
        closure_mm=width,
        tuck_mm=min(max(0.3 * package.width_mm, 10.0), 20.0),
        glue_mm=min(GLUE_FLAP_MM, package.width_mm * 0.4),
    )


def build_dieline(package: Package) -> Dieline:
    """The flat blank of `package`; its style picks the structure."""
    builder = STYLES.get(package.style)
    if builder is None:
        raise PackageError("package.style", f"'{package.style}' is not a carton style")
    return builder(package, allowances(package))


# --- the pieces every tube-shaped carton shares -------------------------------------------


@dataclass(frozen=True)
class _Tube:
    """The four walls side by side: glue flap | left | front | right | back."""

    glue: Flap
    left: Rect
    front: Rect
    right: Rect
    back: Rect


def _tube(size: Allowances, top_y_mm: float) -> _Tube:
    glue_x = 0.0
    left = Rect(glue_x + size.glue_mm, top_y_mm, size.width_mm, size.depth_mm)
    front = Rect(left.right_mm, top_y_mm, size.length_mm, size.depth_mm)
    right = Rect(front.right_mm, top_y_mm, size.width_mm, size.depth_mm)
    back = Rect(right.right_mm, top_y_mm, size.length_mm, size.depth_mm)
    glue = Flap(
        "glue",
        "glue",
        (
            (left.x_mm, top_y_mm),
            (left.x_mm, left.bottom_mm),
            (glue_x, left.bottom_mm - GLUE_TAPER_MM),
            (glue_x, top_y_mm + GLUE_TAPER_MM),
        ),
    )
    return _Tube(glue, left, front, right, back)


def _closure(wall: Rect, size: Allowances, up: bool, name: str) -> tuple[Flap, Flap]:
    """A closure panel hinged on `wall`'s top (or bottom) edge and its tuck flap beyond it."""
    sign = -1.0 if up else 1.0
    hinge_y = wall.y_mm if up else wall.bottom_mm
    far_y = hinge_y + sign * size.closure_mm
    tuck_y = far_y + sign * size.tuck_mm
    closure = Flap(
        f"{name}-closure",
        "closure",
        tuple(
            (
                (wall.x_mm, hinge_y),
                (wall.right_mm, hinge_y),
                (wall.right_mm, far_y),
                (wall.x_mm, far_y),
            )
        ),
    )
    left_x = wall.x_mm + TUCK_CLEARANCE_MM
    right_x = wall.right_mm - TUCK_CLEARANCE_MM
    # The tuck's free corners are rounded (here as a chamfer of a quarter of its depth) so it
    # slides into the tube without catching.
    round_mm = size.tuck_mm * 0.45
    tuck = Flap(
        f"{name}-tuck",
        "tuck",
        tuple(
            (
                (left_x, far_y),
                (right_x, far_y),
                (right_x, tuck_y - sign * round_mm),
                (right_x - round_mm, tuck_y),
                (left_x + round_mm, tuck_y),
                (left_x, tuck_y - sign * round_mm),
            )
        ),
    )
    return closure, tuck


def _dust_flap(wall: Rect, size: Allowances, up: bool, name: str) -> Flap:
    """A dust flap on a side wall, bevelled toward its tip. Folded in, it reaches across the
    front's length: the two of an end stop short of meeting (0.45 L each), and none is deeper
    than about half the side is wide."""
    sign = -1.0 if up else 1.0
    hinge_y = wall.y_mm if up else wall.bottom_mm
    depth = min(size.closure_mm * 0.55, size.length_mm * 0.45)
    tip_y = hinge_y + sign * depth
    bevel = min(depth * 0.6, wall.width_mm * 0.35)
    return Flap(
        name,
        "dust",
        tuple(
            (
                (wall.x_mm + DUST_RELIEF_MM, hinge_y),
                (wall.right_mm - DUST_RELIEF_MM, hinge_y),
                (wall.right_mm - DUST_RELIEF_MM, hinge_y + sign * depth * 0.35),
                (wall.right_mm - DUST_RELIEF_MM - bevel * 0.3, tip_y),
                (wall.x_mm + DUST_RELIEF_MM + bevel, tip_y),
                (wall.x_mm + DUST_RELIEF_MM, hinge_y + sign * depth * 0.2),
            )
        ),
    )


def _lock_slits(wall: Rect, size: Allowances, up: bool) -> list[Segment]:
    """Slit locks: a short cut along each end of the tuck's crease that the dust flaps' shoulders
    catch, so a closed tuck stays shut."""
    sign = -1.0 if up else 1.0
    far_y = (wall.y_mm if up else wall.bottom_mm) + sign * size.closure_mm
    left_x = wall.x_mm + TUCK_CLEARANCE_MM
    right_x = wall.right_mm - TUCK_CLEARANCE_MM
    return [
        Segment((left_x, far_y), (left_x + LOCK_SLIT_MM, far_y)),
        Segment((right_x - LOCK_SLIT_MM, far_y), (right_x, far_y)),
    ]


def _tuck_end(package: Package, size: Allowances, reverse: bool) -> Dieline:
    top_y = size.tuck_mm + size.closure_mm
    tube = _tube(size, top_y)
    top_closure, top_tuck = _closure(tube.back, size, True, "top")
    bottom_wall = tube.front if reverse else tube.back
    bottom_closure, bottom_tuck = _closure(bottom_wall, size, False, "bottom")
    flaps = [
        tube.glue,
        top_closure,
        top_tuck,
        bottom_closure,
        bottom_tuck,
        _dust_flap(tube.left, size, True, "left-top-dust"),
        _dust_flap(tube.right, size, True, "right-top-dust"),
        _dust_flap(tube.left, size, False, "left-bottom-dust"),
        _dust_flap(tube.right, size, False, "right-bottom-dust"),
    ]
    locks = _lock_slits(tube.back, size, True) + _lock_slits(bottom_wall, size, False)
    top_panel = _closure_rect(top_closure)
    bottom_panel = _closure_rect(bottom_closure)
    # Hinged on the back, the top's far edge comes to the front: its artwork is turned 180°
    # on the flat. The bottom hinged on the front folds the same way round; on the back, not.
    panels = (
        *_walls(tube),
        Panel("top", top_panel, 180),
        Panel("bottom", bottom_panel, 180 if reverse else 0),
    )
    return _assemble(package, panels, flaps, locks, diagonal_creases=[], glue=_glue_rects(tube))


def _reverse_tuck_end(package: Package, size: Allowances) -> Dieline:
    return _tuck_end(package, size, reverse=True)


def _straight_tuck_end(package: Package, size: Allowances) -> Dieline:
    return _tuck_end(package, size, reverse=False)


def _crash_lock(package: Package, size: Allowances) -> Dieline:
    """Auto (crash-lock) bottom with a tuck top: the bottom flaps are glued on the gluer, so the
    carton pops open with its bottom locked."""
    top_y = size.tuck_mm + size.closure_mm
    tube = _tube(size, top_y)
    top_closure, top_tuck = _closure(tube.back, size, True, "top")
    flaps = [
        tube.glue,
        top_closure,
        top_tuck,
        _dust_flap(tube.left, size, True, "left-top-dust"),
        _dust_flap(tube.right, size, True, "right-top-dust"),
    ]
    creases: list[Segment] = []
    glue: list[Rect] = _glue_rects(tube)
    hook_mm = size.width_mm * 0.75  # the long flaps reach past the middle and hook together
    half_mm = size.width_mm * 0.5
    for name, wall, long in (
        ("left", tube.left, False),
        ("front", tube.front, True),
        ("right", tube.right, False),
        ("back", tube.back, True),
    ):
        bottom = wall.bottom_mm
        outline: tuple[Point, ...]
        if long:
            notch = wall.width_mm * 0.25
            outline = (
                (wall.x_mm, bottom),
                (wall.right_mm, bottom),
                (wall.right_mm, bottom + half_mm),
                (wall.x_mm + notch * 3, bottom + half_mm),
                (wall.x_mm + notch * 2, bottom + hook_mm),
                (wall.x_mm + notch * 0.2, bottom + hook_mm),
                (wall.x_mm, bottom + half_mm * 0.6),
            )
            flaps.append(Flap(f"{name}-lock", "lock", tuple(outline)))
        else:
            # The side's flap carries a 45° crease and a glue area: glued to its neighbour's
            # flap on the gluer, it is what makes the bottom fall into place.
            outline = (
                (wall.x_mm, bottom),
                (wall.right_mm, bottom),
                (wall.right_mm, bottom + half_mm),
                (wall.x_mm + wall.width_mm * 0.15, bottom + half_mm),
                (wall.x_mm, bottom + half_mm * 0.7),
            )
            flaps.append(Flap(f"{name}-lock", "lock", tuple(outline)))
            corner = min(half_mm, wall.width_mm)
            creases.append(Segment((wall.x_mm, bottom), (wall.x_mm + corner, bottom + corner)))
            glue.append(
                Rect(
                    wall.x_mm + wall.width_mm * 0.55, bottom + 1.5, wall.width_mm * 0.4, half_mm - 3
                )
            )
    locks = _lock_slits(tube.back, size, True)
    panels = (*_walls(tube), Panel("top", _closure_rect(top_closure), 180))
    return _assemble(package, panels, flaps, locks, diagonal_creases=creases, glue=glue)


def _sleeve(package: Package, size: Allowances) -> Dieline:
    """A sleeve (slipcase) open at both ends, wrapped over a tray: back | top | front | bottom
    stacked on the flat, the glue flap under the bottom; its open ends show the tray's sides."""
    width = package.length_mm + package.board_mm
    x = 0.0
    back = Rect(x, 0.0, width, size.depth_mm)
    top = Rect(x, back.bottom_mm, width, size.width_mm)
    front = Rect(x, top.bottom_mm, width, size.depth_mm)
    bottom = Rect(x, front.bottom_mm, width, size.width_mm)
    glue = Flap(
        "glue",
        "glue",
        (
            (x, bottom.bottom_mm),
            (x + width, bottom.bottom_mm),
            (x + width - GLUE_TAPER_MM, bottom.bottom_mm + size.glue_mm),
            (x + GLUE_TAPER_MM, bottom.bottom_mm + size.glue_mm),
        ),
    )
    # Folded over the top, the back's flat "up" points down on the box: turned 180°; so is the
    # bottom, read from below with the front toward the reader.
    panels = (
        Panel("back", back, 180),
        Panel("top", top, 0),
        Panel("front", front, 0),
        Panel("bottom", bottom, 180),
    )
    glue_area = Rect(x, bottom.bottom_mm, width, size.glue_mm)
    return _assemble(package, panels, [glue], [], diagonal_creases=[], glue=[glue_area])


STYLES: dict[CartonStyle, Callable[[Package, Allowances], Dieline]] = {
    "reverse-tuck-end": _reverse_tuck_end,
    "straight-tuck-end": _straight_tuck_end,
    "crash-lock": _crash_lock,
    "sleeve": _sleeve,
}


# --- assembling: cuts are the outline of the blank, creases the edges two pieces share -------


def _walls(tube: _Tube) -> tuple[Panel, ...]:
    return (
        Panel("left", tube.left, 0),
        Panel("front", tube.front, 0),
        Panel("right", tube.right, 0),
        Panel("back", tube.back, 0),
    )


def _glue_rects(tube: _Tube) -> list[Rect]:
    """The glue goes on the glue flap's print side, which is stuck inside the back."""
    xs = [point[0] for point in tube.glue.outline]
    ys = [point[1] for point in tube.glue.outline]
    return [Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))]


def _closure_rect(closure: Flap) -> Rect:
    xs = [point[0] for point in closure.outline]
    ys = [point[1] for point in closure.outline]
    return Rect(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def _assemble(
    package: Package,
    panels: tuple[Panel, ...],
    flaps: list[Flap],
    locks: list[Segment],
    *,
    diagonal_creases: list[Segment],
    glue: list[Rect],
) -> Dieline:
    # Closures are panels too when they carry artwork; each piece's outline is counted once.
    closure_rects = {panel.rect for panel in panels}
    outlines: list[tuple[Point, ...]] = [panel.rect.corners() for panel in panels]
    outlines += [
        flap.outline
        for flap in flaps
        if not (flap.kind == "closure" and _closure_rect(flap) in closure_rects)
    ]
    edges = [edge for outline in outlines for edge in _edges(outline)]
    cuts: list[Segment] = []
    creases: list[Segment] = []
    for index, edge in enumerate(edges):
        others = [other for position, other in enumerate(edges) if position != index]
        shared = _shared_parts(edge, others)
        cuts.extend(_subtract(edge, shared))
        # A shared stretch is met from both of its pieces: keep it once.
        creases.extend(part for part in shared if _first_owner(part, edges, index))
    # A slit lock is cut through the crease it lies on.
    creases = [piece for crease in creases for piece in _subtract(crease, locks)]
    cuts.extend(locks)
    creases.extend(diagonal_creases)
    points = [point for outline in outlines for point in outline]
    min_x = min(point[0] for point in points)
    min_y = min(point[1] for point in points)
    max_x = max(point[0] for point in points)
    max_y = max(point[1] for point in points)
    dieline = Dieline(
        package=package,
        panels=panels,
        flaps=tuple(flaps),
        cuts=tuple(_merge(cuts)),
        creases=tuple(_merge(creases)),
        glue_areas=tuple(glue),
        width_mm=max_x - min_x,
        height_mm=max_y - min_y,
    )
    return _shifted(dieline, -min_x, -min_y)


def _edges(outline: tuple[Point, ...]) -> list[Segment]:
    return [
        Segment(outline[index], outline[(index + 1) % len(outline)])
        for index in range(len(outline))
        if math.dist(outline[index], outline[(index + 1) % len(outline)]) > EPSILON_MM
    ]


def _axis(segment: Segment) -> tuple[str, float, float, float] | None:
    """An axis-aligned segment as (axis, constant coordinate, low, high); None if slanted."""
    (x0, y0), (x1, y1) = segment.start, segment.end
    if abs(y0 - y1) < EPSILON_MM:
        return "h", y0, min(x0, x1), max(x0, x1)
    if abs(x0 - x1) < EPSILON_MM:
        return "v", x0, min(y0, y1), max(y0, y1)
    return None


def _from_axis(axis: str, constant: float, low: float, high: float) -> Segment:
    if axis == "h":
        return Segment((low, constant), (high, constant))
    return Segment((constant, low), (constant, high))


def _shared_parts(edge: Segment, others: list[Segment]) -> list[Segment]:
    mine = _axis(edge)
    if mine is None:
        return []
    axis, constant, low, high = mine
    parts = []
    for other in others:
        theirs = _axis(other)
        if theirs is None or theirs[0] != axis or abs(theirs[1] - constant) > EPSILON_MM:
            continue
        start, end = max(low, theirs[2]), min(high, theirs[3])
        if end - start > EPSILON_MM:
            parts.append(_from_axis(axis, constant, start, end))
    return parts


def _subtract(edge: Segment, removed: list[Segment]) -> list[Segment]:
    mine = _axis(edge)
    if mine is None:
        return [edge]
    axis, constant, low, high = mine
    pieces = [(low, high)]
    for segment in removed:
        theirs = _axis(segment)
        if theirs is None or theirs[0] != axis or abs(theirs[1] - constant) > EPSILON_MM:
            continue
        kept = []
        for start, end in pieces:
            if theirs[3] <= start or theirs[2] >= end:
                kept.append((start, end))
                continue
            if theirs[2] - start > EPSILON_MM:
                kept.append((start, theirs[2]))
            if end - theirs[3] > EPSILON_MM:
                kept.append((theirs[3], end))
        pieces = kept
    return [_from_axis(axis, constant, start, end) for start, end in pieces]


def _first_owner(part: Segment, edges: list[Segment], index: int) -> bool:
    """Whether edge `index` is the first edge holding `part` (so a crease is listed once)."""
    return all(_subtract(part, [edges[position]]) != [] for position in range(index))


def _merge(segments: list[Segment]) -> list[Segment]:
    """Collinear touching axis-aligned pieces joined, duplicates dropped, in a stable order."""
    lines: dict[tuple[str, float], list[tuple[float, float]]] = {}
    slanted: list[Segment] = []
    for segment in segments:
        axis = _axis(segment)
        if axis is None:
            slanted.append(segment)
            continue
        lines.setdefault((axis[0], round(axis[1], 6)), []).append((axis[2], axis[3]))
    merged: list[Segment] = []
    for (direction, constant), spans in sorted(lines.items()):
        spans.sort()
        current_low, current_high = spans[0]
        for low, high in spans[1:]:
            if low <= current_high + EPSILON_MM:
                current_high = max(current_high, high)
            else:
                merged.append(_from_axis(direction, constant, current_low, current_high))
                current_low, current_high = low, high
        merged.append(_from_axis(direction, constant, current_low, current_high))
    unique_slanted = list(dict.fromkeys(slanted))
    return merged + unique_slanted


def _shifted(dieline: Dieline, dx: float, dy: float) -> Dieline:
    def point(p: Point) -> Point:
        return (p[0] + dx, p[1] + dy)

    def rect(r: Rect) -> Rect:
        return Rect(r.x_mm + dx, r.y_mm + dy, r.width_mm, r.height_mm)

    def segment(s: Segment) -> Segment:
        return Segment(point(s.start), point(s.end))

    return Dieline(
        package=dieline.package,
        panels=tuple(Panel(p.face, rect(p.rect), p.rotation) for p in dieline.panels),
        flaps=tuple(
            Flap(f.name, f.kind, tuple(point(p) for p in f.outline)) for f in dieline.flaps
        ),
        cuts=tuple(segment(s) for s in dieline.cuts),
        creases=tuple(segment(s) for s in dieline.creases),
        glue_areas=tuple(rect(r) for r in dieline.glue_areas),
        width_mm=dieline.width_mm,
        height_mm=dieline.height_mm,
    )
