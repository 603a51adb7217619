"""The custom domain of a dynamic code: which one it may name, and its scan URL there.

A code may name a verified domain of its own workspace only; its slug is then unique
among that domain's codes (services/codes/slugs.py), and its scan URL, the payload of
its image, is `https://<hostname>/<slug>`.
"""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import CustomDomain
from webapp.models.domains import VERIFIED
from webapp.services.codes.content import invalid
from webapp.services.codes.slugs import slug_taken, taken


def domain_for_code(workspace_id, value, kind):
    """The CustomDomain a create or change names (by hostname), None for no domain, or a 422."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 253:
        raise invalid("domain", "The domain is a hostname of this workspace, such as qr.example.com.")
    if kind != "dynamic":
        raise invalid("domain", "Only dynamic codes have a scan URL, so only they can use a domain.")
    hostname = value.strip().lower().rstrip(".")
    domain = db.session.scalar(select(CustomDomain).where(CustomDomain.hostname == hostname,
                                                          CustomDomain.workspace_id == workspace_id))
    if domain is None:
        raise invalid("domain", f"“{hostname[:80]}” is not a domain of this workspace; add it "
                                "under Settings → Domains first.")
    if domain.status != VERIFIED:
        raise invalid("domain", f"“{hostname}” is not verified yet: create its TXT record and "
                                "verify it first.")
    return domain


def move_domain(code, value):
    """The domain a change puts the code on (its own when unchanged); 409 when its slug is
    taken there."""
    domain = domain_for_code(code.workspace_id, value, code.kind)
    if (domain.id if domain is not None else None) == code.domain_id:
        return code.domain
    if slug_taken(code.slug, domain.id if domain is not None else None):
        raise taken(code.slug)
    return domain
