"""Image inputs for tests, made here: real photographs with phone metadata, and hostile files."""
import io
import struct
import zlib

from PIL import ExifTags, Image

from tests.support.photos import photo_path

GPS_XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
           b'exif:GPSLatitude="51,30.2083N" exif:GPSLongitude="0,7.6500W"/></rdf:RDF></x:xmpmeta>')


def photo(name):
    """A real photograph from ../shared/data/photos, as an RGB image."""
    with Image.open(photo_path(name)) as img:
        return img.convert("RGB")


def photo_bytes(name):
    return photo_path(name).read_bytes()


def encode(img, fmt="PNG", **options):
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def phone_exif(orientation=1):
    """EXIF as a phone writes it: orientation, camera, date and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "Scanlink Test Phone"
    exif[ExifTags.Base.DateTime] = "2026:11:30 09:15:00"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "W", ExifTags.GPS.GPSLongitude: (0.0, 7.0, 39.0),
    }
    return exif


def rotated_phone_photo(name="coffee.png"):
    """(upright scene, JPEG bytes): the pixels stored on their side with EXIF Orientation=6.

    Orientation 6 tells the viewer to turn the stored picture 90° clockwise, so a
    phone held upright stores the scene turned 90° anticlockwise.
    """
    scene = photo(name)
    stored = scene.transpose(Image.Transpose.ROTATE_90)
    data = encode(stored, "JPEG", quality=95, exif=phone_exif(6), xmp=GPS_XMP)
    return scene, data


def png_bomb(width=8000, height=8000):
    """A real decompression bomb: a tiny PNG whose header declares width × height grey pixels."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte + pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return png_chunks([(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)),
                       (b"IDAT", idat), (b"IEND", b"")])


def png_header_bomb(width=100_000, height=100_000):
    """A PNG that claims ten billion pixels (Pillow's own limit refuses it at open)."""
    return png_chunks([(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)),
                       (b"IDAT", zlib.compress(b"\x00" * 64)), (b"IEND", b"")])


def png_chunks(chunks):
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, body in chunks:
        out.append(struct.pack(">I", len(body)) + kind + body
                   + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    return b"".join(out)


def long_animation(frames):
    """An animated GIF of `frames` distinct frames (distinct so none are merged away)."""
    images = [Image.new("P", (8, 8), i % 256) for i in range(frames)]
    for i, frame in enumerate(images):
        frame.putpalette([(i * 7) % 256, (i * 13) % 256, (i * 29) % 256] * 256)
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=20)


def gif_js_polyglot():
    """A GIF header that is also JavaScript: the classic GIFAR-style trick."""
    return (b"GIF89a/*\x0a\x00\x0a\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00*/=1;"
            b"alert(document.cookie);/*" + b"\x00" * 20 + b"*/<script>alert(1)</script>")


def png_with_html(photo_name="chelsea.png"):
    """A valid, decodable PNG that also carries an HTML page in a text chunk."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<html><body><script>alert(document.domain)</script></body></html>")
    return encode(photo(photo_name).resize((64, 43)), "PNG", pnginfo=info)


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"
