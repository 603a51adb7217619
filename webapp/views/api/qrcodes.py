"""/api/qr-codes: the code object of docs/api.md, and its rendered image with an ETag."""
from typing import Any, Literal

from flask import Response, g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from webapp.extensions import db
from webapp.qr import FORMATS, MIN_PNG_SCALE, MIN_QUIET_ZONE
from webapp.services import ServiceError
from webapp.services.codes import qrcodes as service
from webapp.services.codes.filters import MAX_QUERY, check_filters
from webapp.services.codes.listing import list_page
from webapp.services.codes.organise import tags_of
from webapp.services.exports import streams
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body, parse_query
from webapp.web.access import needs
from webapp.web.streaming import stream_body

IMAGE_CACHE = "private, no-cache"  # the browser keeps it, and asks again with If-None-Match


class RedirectFields(BaseModel):
    """Smart redirects of dynamic codes (docs/redirect-rules.md); checked by the service,
    which names the field at fault (e.g. rules[2].when.timezone)."""
    model_config = ConfigDict(extra="forbid")
    rules: list[Any] | None = Field(None, description="[{when: {...}, target_url}]: the first that holds wins")
    split: list[Any] | None = Field(None, description="[{target_url, weight}]: sticky per visitor and day")
    utm: dict[str, Any] | None = Field(None, description="{source, medium, campaign, term, content}")
    max_scans: int | None = Field(None, description="past it, scans get expired_url or a 410 page")
    expired_url: str | None = None


class CodeCreate(RedirectFields):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["dynamic", "static"] = "dynamic"
    target_url: str | None = Field(None, description="dynamic codes: where a scan goes")
    content: str | dict[str, Any] | None = Field(
        None, description="static codes: text or a URL, or the fields of a wifi/vcard/email/geo code")
    content_type: Literal["url", "text", "wifi", "vcard", "email", "geo"] | None = None
    title: str = ""
    slug: str | None = Field(None, description="optional; random when left out")
    style: dict[str, Any] | None = None
    active: bool = True
    expires_at: str | None = None
    domain: str | None = Field(None, max_length=253, description="a verified custom domain of the "
                               "workspace (dynamic codes); the scan URL becomes https://<domain>/<slug>")
    tags: list[str] | None = Field(None, description="tag names (made when first used)")
    folder: str | None = Field(None, description="a folder name, or null for none")


class CodeChange(RedirectFields):
    model_config = ConfigDict(extra="forbid")
    target_url: str | None = None
    content: str | dict[str, Any] | None = None
    content_type: Literal["url", "text", "wifi", "vcard", "email", "geo"] | None = None
    title: str | None = None
    style: dict[str, Any] | None = None
    active: bool | None = None
    expires_at: str | None = None
    domain: str | None = Field(None, max_length=253, description="move to this verified domain; "
                               "null: back to PUBLIC_BASE_URL/s/<slug>")
    tags: list[str] | None = Field(None, description="the code's tags, all of them (replaces the list)")
    folder: str | None = Field(None, description="a folder name, or null for none")


class CodeFilterQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(None, max_length=MAX_QUERY, description=(
        "text found in the title, slug or target (ASCII letters in any case; % and _ "
        "match themselves)"))
    kind: Literal["dynamic", "static"] | None = None
    active: bool | None = None
    has_scans: bool | None = Field(None, description="scanned by people at least once (or never)")
    tag: str | None = Field(None, max_length=200, description="codes carrying this tag")
    folder: str | None = Field(None, max_length=200, description="codes in this folder")

    def filters(self):
        return check_filters(self.q, self.kind, self.active, self.has_scans, self.tag, self.folder)


class CodeList(CodeFilterQuery):
    limit: int = Field(20, ge=1, le=service.MAX_PAGE)
    cursor: str | None = Field(None, max_length=200)


class ImageQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scale: int = Field(10, ge=1, le=100, description=f"pixels (PNG, at least {MIN_PNG_SCALE}) or points "
                                                     "(PDF, EPS) per module")
    border: int | None = Field(None, ge=MIN_QUIET_ZONE, le=16,
                               description="quiet zone in modules; default: the style's")
    download: bool = Field(False, description="answer as an attachment named after the title")


def _clean(model):
    return model.model_dump(exclude_unset=True)


@bp.post("/qr-codes")
@needs("editor")
@operation("POST", "/api/qr-codes", "Create a QR code", body=CodeCreate, status=201, tag="qr-codes")
def create_code():
    code = service.create_code(g.actor, _clean(parse_body(CodeCreate)))
    db.session.commit()
    return jsonify(service.code_to_dict(code)), 201


@bp.get("/qr-codes")
@needs("viewer")
@operation("GET", "/api/qr-codes", "List QR codes, newest first", query=CodeList, tag="qr-codes")
def list_codes():
    query = parse_query(CodeList)
    page, next_cursor = list_page(g.actor, query.limit, query.cursor, query.filters())
    tags = tags_of(code.id for code, _ in page)
    return jsonify(items=[dict(service.code_to_dict(code, tags[code.id]), scan_count=scans)
                          for code, scans in page], next_cursor=next_cursor)


@bp.get("/qr-codes/stream")
@needs("viewer")
@operation("GET", "/api/qr-codes/stream", "Every code as NDJSON (one code object per line), "
           "newest first, streamed", query=CodeFilterQuery, tag="qr-codes",
           response={"application/x-ndjson": {}})
def stream_codes():
    filters = parse_query(CodeFilterQuery).filters()
    return stream_body(streams.codes_ndjson(g.actor.workspace_id, filters), "application/x-ndjson")


@bp.get("/qr-codes/<code_id>")
@needs("viewer")
@operation("GET", "/api/qr-codes/{code_id}", "Read a QR code", tag="qr-codes")
def read_code(code_id):
    return jsonify(service.code_to_dict(service.get_owned_code(g.actor, code_id)))


@bp.patch("/qr-codes/<code_id>")
@needs("editor")
@operation("PATCH", "/api/qr-codes/{code_id}", "Change a QR code", body=CodeChange, tag="qr-codes")
def change_code(code_id):
    changes = _clean(parse_body(CodeChange))
    code = service.update_code(g.actor, code_id, changes)
    db.session.commit()
    return jsonify(service.code_to_dict(code))


@bp.delete("/qr-codes/<code_id>")
@needs("editor")
@operation("DELETE", "/api/qr-codes/{code_id}", "Delete a QR code", status=204, tag="qr-codes")
def delete_code(code_id):
    service.delete_code(g.actor, code_id)
    db.session.commit()
    return "", 204


def download_name(code, fmt):
    # ASCII only: a header value must be Latin-1, and some browsers mangle anything else.
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in (code.title or "").lower())
    stem = "-".join(part for part in stem.split("-") if part)[:60] or f"qr-{code.slug}"
    return f"{stem}.{fmt}"


def image_response(code, fmt, query):
    """The rendered image with an ETag; 304 when the caller already has this one."""
    if fmt not in FORMATS:
        raise ServiceError(f"Unknown image format “{fmt[:20]}”: use {', '.join(FORMATS)}.",
                           fields={"format": "unknown"}, status=404, code="not_found")
    etag = service.image_etag(code, fmt, query.scale, query.border)
    headers = {"ETag": f'"{etag}"', "Cache-Control": IMAGE_CACHE, "Vary": "Cookie, Authorization"}
    if etag in request.if_none_match:
        return Response(status=304, headers=headers)
    body = service.render_code(code, fmt, scale=query.scale, border=query.border)
    disposition = "attachment" if query.download else "inline"
    headers["Content-Disposition"] = f'{disposition}; filename="{download_name(code, fmt)}"'
    return Response(body, mimetype=FORMATS[fmt], headers=headers)


@bp.get("/qr-codes/<code_id>/image.<fmt>")
@needs("viewer")
@operation("GET", "/api/qr-codes/{code_id}/image.{fmt}", "The rendered code (svg, png, pdf or eps)",
           query=ImageQuery, tag="qr-codes", response={f: {} for f in FORMATS.values()})
def code_image(code_id, fmt):
    code = service.get_owned_code(g.actor, code_id)
    return image_response(code, fmt, parse_query(ImageQuery))
