"""Is every dark part of the code dark enough against its background, for eyes and for cameras?

Three numbers, all needed:

- the WCAG contrast ratio of relative luminance (Rec. 709 weights on linear
  light), at least MIN_RATIO: how much lighter the background is, relatively;
- the difference of relative luminance, at least MIN_DIFFERENCE: ISO/IEC 15415's
  "symbol contrast", where grade C (40%) is the least GS1 accepts for printed 2D
  codes. A ratio alone passes black on mid grey (5:1 but 22% apart, which fades
  in dim light); a difference alone passes light grey on white;
- the difference of camera luma, at least MIN_DIFFERENCE too: phone cameras hand
  decoders Y' = 0.299 R' + 0.587 G' + 0.114 B' of gamma-encoded colour (BT.601;
  zxing and Pillow's greyscale use the same weights), which sees saturated
  colours differently from the eye: cyan, green and yellow backgrounds are much
  darker to a camera than their luminance says. For greys on white, 3:1 and 40%
  of luma are the same line.
"""
from webapp.qr.style import rgb

MIN_RATIO = 3.0
MIN_DIFFERENCE = 0.40
PAPER = "#ffffff"  # what a transparent background is judged against


def _linear(c):
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour):
    r, g, b = (_linear(c / 255) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def camera_luma(colour):
    r, g, b = (c / 255 for c in rgb(colour))
    return 0.299 * r + 0.587 * g + 0.114 * b


def measures(dark, light):
    """(WCAG ratio, luminance difference, camera luma difference) of dark against light."""
    ld, ll = luminance(dark), luminance(light)
    return (ll + 0.05) / (ld + 0.05), ll - ld, camera_luma(light) - camera_luma(dark)


def dark_colours(style):
    """{style field: colour} of every dark colour drawn, each under the field that sets it
    (empty finder and alignment colours take the modules' colour; finders never take the
    gradient, so with a gradient `dark` still paints them)."""
    colours = {}
    if style.gradient:
        colours["gradient.start"] = style.gradient.start
        colours["gradient.end"] = style.gradient.end
    if not style.gradient or not (style.finder_color and style.finder_dot_color):
        colours["dark"] = style.dark
    for name in ("finder_color", "finder_dot_color", "alignment_color"):
        if getattr(style, name):
            colours[name] = getattr(style, name)
    return colours


def check_contrast(style):
    """[(style field, message)] for each colour the background does not set off well enough."""
    background = PAPER if style.transparent else style.light
    where = ("white paper (the background is transparent)" if style.transparent
             else f"the background {background}")
    reasons = []
    for name, colour in dark_colours(style).items():
        ratio, difference, camera = measures(colour, background)
        if ratio <= 1 or camera <= 0:
            reasons.append((f"style.{name}", f"The modules ({colour}) are not darker than {where}; "
                            "most phone cameras cannot read a light-on-dark code. Use a dark colour "
                            "for the modules and a light one for the background."))
        elif ratio < MIN_RATIO or min(difference, camera) < MIN_DIFFERENCE:
            reasons.append((f"style.{name}", f"The colour {colour} is too close to {where} "
                            f"(contrast {ratio:.1f}:1, {difference:.0%} apart in lightness and "
                            f"{camera:.0%} to a phone camera; a code needs {MIN_RATIO:.0f}:1 and "
                            f"{MIN_DIFFERENCE:.0%} on both). Use a darker colour for the modules or "
                            "a lighter background."))
    return reasons
