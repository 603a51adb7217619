"""A workspace's custom domains: add, verify by DNS, set the root URL, delete. Admins only.

A domain once verified stays verified: a later look-up that fails says so (422) but
changes nothing, so a DNS hiccup never stops a printed code. Deleting the domain is how
a workspace stops serving it, and that is refused (409) while codes use it.
"""
import secrets
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import CustomDomain, QrCode, ScanCounter
from webapp.models.base import utcnow
from webapp.models.domains import PENDING, VERIFIED
from webapp.services import Conflict, audit, signals
from webapp.services.codes.target_urls import normalise_url
from webapp.services.domains import dns_check
from webapp.services.domains.hostnames import clean_hostname, refuse
from webapp.services.ownership import get_owned

ROLE = "admin"


def own_host():
    return (urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "").lower()


def add_domain(actor, hostname):
    actor.require(ROLE)
    hostname = clean_hostname(hostname, own_host())
    holder = db.session.scalar(select(CustomDomain).where(CustomDomain.hostname == hostname))
    if holder is not None:
        if holder.workspace_id == actor.workspace_id:
            raise Conflict(f"“{hostname}” is already one of this workspace's domains.",
                           fields={"hostname": "already added"})
        raise taken(hostname)
    domain = CustomDomain(workspace_id=actor.workspace_id, hostname=hostname, status=PENDING,
                          verification_token=secrets.token_urlsafe(24))
    db.session.add(domain)
    try:
        db.session.flush()
    except IntegrityError:  # another workspace added it at the same moment
        db.session.rollback()
        raise taken(hostname) from None
    audit.record(actor, "domain.added", "domain", domain.id, audit.created({"hostname": hostname}))
    return domain


def taken(hostname):
    return refuse(f"“{hostname}” is taken by another workspace.")


def list_domains(actor):
    actor.require(ROLE)
    return db.session.scalars(select(CustomDomain).where(CustomDomain.workspace_id == actor.workspace_id)
                              .order_by(CustomDomain.hostname)).all()


def verified_hostnames(workspace_id):
    """For the code editor's select (any member may put a code on a verified domain)."""
    return db.session.scalars(select(CustomDomain.hostname).where(
        CustomDomain.workspace_id == workspace_id, CustomDomain.status == VERIFIED)
        .order_by(CustomDomain.hostname)).all()


def get_domain(actor, domain_id):
    actor.require(ROLE)
    return get_owned(CustomDomain, actor.workspace_id, domain_id, "No such domain.")


def verify_domain(actor, domain):
    """Looks the TXT record up now: verified, or a 422 saying what was found."""
    actor.require(ROLE)
    found = dns_check.txt_values(domain.hostname)
    if domain.verification_token not in found:
        name = dns_check.challenge_name(domain.hostname)
        shown = ", ".join(f"“{value[:100]}”" for value in found[:5]) or "no TXT value"
        raise dns_check.not_verified(f"The TXT record at {name} holds {shown}, not "
                                     f"“{domain.verification_token}”.")
    if domain.status != VERIFIED:
        domain.status, domain.verified_at = VERIFIED, utcnow()
        db.session.flush()
        signals.domain_changed.send(domain.hostname)
        audit.record(actor, "domain.verified", "domain", domain.id,
                     audit.before_after({"status": (PENDING, VERIFIED)}))
    return domain


def set_root_url(actor, domain, value):
    actor.require(ROLE)
    root_url = normalise_url(value, field="root_url") if value not in (None, "") else None
    if root_url != domain.root_url:
        audit.record(actor, "domain.updated", "domain", domain.id,
                     audit.before_after({"root_url": (domain.root_url, root_url)}))
        domain.root_url = root_url
        db.session.flush()
        signals.domain_changed.send(domain.hostname)
    return domain


def codes_on(domain):
    return db.session.scalar(select(func.count()).select_from(QrCode).where(QrCode.domain_id == domain.id))


def delete_domain(actor, domain):
    actor.require(ROLE)
    in_use = codes_on(domain)
    if in_use:
        raise Conflict(f"{in_use} code{'s' if in_use != 1 else ''} use{'s' if in_use == 1 else ''} "
                       f"“{domain.hostname}”; move them to another domain or delete them first.")
    signals.domain_changed.send(domain.hostname)
    audit.record(actor, "domain.deleted", "domain", domain.id, audit.deleted({"hostname": domain.hostname}))
    db.session.delete(domain)
    db.session.flush()


def totals(domain_ids):
    """{domain id: {"codes": codes on it, "scans": their scans by people, exact to the last
    commit}}: the domain's share of the workspace's scans, in one query."""
    found = {domain_id: {"codes": 0, "scans": 0} for domain_id in domain_ids}
    if not found:
        return found
    rows = db.session.execute(
        select(QrCode.domain_id, func.count(func.distinct(QrCode.id)), func.sum(ScanCounter.scans))
        .outerjoin(ScanCounter, ScanCounter.qr_code_id == QrCode.id)
        .where(QrCode.domain_id.in_(list(found))).group_by(QrCode.domain_id))
    for domain_id, codes, scans in rows:
        found[domain_id] = {"codes": int(codes), "scans": int(scans or 0)}
    return found


def domain_to_dict(domain, counts=None):
    """The domain object; `counts`: its `totals`, read here when not given."""
    iso = (lambda value: value.isoformat().replace("+00:00", "Z") if value else None)
    counts = counts or totals([domain.id])[domain.id]
    return {
        "id": domain.id, "hostname": domain.hostname, "status": domain.status,
        "verification": {"type": "TXT", "name": dns_check.challenge_name(domain.hostname),
                         "value": domain.verification_token},
        "verified_at": iso(domain.verified_at), "root_url": domain.root_url,
        "created_at": iso(domain.created_at), "codes": counts["codes"], "scans": counts["scans"],
    }

