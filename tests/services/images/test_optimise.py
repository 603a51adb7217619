"""The Pillow pipeline on its own: colour modes, alpha, profiles, sizes and encoder choices."""
import io

import pytest
from PIL import Image, ImageChops, ImageCms, ImageDraw

from tests.support import images as samples
from webapp.services.images.optimise import Options, encode, optimise

LIMIT = 50_000_000


def run(img_or_bytes, fmt="webp", **options):
    data = img_or_bytes if isinstance(img_or_bytes, bytes) else samples.encode(img_or_bytes)
    result = optimise(data, Options(format=fmt, **options), max_pixels=LIMIT)
    out = Image.open(io.BytesIO(result.data))
    out.load()
    return result, out


def half_transparent_red(size=(64, 32)):
    img = Image.new("RGBA", size, (200, 0, 0, 255))
    ImageDraw.Draw(img).rectangle((size[0] // 2, 0, size[0], size[1]), fill=(0, 0, 0, 0))
    return img


@pytest.mark.parametrize("fmt", ["webp", "avif", "png"])
def test_alpha_is_kept_where_the_format_has_it(fmt):
    _, out = run(half_transparent_red(), fmt)
    assert out.mode in ("RGBA", "P", "LA")
    rgba = out.convert("RGBA")
    assert rgba.getpixel((60, 16))[3] == 0
    assert rgba.getpixel((4, 16))[3] == 255


def test_jpeg_flattens_transparency_on_white():
    _, out = run(half_transparent_red(), "jpeg")
    assert out.mode == "RGB"
    assert all(channel > 245 for channel in out.getpixel((60, 16)))
    red = out.getpixel((4, 16))
    assert red[0] > 180 and red[1] < 40


def test_palette_with_a_transparent_index_keeps_its_transparency():
    img = Image.new("P", (32, 32), 0)
    img.putpalette([255, 255, 255, 0, 90, 200] + [0] * 762)
    ImageDraw.Draw(img).ellipse((4, 4, 28, 28), fill=1)
    img.info["transparency"] = 0
    _, out = run(samples.encode(img, "PNG", transparency=0), "png")
    rgba = out.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0
    assert rgba.getpixel((16, 16)) == (0, 90, 200, 255)


def test_cmyk_jpeg_comes_out_as_rgb_with_the_right_colour():
    cmyk = Image.new("CMYK", (40, 40), (0, 255, 255, 0))  # full magenta + yellow = red
    _, out = run(samples.encode(cmyk, "JPEG", quality=95), "jpeg")
    assert out.mode == "RGB"
    r, g, b = out.getpixel((20, 20))
    assert r > 230 and g < 30 and b < 30


def test_sixteen_bit_grey_is_scaled_not_clipped_to_white():
    img = Image.new("I;16", (16, 16), 32768)  # mid grey in 16 bits
    _, out = run(samples.encode(img, "PNG"), "png")
    assert out.mode == "L"
    assert 120 <= out.getpixel((8, 8)) <= 136


def test_grey_with_alpha_keeps_both():
    img = Image.new("LA", (16, 16), (100, 255))
    img.putpixel((0, 0), (100, 0))
    _, out = run(samples.encode(img, "PNG"), "png")
    rgba = out.convert("RGBA")
    assert rgba.getpixel((0, 0))[3] == 0
    assert rgba.getpixel((8, 8)) == (100, 100, 100, 255)


def test_adobe_rgb_photo_is_converted_to_srgb_and_the_profile_dropped():
    data = samples.photo_bytes("rocket.jpg")  # carries an Adobe RGB (1998) profile
    with Image.open(io.BytesIO(data)) as source:
        assert b"Adobe RGB" in source.info["icc_profile"]
        profile = ImageCms.ImageCmsProfile(io.BytesIO(source.info["icc_profile"]))
        raw = source.convert("RGB")
    srgb = ImageCms.profileToProfile(raw, profile, ImageCms.createProfile("sRGB"),
                                     renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
                                     flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    _, out = run(data, "png")
    assert "icc_profile" not in out.info
    assert ImageChops.difference(out, srgb).getbbox() is None  # exactly the sRGB conversion
    assert ImageChops.difference(out, raw).getbbox() is not None  # which is not a no-op


def test_never_upscales_and_keeps_the_aspect_ratio():
    small = Image.new("RGB", (120, 45), "navy")
    result, _ = run(small, "webp", max_width=2048, max_height=2048)
    assert (result.width, result.height) == (120, 45)
    result, _ = run(samples.photo("coffee.png"), "webp", max_width=300, max_height=300)
    assert (result.width, result.height) == (300, 200)


def test_only_the_first_frame_of_an_animation_is_kept():
    result, out = run(samples.long_animation(5), "webp")
    assert not getattr(out, "is_animated", False)
    assert (result.width, result.height) == (8, 8)


def test_progressive_jpeg_for_photographs():
    _, out = run(samples.photo("astronaut.png"), "jpeg")
    assert out.info.get("progressive") or out.info.get("progression")


def test_flat_logo_takes_the_smaller_lossless_webp():
    logo = Image.new("RGB", (512, 512), "white")
    draw = ImageDraw.Draw(logo)
    draw.rectangle((64, 64, 448, 448), fill=(29, 111, 220))
    draw.ellipse((160, 160, 352, 352), fill="white")
    lossy = encode(logo, "webp", dict(quality=85, method=6))
    result, out = run(logo, "webp")
    assert len(result.data) < len(lossy)
    assert ImageChops.difference(out.convert("RGB"), logo).getbbox() is None  # lossless


def test_few_colour_png_becomes_an_exact_palette():
    logo = half_transparent_red((200, 100))
    ImageDraw.Draw(logo).rectangle((10, 10, 60, 60), fill=(0, 128, 0, 255))
    truecolour = encode(logo, "png", dict(optimize=True))
    result, out = run(logo, "png")
    assert out.mode == "P" and len(result.data) < len(truecolour)
    assert ImageChops.difference(out.convert("RGBA"), logo).getbbox() is None


def test_photograph_webp_is_far_smaller_than_the_png_source():
    data = samples.photo_bytes("astronaut.png")
    result, _ = run(data, "webp", quality=85)
    assert len(result.data) < 0.3 * len(data)
