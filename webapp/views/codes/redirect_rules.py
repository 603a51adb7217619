"""The code page's smart-redirect section (templates/qrcodes/_rules.html): edit the rows
with HTMX, save, and test which target a scan would get.

The test runs the form's rules as they stand (saved or not) through the scan path's
own code (`rules.clean`, `plan.compile_plan`, `evaluate.choose`), with a typical
user agent for the chosen device.
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, g, redirect, request, url_for
from jinja2_fragments.flask import render_block

from webapp.extensions import db, htmx
from webapp.models import QrCode
from webapp.services import ServiceError
from webapp.services.codes import qrcodes as service
from webapp.services.codes.redirect_fields import check_expired_url
from webapp.services.codes.target_urls import normalise_url
from webapp.services.redirects import rules
from webapp.services.redirects.evaluate import Visitor, choose
from webapp.services.redirects.plan import compile_plan, merge_utm
from webapp.views.codes.rules_form import (
    apply_op,
    data_from_values,
    values_from_code,
    values_from_form,
)
from webapp.web.access import needs

bp = Blueprint("redirect_rules", __name__, url_prefix="/codes")
TEMPLATE = "qrcodes/_rules.html"
DEVICES = {  # what a typical phone or computer of each kind sends
    "ios": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
           "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Mobile Safari/537.36",
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/126.0.0.0 Safari/537.36",
    "other": "",
}
WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))


@bp.app_context_processor
def _editor_helpers():
    return {"redirect_form": redirect_form}


def redirect_form(code, values=None, errors=None, message=None, **extra):
    """The template context of the section."""
    values = values or values_from_code(code)
    return dict(code=code, r=values, r_errors=errors or {}, r_message=message, weekdays=WEEKDAYS,
                devices=list(DEVICES), utm_preview=utm_preview(code, values), **extra)


def utm_preview(code, values):
    utm = {name: value for name, value in values["utm"].items() if value}
    try:
        return merge_utm(normalise_url(code.target_url), rules.clean_utm(utm))
    except ServiceError:
        return None


def _section(code, status=200, **context):
    return render_block(TEMPLATE, "section", **redirect_form(code, **context)), status


@bp.post("/<code_id>/redirect")
@needs("editor", follow=(QrCode, "code_id"))
def save(code_id):
    code = service.get_owned_code(g.actor, code_id)
    values = values_from_form(request.form)
    try:
        service.update_code(g.actor, code_id, data_from_values(values))
    except ServiceError as exc:
        db.session.rollback()
        code = service.get_owned_code(g.actor, code_id)
        return _section(code, exc.status, values=values, errors=exc.fields or {"_": exc.message},
                        message=exc.message)
    db.session.commit()
    if not htmx:
        return redirect(url_for("qrcodes.detail", code_id=code_id))
    return _section(code, message="Saved: the next scan follows these rules.")


@bp.post("/<code_id>/redirect/edit")
@needs("editor", follow=(QrCode, "code_id"))
def edit(code_id):
    """The section again with a row added, removed or moved (nothing saved); with
    op=preview only the UTM preview."""
    code = service.get_owned_code(g.actor, code_id)
    op = request.form.get("op", "")
    values = apply_op(values_from_form(request.form), op)
    if op == "preview":
        return render_block(TEMPLATE, "utm_preview", **redirect_form(code, values))
    return _section(code, values=values)


@bp.post("/<code_id>/redirect/test")
@needs("viewer", follow=(QrCode, "code_id"))
def test(code_id):
    code = service.get_owned_code(g.actor, code_id)
    values = values_from_form(request.form)
    answer = test_answer(code, values, request.form)
    return render_block(TEMPLATE, "test_answer", **redirect_form(code, values, answer=answer))


def test_answer(code, values, form):
    """{"served", "location"} or {"error"}: what a scan with the test form's facts would get."""
    data = data_from_values(values)
    try:
        redirect_data = rules.clean({k: data[k] for k in ("rules", "split", "utm")}, normalise_url)
        expired_url = check_expired_url(data["expired_url"])
        moment = _test_time(form.get("test-time", ""), form.get("test-timezone", "").strip() or "UTC")
    except ServiceError as exc:
        return {"error": exc.message}
    plan = compile_plan(redirect_data, code.target_url)
    if code.expires_at is not None and moment >= code.expires_at:
        return {"served": "expired", "location": expired_url or "the 410 page “this campaign has ended”"}
    visitor = Visitor(DEVICES.get(form.get("test-device"), ""), form.get("test-language", ""),
                      form.get("test-country", "").strip().upper(), form.get("test-query", "").lstrip("?"),
                      moment, key=form.get("test-visitor", "") or "editor-test")
    location, served = choose(plan, code.id, visitor) if plan else (code.target_url, "default")
    return {"served": served, "location": location}


def _test_time(text, zone_name):
    """The test's moment: a datetime-local read in the chosen zone (checked like a rule's);
    now when empty."""
    zone = ZoneInfo(rules.clean_when({"timezone": zone_name}, "test-timezone")["timezone"])
    if not text:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise rules.Invalid("test-time", "give a date and time") from None
    return moment.replace(tzinfo=moment.tzinfo or zone).astimezone(timezone.utc)
