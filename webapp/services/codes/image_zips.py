"""Rendered codes in ZIP files, one ZIP part per chunk (bulk create, the images export).

The parts are joined by `jobs.files.join_zip_parts`. PNG and PDF are already
compressed, so they are stored as they are; SVG and EPS are deflated.
"""
import io
import time
import zipfile

from webapp import qr
from webapp.extensions import db
from webapp.models import ImageAsset
from webapp.services import ServiceError
from webapp.services.codes.content import payload_of
from webapp.services.codes.styles import load_image
from webapp.services.ids import looks_like_id

SCALE = 10  # pixels (PNG) or points (PDF, EPS) per module, as the API's image default
PRECOMPRESSED = {"png", "pdf"}
MAX_LOGOS = 32


def check_format(fmt, field="format"):
    fmt = (fmt or "png").strip().lower()
    if fmt not in qr.FORMATS:
        message = f"Choose the image format: {', '.join(qr.FORMATS)}."
        raise ServiceError(message, fields={field: message}, status=422, code="invalid")
    return fmt


def image_filename(code, fmt):
    """`<title>-<slug>.<fmt>`: readable, ASCII only, and unique because the slug is."""
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in (code.title or "").lower())
    stem = "-".join(part for part in stem.split("-") if part)[:50]
    return f"{stem}-{code.slug}.{fmt}" if stem else f"{code.slug}.{fmt}"


class ZipPart:
    """One chunk's images, built in memory (a chunk is a few hundred small files)."""

    def __init__(self, fmt):
        self.fmt = fmt
        self.count = 0
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(self._buffer, "w")
        self._stamp = time.gmtime()[:6]
        self._compress = zipfile.ZIP_STORED if fmt in PRECOMPRESSED else zipfile.ZIP_DEFLATED

    def add(self, code, data):
        info = zipfile.ZipInfo(image_filename(code, self.fmt), date_time=self._stamp)
        info.compress_type = self._compress
        self._zip.writestr(info, data)
        self.count += 1

    def getvalue(self):
        self._zip.close()
        return self._buffer.getvalue()


class CodeRenderer:
    """Renders stored codes in one format, loading each logo once for the whole job."""

    def __init__(self, fmt, scale=SCALE):
        self.fmt = fmt
        self.scale = scale
        self._logos = {}

    def render(self, code):
        style = qr.parse_style(code.style)
        logo = self._logo(code.workspace_id, style.logo) if style.logo else None
        return qr.render(payload_of(code), style, self.fmt, scale=self.scale, logo=logo,
                         title=code.title or None)

    def render_drawing(self, code, drawing, style):
        """A code just built and gated: paint the drawing the gate checked."""
        return qr.render_drawing(drawing, style, self.fmt, self.scale, title=code.title or None)

    def _logo(self, workspace_id, logo_id):
        if logo_id not in self._logos:
            if len(self._logos) >= MAX_LOGOS:
                self._logos.clear()
            asset = db.session.get(ImageAsset, logo_id) if looks_like_id(logo_id) else None
            usable = asset is not None and asset.workspace_id == workspace_id and asset.status == "ready"
            self._logos[logo_id] = load_image(asset) if usable else None
        return self._logos[logo_id]
