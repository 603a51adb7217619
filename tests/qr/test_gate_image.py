"""The gate's shortcut for plain codes hands the decoder the very pixels of the long way."""
import pytest
from PIL import ImageChops

from webapp.qr import build, parse_style
from webapp.qr.raster import render_image
from webapp.qr.scannability import gate_image, on_white


@pytest.mark.parametrize("style", [
    {}, {"transparent": True}, {"dark": "#1d3f8f", "light": "#fff8e7", "quiet_zone": 2},
    {"error_correction": "H", "quiet_zone": 2},
])
def test_plain_codes_take_the_shortcut_with_identical_pixels(style):
    drawing = build("https://shop.example.com/p/12345", parse_style(style))
    assert drawing.plain_matrix is not None
    fast, slow = gate_image(drawing, 6), on_white(render_image(drawing, 6))
    assert fast.mode == slow.mode == "L" and fast.size == slow.size
    assert ImageChops.difference(fast, slow).getbbox() is None


def test_styled_codes_take_the_long_way():
    drawing = build("https://shop.example.com/p/1", parse_style({"module_shape": "dots"}))
    assert drawing.plain_matrix is None
    assert ImageChops.difference(gate_image(drawing, 6),
                                 on_white(render_image(drawing, 6))).getbbox() is None
