"""Hostname → the verified custom domain it names, memoised in Redis like the slugs.

Asked only when the one look-up a scan makes, (hostname, slug) in `targets`, found no
code: to tell a domain's own 404 (or its `/`) from a host that is none of ours, and
by `/internal/tls/ask`, which a reverse proxy calls before it gets a certificate.
Entries are dropped after the commit of any change to the domain (`on_domain_changed`).
"""
import hashlib

from sqlalchemy import select

from webapp.extensions import cache, db
from webapp.infra.resilience import breakers
from webapp.infra.resilience.guard import guard
from webapp.models import CustomDomain
from webapp.models.domains import VERIFIED
from webapp.services import signals
from webapp.services.scans.targets import FOUND_TTL, MISS_TTL, MISSING, _cache_trouble, _load_with


def cache_key(hostname):
    return "host:v1:" + hashlib.blake2b(hostname.encode("utf-8", "replace"), digest_size=16).hexdigest()


def load_host(hostname):
    """(domain id, workspace id, root URL) of the verified domain, or None."""
    row = db.session.execute(select(CustomDomain.id, CustomDomain.workspace_id, CustomDomain.root_url)
                             .where(CustomDomain.hostname == hostname,
                                    CustomDomain.status == VERIFIED)).first()
    return tuple(row) if row is not None else None


def lookup(hostname):
    """`load_host`, memoised; without Redis the database answers (ServiceUnavailable when
    neither can)."""
    key = cache_key(hostname)
    try:
        value = guard(breakers.redis_breaker(), cache.get, key)
    except Exception as exc:
        _cache_trouble(exc, "host cache unavailable; asking the database")
        return _load_with(load_host, hostname)
    if value is not None:
        return None if value == MISSING else tuple(value)
    value = _load_with(load_host, hostname)
    try:
        guard(breakers.redis_breaker(), cache.set, key, MISSING if value is None else value,
              timeout=MISS_TTL if value is None else FOUND_TTL)
    except Exception as exc:
        _cache_trouble(exc, f"could not cache host {hostname!r}")
    return value


def invalidate(hostname):
    cache.delete(cache_key(hostname))


def on_domain_changed(hostname, **_extra):
    """Receiver of domain_changed."""
    signals.after_commit(invalidate, hostname)
