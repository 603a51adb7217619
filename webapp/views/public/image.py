"""The public image of a dynamic code, for pages and print shops that embed it.

Only dynamic codes: their image holds nothing but the public scan URL (not even the
code's title, which is the owner's own note). A static
code's image is its content (a Wi-Fi password, a contact card), so it stays
behind the owner's API.
"""
from flask import Blueprint, Response, abort, request
from sqlalchemy import select

from webapp.extensions import cache, db, limiter
from webapp.models import QrCode
from webapp.models.base import utcnow
from webapp.services.codes import qrcodes as service
from webapp.services.scans.targets import plausible_slug

bp = Blueprint("public_image", __name__)
limiter.exempt(bp)

FORMATS = {"svg": "image/svg+xml", "png": "image/png"}
# Shared caches may keep it briefly; the ETag (payload + style) makes revalidation cheap.
PUBLIC_IMAGE_CACHE = "public, max-age=300, s-maxage=3600, stale-while-revalidate=86400"


@bp.get("/qr/<slug>.<fmt>")
def code_image(slug, fmt):
    if fmt not in FORMATS or not plausible_slug(slug):
        abort(404)
    scale = request.args.get("scale", 10, type=int)
    if not 1 <= scale <= 40:
        abort(400, "scale must be a whole number from 1 to 40.")
    # The slug of PUBLIC_BASE_URL's scan URL: a custom domain's slugs are its own.
    code = db.session.scalar(select(QrCode).where(QrCode.slug == slug, QrCode.domain_id.is_(None)))
    if code is None or code.kind != "dynamic":
        abort(404)
    if not code.active or (code.expires_at and code.expires_at <= utcnow()):
        abort(410, "This code is no longer active.")
    etag = service.image_etag(code, fmt, scale, None, public=True)
    headers = {"ETag": f'"{etag}"', "Cache-Control": PUBLIC_IMAGE_CACHE,
               "Access-Control-Allow-Origin": "*"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    # Keyed by content: an edit changes the ETag, so nothing needs invalidating.
    key = f"public-image:{etag}"
    body = cache.get(key)
    if body is None:
        body = service.render_code(code, fmt, scale=scale, public=True)
        cache.set(key, body, timeout=3600)
    return Response(body, mimetype=FORMATS[fmt], headers=headers)
