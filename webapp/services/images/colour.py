"""Bringing any decoded image to upright, metadata-free sRGB pixels.

Colour policy: pixels are converted to sRGB from whatever profile they carry
(Display P3 from phones, Adobe RGB from cameras, a CMYK press profile), and the
output carries no profile at all: browsers treat untagged images as sRGB, and a
profile is a few hundred to a few thousand bytes a logo does not need.
"""
import io
import logging

from PIL import Image, ImageCms

log = logging.getLogger(__name__)

ORIENTATION = 0x0112
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
# Orientations 5-8 store the picture on its side: width and height swap when shown.
SIDEWAYS = {5, 6, 7, 8}


def exif_orientation(img):
    """The EXIF orientation (1-8), or 1 when the tag is missing or unreadable."""
    try:
        value = img.getexif().get(ORIENTATION, 1)
    except Exception:  # malformed EXIF is common in the wild; the picture still shows
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright(img, orientation):
    if orientation == 1:
        return img
    method = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
              4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
              6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}[orientation]
    return img.transpose(method)


def _profile(img):
    data = img.info.get("icc_profile")
    if not data:
        return None
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(data))
        description = ImageCms.getProfileDescription(profile) or ""
    except Exception:  # a broken profile: treat the pixels as sRGB rather than refuse the image
        log.info("ignoring an unreadable ICC profile")
        return None
    return None if "srgb" in description.lower() else profile


def _to_srgb(img, profile, mode):
    try:
        return ImageCms.profileToProfile(
            img, profile, _SRGB, outputMode=mode,
            renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC,
            flags=ImageCms.Flags.BLACKPOINTCOMPENSATION)
    except Exception:  # profile and pixels disagree (say a grey profile on RGB): plain conversion
        log.info("ICC conversion failed; converting without the profile")
        return img.convert(mode)


def _scaled_to_8_bits(img):
    """16-bit and 32-bit greys: scale to 0-255 (a plain convert would clip to white)."""
    if img.mode.startswith("I;16"):
        top = 65535
    else:
        high = img.getextrema()[1]
        top = 255 if high <= 255 else 65535 if high <= 65535 else high
    if img.mode != "F":
        img = img.convert("I")
    return img.point(lambda v: v * (255.0 / top)).convert("L")


def normalise(img):
    """Decoded pixels → one of L, LA, RGB, RGBA, in sRGB."""
    mode = img.mode
    has_alpha = img.has_transparency_data
    if mode.startswith("I") or mode == "F":
        return _scaled_to_8_bits(img)
    profile = _profile(img) if mode in ("RGB", "RGBA", "CMYK", "RGBX") else None
    if mode == "CMYK":
        return _to_srgb(img, profile, "RGB") if profile else img.convert("RGB")
    if mode in ("1", "L"):
        # A grey with a transparent key colour becomes grey plus alpha.
        return img.convert("RGBA").convert("LA") if has_alpha else img.convert("L")
    if mode in ("LA", "La"):
        return img.convert("LA")
    target = "RGBA" if has_alpha else "RGB"
    if mode != target:
        img = img.convert(target)
    return _to_srgb(img, profile, target) if profile else img


def drop_opaque_alpha(img):
    """An alpha channel that is 255 everywhere only costs bytes."""
    if img.mode in ("RGBA", "LA") and img.getchannel("A").getextrema() == (255, 255):
        return img.convert("RGB" if img.mode == "RGBA" else "L")
    return img


def flatten_on_white(img):
    """JPEG has no alpha: composite on white, as a logo on paper would look."""
    if img.mode not in ("RGBA", "LA"):
        return img
    base = Image.new("RGB" if img.mode == "RGBA" else "L", img.size, "white")
    base.paste(img.convert(base.mode), mask=img.getchannel("A"))
    return base


def fit_within(img, max_width, max_height):
    """Shrink to fit the box, keeping the aspect ratio; never enlarge."""
    width, height = img.size
    scale = min(max_width / width, max_height / height)
    if scale >= 1:
        return img
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)

