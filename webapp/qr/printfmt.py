"""PDF and EPS for printers.

A plain code goes out as segno's own vector PDF/EPS: the same squares, exact at
any size. A styled code (curves, gradients, a logo, a frame) is our drawing
rasterised at PRINT_PX_PER_MODULE and wrapped by Pillow, so what prints is
pixel for pixel the PNG at that scale, one of the sizes the scannability gate
decodes; at 16 px per module a 3 cm code of 33 modules is about 450 dpi.
"""
import base64
import io
import math
import zlib

from PIL import Image

from webapp.qr.raster import MAX_SIDE, render_image

PRINT_PX_PER_MODULE = 16  # scannability.LARGE_SCALES: what prints is what the gate read


def _flattened(drawing):
    scale = max(4, min(PRINT_PX_PER_MODULE, MAX_SIDE // max(drawing.width, drawing.height)))
    image = render_image(drawing, scale).convert("RGBA")
    # PDF and EPS rasters have no alpha here: a transparent background prints as paper white.
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    return flat, scale


def write_pdf(drawing, qr=None, scale=10, border=None, dark="#000000", light=None):
    buf = io.BytesIO()
    if qr is not None:
        qr.save(buf, kind="pdf", scale=scale, border=border, dark=dark, light=light)
        return buf.getvalue()
    image, _ = _flattened(drawing)
    return _pdf_raster(image, drawing.width * scale, drawing.height * scale)


def _pdf_raster(image, width_pt, height_pt):
    """A one-page PDF holding the RGB raster, Flate-compressed (lossless) at the physical size
    the user chose. Pillow's PDF writer would store it as JPEG: blurred edges, and no longer
    the picture the gate read."""
    w, h = image.size
    data = zlib.compress(image.tobytes(), 9)
    content = f"q {width_pt:.2f} 0 0 {height_pt:.2f} 0 0 cm /Im0 Do Q".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width_pt:.2f} {height_pt:.2f}] "
         "/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>").encode("ascii"),
        (f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB "
         f"/BitsPerComponent 8 /Filter /FlateDecode /Length {len(data)} >>\nstream\n").encode("ascii")
        + data + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode("ascii") + content + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode("ascii"))
    out.write("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode("ascii"))
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
              .encode("ascii"))
    return out.getvalue()


def write_eps(drawing, qr=None, scale=10, border=None, dark="#000000", light=None):
    if qr is not None:
        text = io.StringIO()
        qr.save(text, kind="eps", scale=scale, border=border, dark=dark, light=light)
        return text.getvalue().encode("ascii")
    image, _ = _flattened(drawing)
    return _eps_raster(image, drawing.width * scale, drawing.height * scale)


def _eps_raster(image, width_pt, height_pt):
    """A Level 3 EPS holding the RGB raster, Flate-compressed and ASCII85-armoured.

    Pillow's own EPS writer sizes the page one point per pixel; this one keeps the
    physical size the user chose.
    """
    w, h = image.size
    data = base64.a85encode(zlib.compress(image.tobytes(), 9), adobe=True, wrapcol=76)
    header = (
        "%!PS-Adobe-3.0 EPSF-3.0\n"
        f"%%BoundingBox: 0 0 {math.ceil(width_pt)} {math.ceil(height_pt)}\n"
        f"%%HiResBoundingBox: 0 0 {width_pt:.2f} {height_pt:.2f}\n"
        "%%Creator: Scanlink\n%%LanguageLevel: 3\n%%EndComments\n"
        "gsave\n/DeviceRGB setcolorspace\n"
        f"{width_pt:.2f} {height_pt:.2f} scale\n"
        f"<< /ImageType 1 /Width {w} /Height {h} /BitsPerComponent 8 /Decode [0 1 0 1 0 1]\n"
        f"   /ImageMatrix [{w} 0 0 -{h} 0 {h}]\n"
        "   /DataSource currentfile /ASCII85Decode filter /FlateDecode filter >> image\n"
    )
    return header.encode("ascii") + data[2:] + b"\ngrestore\n%%EOF\n"
