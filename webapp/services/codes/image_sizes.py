"""The image sizes the scannability gate vouches for."""
from webapp import qr
from webapp.services import ServiceError


def check_image_size(fmt, scale, border):
    """Only sizes the scannability gate vouches for: it decodes the PNG from MIN_PNG_SCALE up."""
    if fmt == "png" and scale < qr.MIN_PNG_SCALE:
        message = (f"A PNG needs at least {qr.MIN_PNG_SCALE} pixels per module to scan reliably; "
                   "use a larger scale (SVG, PDF and EPS scale without losing sharpness).")
        raise ServiceError(message, fields={"scale": message}, status=422, code="invalid")
    if border is not None and border < qr.MIN_QUIET_ZONE:
        message = (f"A quiet zone needs at least {qr.MIN_QUIET_ZONE} modules: scanners find the code "
                   "by its blank margin.")
        raise ServiceError(message, fields={"border": message}, status=422, code="invalid")
