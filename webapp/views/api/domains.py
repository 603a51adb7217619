"""/api/domains: a workspace's custom domains (docs/api.md, docs/custom-domains.md)."""
from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from webapp.extensions import db
from webapp.services.domains import workspace_domains as service
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body
from webapp.web.access import needs


class DomainCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hostname: str = Field(max_length=300, description="e.g. qr.example.com (no scheme, no port)")


class DomainPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root_url: str | None = Field(None, max_length=2048, description="where / of the domain goes; "
                                 "null: 404")


@bp.post("/domains")
@needs("admin")
@operation("POST", "/api/domains", "Add a custom domain; the answer names the TXT record to create",
           body=DomainCreate, status=201, tag="domains")
def create_domain():
    domain = service.add_domain(g.actor, parse_body(DomainCreate).hostname)
    db.session.commit()
    return jsonify(service.domain_to_dict(domain)), 201


@bp.get("/domains")
@needs("admin")
@operation("GET", "/api/domains", "The workspace's custom domains", tag="domains")
def list_domains():
    domains = service.list_domains(g.actor)
    counts = service.totals([domain.id for domain in domains])
    return jsonify(items=[service.domain_to_dict(d, counts[d.id]) for d in domains])


@bp.get("/domains/<domain_id>")
@needs("admin")
@operation("GET", "/api/domains/{domain_id}", "A custom domain", tag="domains")
def read_domain(domain_id):
    return jsonify(service.domain_to_dict(service.get_domain(g.actor, domain_id)))


@bp.patch("/domains/<domain_id>")
@needs("admin")
@operation("PATCH", "/api/domains/{domain_id}", "Set where / of the domain goes", body=DomainPatch,
           tag="domains")
def patch_domain(domain_id):
    domain = service.get_domain(g.actor, domain_id)
    body = parse_body(DomainPatch)
    if "root_url" in body.model_fields_set:
        service.set_root_url(g.actor, domain, body.root_url)
    db.session.commit()
    return jsonify(service.domain_to_dict(domain))


@bp.post("/domains/<domain_id>/verify")
@needs("admin")
@operation("POST", "/api/domains/{domain_id}/verify",
           "Look the TXT record up now: verified, or 422 saying what was found", tag="domains")
def verify_domain(domain_id):
    domain = service.verify_domain(g.actor, service.get_domain(g.actor, domain_id))
    db.session.commit()
    return jsonify(service.domain_to_dict(domain))


@bp.delete("/domains/<domain_id>")
@needs("admin")
@operation("DELETE", "/api/domains/{domain_id}", "Delete a domain (409 while codes use it)",
           status=204, tag="domains")
def delete_domain(domain_id):
    service.delete_domain(g.actor, service.get_domain(g.actor, domain_id))
    db.session.commit()
    return "", 204
