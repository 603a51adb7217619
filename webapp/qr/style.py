"""What a style may say, and the defaults a plain code gets.

The style is stored as JSON on the code; `parse_style` is the one gate every
style passes (API, editor, bulk job), so a stored style always renders.
"""
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

MODULE_SHAPES = ("square", "dots", "rounded", "extra-rounded", "classy")
FINDER_SHAPES = ("square", "rounded", "circle")
ERROR_LEVELS = ("L", "M", "Q", "H")
MAX_LOGO_SIZE = 0.25
# ISO/IEC 18004 asks for 4 modules of blank margin (our default); 2 still leaves every
# decoder we test a clean edge to find the finder patterns by, and tight layouts need it.
# Below 2 the code scans on some sizes and not on others, so it is refused.
MIN_QUIET_ZONE = 2
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def normalise_colour(value):
    """`#abc` or `#aabbcc` (any case) → `#aabbcc`; anything else is refused."""
    if not isinstance(value, str) or not _COLOUR.match(value.strip()):
        raise ValueError("use a colour like #1a2b3c")
    value = value.strip().lower()
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value


def rgb(colour):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Gradient(_Strict):
    type: Literal["linear", "radial"] = "linear"
    start: str = "#000000"
    end: str = "#1d6fdc"
    rotation: int = Field(0, ge=0, le=359, description="degrees, linear only; 0 runs left to right")

    _colours = field_validator("start", "end")(lambda cls, v: normalise_colour(v))


class Frame(_Strict):
    text: str = Field("Scan me", min_length=1, max_length=30)
    color: str = "#000000"
    text_color: str = "#ffffff"

    _colours = field_validator("color", "text_color")(lambda cls, v: normalise_colour(v))

    @field_validator("text")
    @classmethod
    def printable_text(cls, value):
        value = " ".join(value.split())
        if not value:
            raise ValueError("write a few words, e.g. Scan me")
        return value


class Style(_Strict):
    dark: str = "#000000"
    light: str = "#ffffff"
    transparent: bool = False
    finder_color: str | None = None
    finder_dot_color: str | None = None
    alignment_color: str | None = None
    module_shape: Literal[MODULE_SHAPES] = "square"
    finder_shape: Literal[FINDER_SHAPES] = "square"
    gradient: Gradient | None = None
    error_correction: Literal[ERROR_LEVELS] = "M"
    quiet_zone: int = Field(4, le=16)
    logo: str | None = Field(None, max_length=26)
    logo_size: float = Field(0.2, gt=0)
    frame: Frame | None = None

    @field_validator("dark", "light")
    @classmethod
    def colour(cls, value):
        return normalise_colour(value)

    @field_validator("finder_color", "finder_dot_color", "alignment_color")
    @classmethod
    def optional_colour(cls, value):
        return None if value in (None, "") else normalise_colour(value)

    @field_validator("quiet_zone")
    @classmethod
    def wide_enough_margin(cls, value):
        if value < MIN_QUIET_ZONE:
            raise ValueError(f"a quiet zone (the blank margin scanners find the code by) needs at least "
                             f"{MIN_QUIET_ZONE} modules; 4 is the standard")
        return value

    @field_validator("logo_size")
    @classmethod
    def logo_fits(cls, value):
        if value > MAX_LOGO_SIZE:
            raise ValueError(f"a logo may cover at most {int(MAX_LOGO_SIZE * 100)}% of the code's "
                             f"width, or phones stop reading the code; make it smaller")
        return value

    @field_validator("logo")
    @classmethod
    def blank_logo(cls, value):
        return value or None

    @model_validator(mode="after")
    def logo_takes_level_h(self):
        """A logo hides modules: only level H has the redundancy to spare, and the stored
        style says so, so what the API shows is what is drawn."""
        if self.logo and self.error_correction != "H":
            self.error_correction = "H"
        return self

    # What the drawing uses, with the "same as" defaults resolved.
    @property
    def finder(self):
        return self.finder_color or self.dark

    @property
    def finder_dot(self):
        return self.finder_dot_color or self.finder

    @property
    def alignment(self):
        return self.alignment_color or self.dark

    def is_plain(self):
        return (self.module_shape == "square" and self.finder_shape == "square"
                and self.gradient is None and self.frame is None and not self.logo)

    def to_json(self):
        return self.model_dump(mode="json")


class StyleInvalid(ValueError):
    def __init__(self, fields):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


def stored_style(data):
    """The Style of a code saved before today's rules (e.g. a quiet zone under the minimum),
    brought up to them, so an old code renders, and renders in a way that scans."""
    data = dict(data or {})
    if isinstance(data.get("quiet_zone"), int) and data["quiet_zone"] < MIN_QUIET_ZONE:
        data["quiet_zone"] = MIN_QUIET_ZONE
    return parse_style(data)


def parse_style(data):
    """A dict (or None) → Style, or StyleInvalid with a message per field."""
    if isinstance(data, Style):
        return data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise StyleInvalid({"style": "send the style as an object"})
    try:
        return Style.model_validate(data)
    except ValidationError as exc:
        fields = {}
        for error in exc.errors():
            key = "style." + ".".join(str(p) for p in error["loc"]) if error["loc"] else "style"
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "is not a style setting"
            fields.setdefault(key, message)
        raise StyleInvalid(fields) from None
