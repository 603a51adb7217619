"""The drawing: SVG and PNG agree, every format is what it says, the gate judges fairly."""
import io
import re
import zlib

import pytest
from PIL import Image, ImageChops, ImageStat

from tests.support.qrcodes import decode_png, decode_svg, on_white, photo_path, rasterise_svg
from webapp.qr import parse_style, render, verdict
from webapp.qr.drawing import build

URL = "https://scan.example.com/s/abcdefgh"
STYLES = [
    {},
    {"module_shape": "dots", "finder_shape": "circle", "finder_color": "#c0392b"},
    {"module_shape": "rounded", "finder_shape": "rounded", "transparent": True},
    {"module_shape": "classy", "gradient": {"type": "linear", "start": "#000000", "end": "#1d3fdc",
                                            "rotation": 45}},
    {"module_shape": "extra-rounded", "gradient": {"type": "radial", "start": "#1d3fdc", "end": "#000000"},
     "frame": {"text": "Scan me"}},
]


@pytest.mark.parametrize("style", STYLES)
def test_png_and_svg_are_the_same_picture(style):
    parsed = parse_style(style)
    png = Image.open(io.BytesIO(render(URL, parsed, "png", scale=8)))
    svg = rasterise_svg(render(URL, parsed, "svg", scale=8))
    assert png.size == svg.size
    # Edges are anti-aliased by two different painters; the frame's text by two fonts.
    difference = ImageStat.Stat(ImageChops.difference(on_white(png), on_white(svg))).mean[0]
    assert difference < (3.0 if "frame" in style else 1.0)
    assert decode_png(render(URL, parsed, "png", scale=4)) == [URL]


def test_plain_png_is_exactly_the_svg():
    parsed = parse_style({"dark": "#112233", "light": "#fafafa"})
    png = Image.open(io.BytesIO(render(URL, parsed, "png", scale=5))).convert("RGB")
    svg = rasterise_svg(render(URL, parsed, "svg", scale=5)).convert("RGB")
    assert ImageChops.difference(png, svg).getbbox() is None
    assert png.getpixel((0, 0)) == (0xfa, 0xfa, 0xfa)


def test_transparent_background_stays_transparent():
    png = Image.open(io.BytesIO(render(URL, parse_style({"transparent": True}), "png", scale=3)))
    assert png.convert("RGBA").getpixel((0, 0))[3] == 0


def test_pdf_and_eps_plain_are_vector_and_styled_are_print_rasters():
    plain, styled = parse_style({}), parse_style({"module_shape": "dots"})
    assert render(URL, plain, "pdf").startswith(b"%PDF") and b"/Image" not in render(URL, plain, "pdf")
    assert render(URL, styled, "pdf").startswith(b"%PDF") and b"/Image" in render(URL, styled, "pdf")
    eps = render(URL, styled, "eps", scale=10)
    assert eps.startswith(b"%!PS-Adobe-3.0 EPSF-3.0") and b"%%BoundingBox: 0 0 370 370" in eps
    assert render(URL, plain, "eps").startswith(b"%!PS-Adobe-3.0 EPSF-3.0")


def test_border_override_changes_the_quiet_zone():
    small = Image.open(io.BytesIO(render(URL, parse_style({}), "png", scale=1, border=2)))
    large = Image.open(io.BytesIO(render(URL, parse_style({}), "png", scale=1)))
    assert large.width - small.width == 4


def test_light_on_light_is_refused_with_the_reason():
    result = verdict(URL, parse_style({"dark": "#cccccc", "light": "#ffffff"}))
    assert not result.ok and "too close to the background" in result.message
    inverted = verdict(URL, parse_style({"dark": "#ffffff", "light": "#111111"}))
    assert not inverted.ok and "not darker than" in inverted.message
    faint_finder = verdict(URL, parse_style({"finder_color": "#f0f0f0"}))
    assert not faint_finder.ok and faint_finder.reasons[0][0] == "style.finder_color"


def test_a_logo_that_hides_the_code_is_refused_with_the_reason():
    """Past the 25% rule (which validation enforces) the error-correction budget refuses it."""
    logo = Image.open(photo_path("astronaut.png"))
    style = parse_style({"logo": "x", "error_correction": "H"})
    assert verdict(URL, style, logo).ok
    huge = style.model_copy(update={"logo_size": 0.5})
    result = verdict(URL, huge, logo)
    assert not result.ok and "logo is too large" in result.message and "at most" in result.message


def test_a_narrow_quiet_zone_inside_a_dark_frame_still_decodes():
    style = parse_style({"quiet_zone": 2, "frame": {"color": "#000000"}})
    assert verdict(URL, style).ok
    assert decode_png(render(URL, style, "png", scale=3)) == [URL]


def test_logo_codes_decode_in_both_formats():
    logo = Image.open(photo_path("chelsea.png"))
    style = parse_style({"logo": "x", "logo_size": 0.25, "module_shape": "rounded"})
    assert decode_png(render(URL, style, "png", scale=6, logo=logo)) == [URL]
    assert decode_svg(render(URL, style, "svg", scale=6, logo=logo)) == [URL]


def test_a_styled_pdf_holds_losslessly_the_png_the_gate_decodes_at_16():
    style = parse_style({"module_shape": "dots", "transparent": True, "frame": {"text": "Scan me"}})
    pdf = render(URL, style, "pdf", scale=10)
    header = re.search(rb"/Width (\d+) /Height (\d+) .*?/FlateDecode /Length (\d+) >>\nstream\n", pdf)
    width, height, length = (int(v) for v in header.groups())
    stream = pdf[header.end():header.end() + length]
    pixels = Image.frombytes("RGB", (width, height), zlib.decompress(stream))
    png = on_white(Image.open(io.BytesIO(render(URL, style, "png", scale=16))))
    assert ImageChops.difference(pixels.convert("L"), png).getbbox() is None
    drawing = build(URL, style)  # the physical size is the chosen one: 10 points a module
    assert f"/MediaBox [0 0 {drawing.width * 10}.00 {drawing.height * 10}.00]".encode() in pdf
    assert (width, height) == (drawing.width * 16, drawing.height * 16)
    assert decode_png(render(URL, style, "png", scale=16)) == [URL]
