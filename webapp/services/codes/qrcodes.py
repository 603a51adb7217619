"""QR codes: create, change, delete, list, render. Views, the API and jobs all call these.

Every function takes plain values and validates them itself (URL, slug, style,
scannability), and sends the domain signals inside the caller's transaction.
"""
import hashlib
import json
from contextlib import contextmanager

from segno import DataOverflowError
from sqlalchemy.exc import IntegrityError

from webapp import qr
from webapp.extensions import db
from webapp.models import QrCode
from webapp.models.base import utcnow
from webapp.qr.drawing import build
from webapp.services import Conflict, ServiceError, audit, signals
from webapp.services.codes import organise, verdicts
from webapp.services.codes.code_domains import domain_for_code, move_domain
from webapp.services.codes.content import (
    check_active,
    check_expiry,
    check_kind,
    check_title,
    invalid,
    payload_of,
    static_content,
)
from webapp.services.codes.image_sizes import check_image_size
from webapp.services.codes.listing import MAX_PAGE, list_codes  # noqa: F401  (the list lives there)
from webapp.services.codes.objects import code_to_dict  # noqa: F401  (the API's object lives there)
from webapp.services.codes.redirect_fields import FIELDS as REDIRECT_FIELDS
from webapp.services.codes.redirect_fields import redirect_changes
from webapp.services.codes.slugs import check_custom_slug, unused_random_slug
from webapp.services.codes.styles import (
    check_logo,
    default_preset,
    logo_for_code,
    logo_version,
    validated_style,
)
from webapp.services.codes.target_urls import normalise_url
from webapp.services.ids import has_nul
from webapp.services.ownership import get_owned

CHANGE_FIELDS = {"target_url", "content", "content_type", "title", "style", "active", "expires_at",
                 "domain", "tags", "folder", *REDIRECT_FIELDS}
CREATE_FIELDS = CHANGE_FIELDS | {"kind", "slug"}


def _unknown(data, allowed):
    if not isinstance(data, dict):
        raise ServiceError("Send the code's fields as an object.", status=400, code="bad_request")
    if has_nul(data):
        raise ServiceError("The text contains a NUL character (\\0), which cannot be stored; remove it.",
                           status=422, code="invalid")
    extra = sorted(set(data) - allowed)
    if extra:
        raise ServiceError(f"Unknown field: {extra[0]}.", fields={k: "unknown field" for k in extra},
                           status=422, code="invalid")


def gate(actor, payload, style_data):
    """(validated style JSON, the gate's report) for this payload, or a 422 saying why the
    code would not scan."""
    style = validated_style(style_data)
    logo = check_logo(actor, style)
    verdict = verdicts.cached(payload, style, logo)  # just previewed: no drawing needed
    if verdict is None or not verdict.ok:
        _, verdict = gated(payload, style, logo)
    return style.to_json(), verdict.report


def gated_drawing(payload, style, logo=None):
    """The drawing of a code that scans, or a 422 saying why it would not.

    Whoever renders the code next (a bulk job's ZIP) paints this same drawing
    instead of building it again: the gate has proven exactly these pixels.
    """
    return gated(payload, style, logo)[0]


def gated(payload, style, logo=None, remember=True):
    """(drawing, verdict) of a code that scans, or a 422 saying why it would not."""
    verdict, drawing = checked_verdict(payload, style, logo, remember)
    if not verdict.ok:
        fields = {}
        for field, message in verdict.reasons:
            fields.setdefault(field or "style", message)
        raise ServiceError(verdict.message, fields=fields, status=422, code="unscannable")
    return drawing, verdict


def checked_verdict(payload, style, logo, remember=True):
    """(verdict, drawing); a payload too long for the code is a 422. The verdict comes from
    the cache when exactly this payload, style and logo were judged before."""
    with fits(style):
        drawing = qr.build(payload, style, logo)
    return verdicts.check(payload, style, drawing, logo, remember=remember), drawing


@contextmanager
def fits(style):
    """segno's "too long for this level" as the 422 it is."""
    try:
        yield
    except DataOverflowError:
        level = style.error_correction
        why = " (a logo needs level H)" if style.logo else ""
        raise ServiceError(f"That is more than a QR code holds at error correction {level}{why}: "
                           "shorten the content or choose a lower level.",
                           fields={"content": "too long for the code"}, status=422,
                           code="invalid") from None


def code_from_fields(workspace_id, data):
    """An unsaved code from the fields of a create request, checked; no slug or style yet.

    `create_code` and the bulk import both start here, so a CSV row is held to
    exactly the rules of the API and the editor.
    """
    _unknown(data, CREATE_FIELDS)
    kind = check_kind(data.get("kind", "dynamic"))
    title = check_title(data.get("title"))
    code = QrCode(workspace_id=workspace_id, kind=kind, title=title)
    if kind == "dynamic":
        if data.get("content") not in (None, ""):
            raise invalid("content", "A dynamic code opens its target_url; content is for static codes.")
        code.target_url = normalise_url(data.get("target_url"))
        code.content_type = "url"
    else:
        if data.get("target_url") not in (None, ""):
            raise invalid("target_url", "A static code holds its content; target_url is for "
                                        "dynamic codes.")
        code.content_type, code.content, code.content_fields = static_content(
            data.get("content_type"), data.get("content"))
    code.active = check_active(data.get("active", True))
    code.expires_at = check_expiry(data.get("expires_at"))
    code.domain = domain_for_code(workspace_id, data.get("domain"), kind)
    for field, value in redirect_changes(code, data).items():
        setattr(code, field, value)
    code.folder = organise.check_folder(data.get("folder"))
    organise.check_tags(data.get("tags"))  # refused here, so a CSV row is refused whole
    return code


def create_code(actor, data):
    code = code_from_fields(actor.workspace_id, data)
    domain_id = code.domain.id if code.domain is not None else None
    code.slug = check_custom_slug(data["slug"], domain_id) if data.get("slug") else unused_random_slug(domain_id)
    style = data.get("style")
    if style is None:  # no style given: the workspace's default preset, if it has one
        preset = default_preset(actor)
        style = preset.style if preset is not None else None
    code.style, code.scan_report = gate(actor, payload_of(code), style)
    code.scannable = True
    db.session.add(code)
    try:
        db.session.flush()
    except IntegrityError:
        # Two requests chose the same slug at once; the loser's transaction is spent.
        db.session.rollback()
        message = f"The slug “{code.slug}” is taken; choose another."
        raise Conflict(message, fields={"slug": message}) from None
    organise.add_tags(actor.workspace_id, [code], organise.check_tags(data.get("tags")))
    signals.code_created.send(code)
    audit.record(actor, "code.created", "code", code.id, audit.created(_logged(code)))
    return code


def _logged(code):  # what the audit log names a code by when it is made or deleted
    fields = {"slug": code.slug, "title": code.title}
    fields.update({"target_url": code.target_url} if code.kind == "dynamic" else {"content": code.content})
    return fields


def get_owned_code(actor, code_id):
    return get_owned(QrCode, actor.workspace_id, code_id, "No such QR code.")


def update_code(actor, code_id, changes, audited=True):
    """`audited=False` for a bulk update, which logs one entry for its whole job."""
    _unknown(changes, CHANGE_FIELDS)
    code = get_owned_code(actor, code_id)
    tags = organise.check_tags(changes["tags"]) if "tags" in changes else None
    new = {}
    if "title" in changes:
        new["title"] = check_title(changes["title"])
    if "target_url" in changes:
        if code.kind != "dynamic":
            raise invalid("target_url", "A static code has no target; change its content instead.")
        new["target_url"] = normalise_url(changes["target_url"])
    if "content" in changes or "content_type" in changes:
        if code.kind != "static":
            raise invalid("content", "A dynamic code opens its target_url; change that instead.")
        content_type, content, fields = static_content(
            changes.get("content_type", code.content_type),
            changes.get("content", code.content_fields or code.content))
        new.update(content_type=content_type, content=content, content_fields=fields)
    if "active" in changes:
        new["active"] = check_active(changes["active"])
    if "expires_at" in changes:
        new["expires_at"] = check_expiry(changes["expires_at"])
    domain = move_domain(code, changes["domain"]) if "domain" in changes else code.domain
    new.update(redirect_changes(code, changes))
    if "folder" in changes:
        new["folder"] = organise.check_folder(changes["folder"])
    payload = new.get("content", code.content) if code.kind == "static" else payload_of(code, domain)
    report = None
    if "style" in changes or payload != payload_of(code):
        new["style"], report = gate(actor, payload, changes.get("style", code.style))
    diff = {field: (getattr(code, field), value) for field, value in new.items()
            if getattr(code, field) != value}
    for field, (_, value) in diff.items():
        setattr(code, field, value)
    if domain is not code.domain:  # the change names hostnames, for the log and the webhooks
        diff["domain"] = (code.domain and code.domain.hostname, domain and domain.hostname)
        code.domain = domain
    if tags is not None and (tag_change := organise.replace_tags(actor.workspace_id, code, tags)):
        diff["tags"] = tag_change
        code.updated_at = utcnow()
    if report is not None and report != code.scan_report:  # the gate's findings: no change event
        code.scan_report = report
        if not diff:
            db.session.flush()
    if diff:
        code.scannable = True
        db.session.flush()
        signals.code_updated.send(code, changes=diff)
        if audited:  # content_fields is content parsed: the log keeps the content only
            audit.record(actor, "code.updated", "code", code.id,
                         audit.before_after(diff, skip=("content_fields",)))
    return code


def delete_code(actor, code_id):
    code = get_owned_code(actor, code_id)
    signals.code_deleted.send(code)
    audit.record(actor, "code.deleted", "code", code.id, audit.deleted(_logged(code)))
    db.session.delete(code)
    db.session.flush()
    return code


def image_etag(code, fmt, scale, border, public=False):
    basis = json.dumps([qr.RENDERER_VERSION, payload_of(code), code.style, logo_version(code),
                        fmt, scale, border, None if public else code.title], sort_keys=True)
    return hashlib.sha256(basis.encode()).hexdigest()[:32]


def image_size(code):
    """(width, height) of the code's image in modules, quiet zone and frame included."""
    style = qr.stored_style(code.style).model_copy(update={"logo": None})
    drawing = build(payload_of(code), style)
    return drawing.width, drawing.height


def render_code(code, fmt, scale=10, border=None, public=False):
    """The image in `fmt`. A `public` one (for anyone who has the slug) carries no title:
    the title is the owner's note, not part of the printed code."""
    if fmt not in qr.FORMATS:
        raise ServiceError(f"Unknown image format “{fmt}”: use {', '.join(qr.FORMATS)}.",
                           fields={"format": "unknown"}, status=404, code="not_found")
    check_image_size(fmt, scale, border)
    style = qr.stored_style(code.style)
    try:
        return qr.render(payload_of(code), style, fmt, scale=scale, border=border,
                         logo=logo_for_code(code) if style.logo else None, title=None if public else code.title or None)
    except ValueError as exc:  # the raster would be too large
        raise ServiceError(f"That image would be too large ({exc}); use a smaller scale.",
                           fields={"scale": "too large"}, status=422, code="invalid") from None


