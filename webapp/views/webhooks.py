"""Webhook endpoints in the browser: list, create, change, rotate, test, and the delivery log."""
from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.extensions import db, htmx
from webapp.models import WebhookEndpoint
from webapp.models.base import utcnow
from webapp.services import ServiceError
from webapp.services.webhooks import endpoints
from webapp.services.webhooks.events import EVENT_TYPES
from webapp.web.access import needs
from webapp.web.rendering import render

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

EVENT_LABELS = {
    "qr.scanned": "A code is scanned", "qr.created": "A code is created",
    "qr.updated": "A code is changed", "qr.deleted": "A code is deleted",
    "job.completed": "A background job completes", "job.failed": "A background job fails",
}
FORM_FIELDS = {"url": "url", "events": "events", "qr_code_id": "qr_code"}


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField("Endpoint URL", validators=[
        DataRequired("Enter the URL that should receive the events."), Length(max=2048)])
    events = CheckboxesField("Events", choices=[SelectChoice(e, EVENT_LABELS[e]) for e in EVENT_TYPES],
                             validators=[DataRequired("Choose at least one event.")])
    qr_code = StringField("Only for this code (optional)", validators=[Length(max=64)])


def show_service_error(form, exc):
    """Put a service refusal next to the field it is about."""
    db.session.rollback()
    placed = False
    for key, message in exc.fields.items():
        field = getattr(form, FORM_FIELDS.get(key.split(".")[0], ""), None)
        if field is not None:
            field.errors = list(field.errors) + [message]
            placed = True
    if not placed:
        flash(exc.message, "error")


def list_page(form=None, status=200):
    mine = endpoints.list_endpoints(g.actor)
    counts = endpoints.status_counts([e.id for e in mine])
    return render("webhooks/index.html", endpoints=mine, counts=counts,
                  form=form or EndpointForm(formdata=None, events=["qr.scanned"]),
                  labels=EVENT_LABELS), status


@bp.get("/")
@needs("admin")
def index():
    return list_page()


@bp.post("/")
@needs("admin")
def create():
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoint = endpoints.create_endpoint(g.actor, form.url.data, form.events.data,
                                                form.qr_code.data)
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash("Endpoint added. Use its signing secret to check that events come from us.", "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id, secret="shown"))
    return list_page(form, status=422)


def detail_page(endpoint, form=None, status=200, notice=None):
    status_filter = request.values.get("status") or None
    if status_filter not in (None, *endpoints.DELIVERY_STATUSES):
        abort(400, "Unknown delivery status.")
    rows, next_cursor = endpoints.list_deliveries(endpoint, status_filter, request.args.get("cursor"))
    if form is None:
        form = EndpointForm(formdata=None, obj=endpoint)
        form.qr_code.data = endpoint.qr_code_id or ""
    return render("webhooks/detail.html", block="deliveries", endpoint=endpoint, form=form,
                  rows=rows, attempts=endpoints.attempts_of([r.id for r in rows]),
                  next_cursor=next_cursor, status_filter=status_filter,
                  counts=endpoints.status_counts([endpoint.id])[endpoint.id],
                  statuses=endpoints.DELIVERY_STATUSES, labels=EVENT_LABELS,
                  show_secret=request.args.get("secret") == "shown", notice=notice,
                  now=utcnow()), status


@bp.get("/<endpoint_id>")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def detail(endpoint_id):
    return detail_page(endpoints.get_endpoint(g.actor, endpoint_id))


@bp.post("/<endpoint_id>/edit")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def edit(endpoint_id):
    endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
    form = EndpointForm()
    if form.validate_on_submit():
        try:
            endpoints.update_endpoint(g.actor, endpoint, url=form.url.data,
                                     events=form.events.data, qr_code_id=form.qr_code.data)
        except ServiceError as exc:
            show_service_error(form, exc)
            endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
        else:
            db.session.commit()
            flash("Endpoint saved.", "success")
            return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id))
    return detail_page(endpoint, form=form, status=422)


def act(endpoint_id, action, message):
    endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
    action(endpoint)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))


@bp.post("/<endpoint_id>/rotate")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def rotate(endpoint_id):
    endpoint = endpoints.get_endpoint(g.actor, endpoint_id)
    endpoints.rotate_secret(g.actor, endpoint)
    db.session.commit()
    flash("New signing secret made. The old one also signs for the next 24 hours, "
          "so switch your receiver over within that time.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id, secret="shown"))


@bp.post("/<endpoint_id>/test")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def send_test(endpoint_id):
    return act(endpoint_id, endpoints.send_test_event,
               "A test event is on its way; it appears in the log below.")


@bp.post("/<endpoint_id>/enable")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def enable(endpoint_id):
    return act(endpoint_id, lambda e: endpoints.set_enabled(g.actor, e, True),
               "Endpoint enabled; waiting events are sent now.")


@bp.post("/<endpoint_id>/disable")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def disable(endpoint_id):
    return act(endpoint_id, lambda e: endpoints.set_enabled(g.actor, e, False),
               "Endpoint disabled; no new events are written for it.")


@bp.post("/<endpoint_id>/delete")
@needs("admin", follow=(WebhookEndpoint, "endpoint_id"))
def delete(endpoint_id):
    endpoints.delete_endpoint(g.actor, endpoints.get_endpoint(g.actor, endpoint_id))
    db.session.commit()
    flash("Endpoint deleted with its delivery log.", "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/deliveries/<delivery_id>/redeliver")
@needs("admin")
def redeliver(delivery_id):
    row = endpoints.get_delivery(g.actor, delivery_id)
    try:
        endpoints.redeliver(g.actor, delivery_id)
    except ServiceError as exc:
        db.session.rollback()
        if htmx:
            endpoint = endpoints.get_endpoint(g.actor, row.endpoint_id)
            return detail_page(endpoint, status=exc.status, notice=exc.message)
        raise
    db.session.commit()
    if htmx:
        return detail_page(endpoints.get_endpoint(g.actor, row.endpoint_id),
                           notice="Queued to be sent again.")
    flash("The event is queued to be sent again.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=row.endpoint_id))
