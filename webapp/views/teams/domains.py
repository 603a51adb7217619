"""The Domains section of the workspace settings page (admins): add a hostname, see the TXT
record to create, verify it, set where its `/` goes, delete it. Each form posts and
redirects back to the section; the outcome is flashed there."""
from flask import Blueprint, flash, g, redirect, request, url_for

from webapp.extensions import db
from webapp.services import ServiceError
from webapp.services.domains import workspace_domains as service
from webapp.web.access import needs

bp = Blueprint("domains", __name__)


def back(message=None, category="success"):
    if message:
        flash(message, category)
    return redirect(url_for("teams.settings") + "#domains")


def refused(exc):
    db.session.rollback()
    if exc.status in (403, 404):
        raise exc
    return back(exc.message, "error")


@bp.post("/workspace/domains")
@needs("admin")
def add():
    try:
        domain = service.add_domain(g.actor, request.form.get("hostname", ""))
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    return back(f"{domain.hostname} added: create its TXT record, then verify it.")


@bp.post("/workspace/domains/<domain_id>/verify")
@needs("admin")
def verify(domain_id):
    try:
        domain = service.verify_domain(g.actor, service.get_domain(g.actor, domain_id))
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    return back(f"{domain.hostname} is verified: its codes can use it now.")


@bp.post("/workspace/domains/<domain_id>/root")
@needs("admin")
def set_root(domain_id):
    try:
        domain = service.set_root_url(g.actor, service.get_domain(g.actor, domain_id),
                                      request.form.get("root_url", ""))
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    return back(f"https://{domain.hostname}/ now goes to {domain.root_url}." if domain.root_url
                else f"https://{domain.hostname}/ now answers 404.")


@bp.post("/workspace/domains/<domain_id>/delete")
@needs("admin")
def delete(domain_id):
    try:
        domain = service.get_domain(g.actor, domain_id)
        hostname = domain.hostname
        service.delete_domain(g.actor, domain)
    except ServiceError as exc:
        return refused(exc)
    db.session.commit()
    return back(f"{hostname} is deleted.")
