"""The codes pages: list, editor with live preview, downloads, delete, style presets."""
import base64

from flask import Blueprint, current_app, flash, g, make_response, redirect, request, url_for
from flask_login import login_required
from jinja2_fragments.flask import render_block

from webapp.extensions import db
from webapp.models import QrCode
from webapp.qr import MIN_PNG_SCALE, MIN_QUIET_ZONE
from webapp.qr.payloads import FIELDS
from webapp.qr.style import ERROR_LEVELS, FINDER_SHAPES, MODULE_SHAPES
from webapp.services import ServiceError
from webapp.services.codes import previews, slugs, styles, summaries
from webapp.services.codes import qrcodes as service
from webapp.services.codes.content import code_scan_url
from webapp.services.codes.filters import filters_from_args
from webapp.services.codes.listing import CodePage
from webapp.services.domains import workspace_domains
from webapp.views.codes.forms import (
    code_data_from_form,
    form_values,
    merge_form,
    style_from_form,
    style_values,
)
from webapp.web.access import needs
from webapp.web.rendering import render
from webapp.web.streaming import page_or_block

bp = Blueprint("qrcodes", __name__, url_prefix="/codes")
PNG_WIDTHS = (300, 600, 1200, 2400)
PAGE_SIZE = 48  # whole rows of a 2-, 3- or 4-column grid
bp.add_app_template_global(summaries.summary, "code_summary")
bp.add_app_template_global(summaries.short_link, "code_short_link")


@bp.before_request
@login_required
def require_login():
    return None


def editor(template="qrcodes/edit.html", code=None, values=None, errors=None, status=200, **extra):
    """The editor page. Opening a saved code shows the verdict it was saved with (no decoder
    runs); a new or re-shown form gets its picture now and asks for the verdict after."""
    opened = code is not None and values is None
    values = values or form_values(code)
    draft_slug = None if code else (request.form.get("draft_slug") or slugs.unused_random_slug())
    data = code_data_from_form(values, code is None)
    if draft_slug and not data.get("slug"):
        data["draft_slug"] = draft_slug
    svg, ok, message = previews.picture(g.actor, data, code)
    warnings = []
    if opened and svg is not None:
        ok, message, warnings = True, previews.SAVED_MESSAGE, previews.saved_warnings(code)
    return render(template, block=extra.pop("block", "content"), code=code, v=values, draft_slug=draft_slug,
                  errors=errors or {}, preview_src=_data_uri(svg), preview_ok=ok,
                  preview_message=message, preview_warnings=warnings,
                  verdict_pending=svg is not None and ok is None, report_rows=previews.report_rows,
                  images=styles.list_ready_images(g.actor),
                  presets=styles.list_presets(g.actor), structured=FIELDS,
                  module_shapes=MODULE_SHAPES, finder_shapes=FINDER_SHAPES, levels=ERROR_LEVELS,
                  min_quiet_zone=MIN_QUIET_ZONE, code_scan_url=code_scan_url,
                  domains=workspace_domains.verified_hostnames(g.actor.workspace_id),
                  png_options=_png_options(code), **extra), status


def _data_uri(svg):
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode() if svg else None


def _png_options(code):
    """(scale, "W × H px") for the PNG sizes offered: whole pixels per module, near PNG_WIDTHS."""
    if code is None:
        return []
    width, height = service.image_size(code)
    options = {}
    for px in PNG_WIDTHS:
        scale = max(MIN_PNG_SCALE, round(px / width))
        options[scale] = f"{width * scale} × {height * scale} px"
    return list(options.items())


@bp.get("/")
@needs("viewer")
def index():
    """The list, streamed: the head and search form paint while the page's query runs.

    HTMX asks for `rows` (the next page, when the last row comes into view) or
    `results` (the first page of a new search); a plain request, or the "next"
    link without JavaScript, gets the whole page.
    """
    filters = filters_from_args(request.args)
    cursor = request.args.get("cursor") or None
    page = CodePage(g.actor, PAGE_SIZE, cursor, filters)
    response = make_response(page_or_block(
        "qrcodes/index.html", "rows" if cursor else "results", page=page, filters=filters,
        cursor=cursor, stream_max=current_app.config["EXPORT_STREAM_MAX_ROWS"]))
    if not cursor:  # the address bar shows the search without the empty fields
        response.headers["HX-Push-Url"] = url_for("qrcodes.index", **filters.as_args())
    return response


@bp.get("/new")
@needs("editor")
def new():
    values = form_values()
    preset = (styles.get_preset(g.actor, request.args["preset"]) if request.args.get("preset")
              else styles.default_preset(g.actor))
    if preset is not None:
        values.update(style_values(preset.style))
    return editor(values=values)


@bp.post("/")
@needs("editor")
def create():
    data = code_data_from_form(request.form, creating=True)
    draft = data.pop("draft_slug", None)
    if draft and data.get("kind") == "dynamic" and not slugs.slug_taken(draft):
        data["slug"] = draft  # the code the preview judged: saving it is a verdict look-up
    try:
        code = service.create_code(g.actor, data)
    except ServiceError as exc:
        db.session.rollback()
        return editor(values=merge_form(form_values(), request.form), errors=_errors(exc),
                      status=exc.status)
    db.session.commit()
    flash("Your code is saved, and it scans. Download it below.", "success")
    return redirect(url_for("qrcodes.detail", code_id=code.id))


@bp.post("/preview")
@needs("editor")
def preview():
    """The picture at once; its verdict box asks /preview/verdict when it is swapped in."""
    code = _previewed_code()
    data = code_data_from_form(request.form, code is None)
    svg, ok, message = previews.picture(g.actor, data, code)
    html = render_block("qrcodes/edit.html", "preview", preview_src=_data_uri(svg), preview_ok=ok,
                        preview_message=message, preview_warnings=[],
                        verdict_pending=svg is not None and ok is None, code=code)
    if code is not None:
        html += render_block("qrcodes/edit.html", "unsaved", unsaved=_unsaved(code, data), oob=True)
    return html


@bp.post("/preview/verdict")
@needs("editor")
def preview_verdict():
    code = _previewed_code()
    ok, message, warnings = previews.verdict(g.actor, code_data_from_form(request.form, code is None), code)
    return render_block("qrcodes/edit.html", "verdict", preview_ok=ok, preview_message=message,
                        preview_warnings=warnings, verdict_pending=False)


def _previewed_code():
    return service.get_owned_code(g.actor, request.form["code_id"]) if request.form.get("code_id") else None


def _unsaved(code, data):
    """Whether the editor shows a style other than the stored one (downloads show the stored one)."""
    try:
        return styles.validated_style(data.get("style")).to_json() != code.style
    except ServiceError:
        return True


@bp.get("/<code_id>")
@needs("viewer", follow=(QrCode, "code_id"))
def detail(code_id):
    return editor(code=service.get_owned_code(g.actor, code_id))


@bp.post("/<code_id>")
@needs("editor", follow=(QrCode, "code_id"))
def update(code_id):
    code = service.get_owned_code(g.actor, code_id)
    data = code_data_from_form(request.form, creating=False)
    for field in ("content_type", "content") if code.kind == "dynamic" else ("target_url",):
        data.pop(field, None)
    if code.kind == "dynamic":  # only a scan link can be paused
        data["active"] = request.form.get("active") == "on"
    try:
        service.update_code(g.actor, code_id, data)
    except ServiceError as exc:
        db.session.rollback()
        code = service.get_owned_code(g.actor, code_id)
        return editor(code=code, values=merge_form(form_values(code), request.form),
                      errors=_errors(exc), status=exc.status)
    db.session.commit()
    flash("Saved. The code still scans.", "success")
    return redirect(url_for("qrcodes.detail", code_id=code_id))


@bp.post("/<code_id>/delete")
@needs("editor", follow=(QrCode, "code_id"))
def delete(code_id):
    code = service.delete_code(g.actor, code_id)
    db.session.commit()
    flash(f"“{code.title or code.slug}” is deleted; its scan link no longer works.", "info")
    return redirect(url_for("qrcodes.index"))


@bp.post("/presets")
@needs("editor")
def save_preset():
    try:
        preset = styles.save_preset(g.actor, request.form.get("preset_name"), style_from_form(request.form))
    except ServiceError as exc:
        db.session.rollback()
        return render_block("qrcodes/edit.html", "presets", presets=styles.list_presets(g.actor),
                            preset_message=exc.message, preset_ok=False), exc.status
    db.session.commit()
    return render_block("qrcodes/edit.html", "presets", presets=styles.list_presets(g.actor),
                        preset_message=f"Saved the preset “{preset.name}”.", preset_ok=True)


@bp.get("/presets/<preset_id>")
@needs("editor")
def apply_preset(preset_id):
    """The style fields filled from a preset (the rest of the form is left as it is)."""
    values = merge_form(form_values(), request.args)
    values.update(style_values(styles.get_preset(g.actor, preset_id).style))
    return render_block("qrcodes/edit.html", "style_fields", v=values, errors={},
                        images=styles.list_ready_images(g.actor), module_shapes=MODULE_SHAPES,
                        finder_shapes=FINDER_SHAPES, levels=ERROR_LEVELS, min_quiet_zone=MIN_QUIET_ZONE)


def _errors(exc):
    errors = {}
    for field, message in (exc.fields or {}).items():
        errors[field.removeprefix("style.")] = message
    errors.setdefault("_form", exc.message)
    return errors
