"""The gate's shortcut for plain codes hands the decoder the very pixels the PNG serves."""
import io

import pytest
from PIL import Image, ImageChops

from webapp.qr import build, parse_style
from webapp.qr.raster import render_image, write_png
from webapp.qr.scannability import CHECK_SCALES, LARGE_SCALES, gate_image, on_white

PLAIN = [
    {}, {"transparent": True}, {"dark": "#1d3f8f", "light": "#fff8e7", "quiet_zone": 2},
    {"error_correction": "H", "quiet_zone": 2},
]


def served(drawing, scale):
    """The PNG download at `scale`, as a camera sees it on white paper."""
    return on_white(Image.open(io.BytesIO(write_png(drawing, scale))))


@pytest.mark.parametrize("style", PLAIN)
def test_plain_codes_take_the_shortcut_with_the_served_pixels(style):
    drawing = build("https://shop.example.com/p/12345", parse_style(style))
    assert drawing.plain_matrix is not None
    for scale in CHECK_SCALES + LARGE_SCALES:
        fast = gate_image(drawing, scale)
        for slow in (served(drawing, scale), on_white(render_image(drawing, scale))):
            assert fast.mode == slow.mode == "L" and fast.size == slow.size
            assert ImageChops.difference(fast, slow).getbbox() is None, scale


def test_the_shortcut_sees_each_drawing_apart():
    """The grey cells are kept per drawing: a second code is not judged by the first's pixels."""
    style = parse_style({})
    first, second = (build(f"https://shop.example.com/p/{n}", style) for n in (1, 2))
    gate_image(first, 4)
    assert ImageChops.difference(gate_image(second, 4), served(second, 4)).getbbox() is None
    assert ImageChops.difference(gate_image(first, 4), gate_image(second, 4)).getbbox() is not None


def test_styled_codes_take_the_long_way():
    drawing = build("https://shop.example.com/p/1", parse_style({"module_shape": "dots"}))
    assert drawing.plain_matrix is None
    assert ImageChops.difference(gate_image(drawing, 6),
                                 on_white(render_image(drawing, 6))).getbbox() is None
