"""`GET /api/qr-codes/<slug>/scan`: public metadata of a code, for CDNs and scanner apps.

The title is part of this answer by the API contract (API.md, "Resources"): scanner
apps show it before following the code. It is the one place a title is public; the
public images and pages carry none.

Served from the same Redis-memoised slug look-up as the redirect (so it is
cached server-side and dropped on every edit), and marked cacheable by shared
caches for a minute, stale for five more while they revalidate.
"""
from flask import jsonify
from pydantic import BaseModel

from webapp.services import NotFound
from webapp.services.scans import targets
from webapp.views.api import schema
from webapp.views.api.blueprint import bp, public

CACHE_CONTROL = "public, s-maxage=60, stale-while-revalidate=300"


class PublicCode(BaseModel):
    slug: str
    title: str
    active: bool


@bp.get("/qr-codes/<slug>/scan")
@public
@schema.operation("GET", "/api/qr-codes/{slug}/scan", "Public metadata of a code (no auth, cacheable)",
                  response=PublicCode, public=True, tag="public")
def public_scan(slug):
    target = targets.lookup(slug)
    if target is None or target == targets.REMOVED:
        raise NotFound("No such QR code.")
    response = jsonify(slug=slug, title=target.title, active=target.live)
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response
