"""Templates: a template id or folder → its validated manifest (size, bleed, safe zone, slots) and drawing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from labelgen.errors import TemplateError
from labelgen.resources import bundled_dir

ModelT = TypeVar("ModelT", bound=BaseModel)

MANIFEST_NAME = "template.yaml"
MIN_TEXT_SIZE_PT = 6.0  # print norm (REGULATIONS §7): no text under 6 pt
# Text reversed out of ink (as light as the paper): thinner strokes fill in as the ink spreads.
MIN_REVERSED_TEXT_SIZE_PT = 7.0
MIN_REVERSED_LINE_MM = 0.2  # and lines

TextItem = Literal[
    "brand",
    "product_name",
    "product_name_en",
    "net_quantity",
    "function",
    "ingredients",
    "usage",
    "storage",
    "warnings",
    "alcohol_warning",
    "supplement_notice",
    "dates",
    "batch",
    "ethanol",
    "producer",
    "origin",
    "certification",
    "trace_hint",
    "serial",
    "elsewhere",
]
GRAPHIC_SLOTS = ("badge", "qr", "barcode", "logo")
PanelRole = Literal["front", "back", "single"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Box(_Model):
    """A rectangle in mm from the trim's top-left corner."""

    x_mm: float
    y_mm: float
    width_mm: float = Field(gt=0)
    height_mm: float = Field(gt=0)

    @property
    def right_mm(self) -> float:
        return self.x_mm + self.width_mm

    @property
    def bottom_mm(self) -> float:
        return self.y_mm + self.height_mm

    def overlaps(self, other: Box) -> bool:
        """Whether the two rectangles share some area (touching edges do not count)."""
        return (
            self.x_mm < other.right_mm
            and other.x_mm < self.right_mm
            and self.y_mm < other.bottom_mm
            and other.y_mm < self.bottom_mm
        )

    def scaled(self, x_scale: float, y_scale: float) -> Box:
        return Box(
            x_mm=self.x_mm * x_scale,
            y_mm=self.y_mm * y_scale,
            width_mm=self.width_mm * x_scale,
            height_mm=self.height_mm * y_scale,
        )


class TextSlot(_Model):
    """Where a block of text goes and how it is set."""

    box: Box
    content: list[TextItem]
    max_size_pt: float = Field(gt=0)
    min_size_pt: float = MIN_TEXT_SIZE_PT
    weight: Literal[400, 700] = 400
    align: Literal["start", "middle", "end"] = "start"
    valign: Literal["top", "middle", "bottom"] = "top"
    max_lines: int | None = Field(default=None, gt=0)
    color: Literal["text", "primary", "accent", "background", "muted"] = "text"
    leading: float = Field(default=1.18, ge=1.0, le=2.0)
    balance: bool = False  # even out line lengths (headlines)
    # Placed under this slot's text as set, however tall that came out: the chain of followers
    # takes up the room a short name leaves and makes way for a tall net quantity.
    follows: str | None = None
    space_before_mm: float = Field(default=0.8, ge=0, le=20)  # under the slot it follows
    # Takes the set's mandatory text that no earlier panel printed, as much as fits; the rest
    # flows on to the next panel's flow slot.
    flow: bool = False
    # The colour the drawing puts behind the text; unset, text in the background colour is
    # taken to sit on the primary band and any other text on the background.
    backdrop: Literal["background", "primary", "accent"] | None = None

    @model_validator(mode="after")
    def _sizes_in_order(self) -> TextSlot:
        if self.min_size_pt < MIN_TEXT_SIZE_PT:
            raise ValueError(f"min_size_pt must be at least {MIN_TEXT_SIZE_PT} pt")
        if self.max_size_pt < self.min_size_pt:
            raise ValueError("max_size_pt must not be smaller than min_size_pt")
        return self


class GraphicSlot(_Model):
    """Where a badge, code or logo goes: it is fitted inside the box, anchored by `align`."""

    box: Box
    align: Literal["start", "middle", "end"] = "middle"
    valign: Literal["top", "middle", "bottom"] = "middle"


class Shape(_Model):
    kind: Literal["rect", "circle", "tag"] = "rect"
    corner_radius_mm: float = Field(default=0, ge=0)
    hole_diameter_mm: float | None = Field(default=None, gt=0)
    hole_center_mm: tuple[float, float] | None = None


class Description(_Model):
    vi: str
    en: str


class QuantityRange(_Model):
    """The pack sizes a template is made for, in g or ml: its net-quantity slot holds the legal
    figure height of every band in the range."""

    min: float = Field(gt=0)
    max: float = Field(gt=0)


class Manifest(_Model):
    id: str
    name: str
    description: Description
    width_mm: float = Field(gt=0)
    height_mm: float = Field(gt=0)
    bleed_mm: float = Field(default=3.0, ge=0, le=10)
    safe_mm: float = Field(default=3.0, ge=0)
    shape: Shape = Shape()
    drawing: str = "label.svg.j2"
    text_slots: dict[str, TextSlot]
    graphic_slots: dict[str, GraphicSlot] = {}
    # front: brand, name, net quantity and badge; back: the mandatory text and the codes;
    # single: a label that carries everything by itself.
    role: PanelRole = "single"
    sides: list[str] = []  # the other bundled panels printed with this one (a tag's back)
    side_of: str | None = None  # this panel is a side of that template, not listed alone
    quantity_range: QuantityRange | None = None

    @model_validator(mode="after")
    def _followed_slots_exist(self) -> Manifest:
        for name, slot in self.text_slots.items():
            if slot.follows is not None and slot.follows not in self.text_slots:
                raise ValueError(f"text slot {name} follows unknown slot {slot.follows}")
        return self

    @model_validator(mode="after")
    def _known_graphics(self) -> Manifest:
        unknown = set(self.graphic_slots) - set(GRAPHIC_SLOTS)
        if unknown:
            raise ValueError(f"unknown graphic slots {sorted(unknown)}; known: {GRAPHIC_SLOTS}")
        return self


@dataclass(frozen=True)
class Template:
    """A manifest with the folder it came from and the text of its Jinja2 drawing."""

    manifest: Manifest
    folder: Path
    drawing_source: str
    bundled: bool


def bundled_template_ids() -> list[str]:
    """Ids of the templates shipped with labelgen, sorted, sides of two-sided ones included."""
    root = bundled_dir("templates")
    return sorted(path.parent.name for path in root.glob(f"*/{MANIFEST_NAME}"))


def listed_template_ids() -> list[str]:
    """Ids of the bundled templates a producer picks from: the sides of a two-sided template
    come with it and are not listed on their own."""
    return [
        template_id
        for template_id in bundled_template_ids()
        if load_template(template_id).manifest.side_of is None
    ]


def load_panels(references: Sequence[str], spec_dir: Path | None = None) -> list[Template]:
    """The panels of a label set, in order: each template named, followed by its own sides
    (a hang tag's back) unless the set names them itself."""
    named = [load_template(reference, spec_dir) for reference in references]
    named_ids = {template.manifest.id for template in named}
    panels: list[Template] = []
    for template in named:
        if template in panels:
            continue
        panels.append(template)
        for side in template.manifest.sides:
            if side not in named_ids:
                panels.append(load_template(side))
    return panels


def load_template(reference: str, spec_dir: Path | None = None) -> Template:
    """The template a spec's `template:` names: a bundled id, or a folder path (relative to the spec)."""
    if reference in bundled_template_ids():
        return _load_folder(bundled_dir("templates") / reference, bundled=True)
    candidate = Path(reference)
    if not candidate.is_absolute() and spec_dir is not None:
        candidate = spec_dir / candidate
    if not (candidate / MANIFEST_NAME).is_file():
        known = ", ".join(bundled_template_ids())
        raise TemplateError(
            f"template: '{reference}' is neither a bundled template ({known}) "
            f"nor a folder holding {MANIFEST_NAME}"
        )
    return _load_folder(candidate.resolve(), bundled=False)


def read_manifest(folder: Path, file_name: str, model: type[ModelT]) -> ModelT:
    """A template folder's YAML manifest `file_name`, validated as `model`; TemplateError naming
    the folder, the file and each field's problem."""
    try:
        # libyaml's safe loader when PyYAML has it: the same documents, read several times faster.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load((folder / file_name).read_text(encoding="utf-8"), Loader=loader)
        return model.model_validate(document)
    except (OSError, yaml.YAMLError) as error:
        raise TemplateError(f"template {folder.name}: cannot read {file_name}: {error}") from None
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}"
            for item in error.errors()
        )
        raise TemplateError(f"template {folder.name}: invalid {file_name}: {problems}") from None


@cache
def _load_folder(folder: Path, bundled: bool) -> Template:
    manifest = read_manifest(folder, MANIFEST_NAME, Manifest)
    drawing_path = folder / manifest.drawing
    if drawing_path.parent != folder or not drawing_path.is_file():
        raise TemplateError(f"template {folder.name}: drawing '{manifest.drawing}' not found")
    return Template(manifest, folder, drawing_path.read_text(encoding="utf-8"), bundled)
