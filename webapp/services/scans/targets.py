"""Slug → what a scan needs (`ScanTarget`), memoised in Redis through Flask-Caching.

This is the scan path's one cache: the code's target and state, and the owner's
`qr.scanned` webhook subscriptions, `[(endpoint id, code filter or None)]` (empty
for most owners), so that a scan costs one Redis round trip and no query, and its
outbox rows (`writes`) need no look-up of their own. Without Redis the database
answers; without either, `ServiceUnavailable`.

`resolve_slug` is memoised by hand on `cache.get`/`cache.set` under one key per
slug rather than with `@cache.memoize`: memoize also reads a version key (a
second Redis round trip) and inspects the function's signature on every call,
which cost a fifth of the scan redirect's time (bench/scan_redirect.py). Own
keys also give misses their own short timeout: a flood of made-up slugs costs
Redis look-ups, not database queries, and a code created later is found at once
because creation drops the key too.

Entries are dropped after the commit of any change that makes them wrong
(connected in webapp/wiring.py): a code created, edited or deleted drops its own
(`on_code_changed`); a change to any of an owner's endpoints drops all of the
owner's (`on_webhooks_changed`). A process that read the old row just before the
commit could still write it back in the instant between; FOUND_TTL bounds that,
and `writes` skips endpoints that are gone, so a stale entry loses no scan.
"""
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import pybreaker
from sqlalchemy import select
from werkzeug.urls import iri_to_uri

from webapp.extensions import cache, db
from webapp.infra.resilience import breakers, failures
from webapp.infra.resilience.guard import guard
from webapp.models import CustomDomain, QrCode, RetiredSlug
from webapp.models.domains import VERIFIED
from webapp.services import signals
from webapp.services.redirects.plan import compile_plan
from webapp.services.webhooks import events

log = logging.getLogger(__name__)

FOUND_TTL = 300
MISS_TTL = 15
MAX_SLUG_LENGTH = 64  # the column's size: anything longer cannot exist
MISSING = "-"  # the cached value of a slug that has no code
# The cached value, and what `lookup` answers, for a slug of a deleted workspace: its scan
# URL says the code was removed (410), from the cache like any other answer.
REMOVED = "removed"


@dataclass(frozen=True)
class ScanTarget:
    code_id: str
    kind: str
    location: str | None  # the target as a URI, ready for the Location header
    active: bool
    expires_at: float | None  # POSIX seconds
    title: str
    workspace_id: int  # whose webhooks hear of the scan
    slug: str
    # The owner's qr.scanned subscriptions, [(endpoint id, code filter or None)]: kept
    # here so a scan needs one Redis round trip, not a second one for its webhooks.
    # Dropped with the owner's other entries when an endpoint changes.
    hooks: tuple = ()
    # Rules, split, UTM and limits compiled (services/redirects/plan.py); None for a plain code.
    plan: tuple | None = None

    def endpoints(self):
        """Ids of the endpoints that want this code's scans."""
        return [endpoint_id for endpoint_id, code_filter in self.hooks
                if code_filter in (None, self.code_id)]

    def webhooks(self):
        """What `writes` needs for the scan's outbox rows, or None (most codes)."""
        endpoints = self.endpoints()
        return {"endpoints": endpoints, "slug": self.slug, "title": self.title} if endpoints else None

    def expired(self, now=None):
        if self.expires_at is None:
            return False
        now = now or datetime.now(timezone.utc)
        return self.expires_at <= now.timestamp()

    @property
    def live(self):
        """Whether a scan should be sent on (and the public metadata says active)."""
        return self.active and not self.expired()


def plausible_slug(slug):
    """Refuses, before any look-up, what cannot be a slug (too long, control characters)."""
    return 0 < len(slug) <= MAX_SLUG_LENGTH and slug.isprintable()


def cache_key(slug, host=None):
    """The entry of /s/<slug> on our own host, or of https://<host>/<slug> on a custom
    domain: one key per (host, slug), so a scan on a custom domain is one look-up too."""
    if host is None:
        # "v4": the cached tuple gained the actor, the hooks, then the redirect plan; older
        # entries must not be read as new ones.
        return "slug:v4:" + hashlib.blake2b(slug.encode("utf-8", "replace"), digest_size=16).hexdigest()
    named = f"{host}\n{slug}".encode("utf-8", "replace")
    return "hslug:v1:" + hashlib.blake2b(named, digest_size=16).hexdigest()


def load_slug(slug, host=None):
    """(id, kind, location, active, expires_at, title, workspace_id, slug, hooks, plan) from
    the database; REMOVED for a retired slug; None when there is no such code."""
    query = select(QrCode.id, QrCode.kind, QrCode.target_url, QrCode.active, QrCode.expires_at,
                   QrCode.title, QrCode.workspace_id, QrCode.slug, QrCode.redirect,
                   QrCode.max_scans, QrCode.expired_url).where(QrCode.slug == slug)
    if host is None:
        query = query.where(QrCode.domain_id.is_(None))
    else:  # only a verified domain's codes: never another domain's, never a pending one's
        query = query.join(CustomDomain, CustomDomain.id == QrCode.domain_id).where(
            CustomDomain.hostname == host, CustomDomain.status == VERIFIED)
    row = db.session.execute(query).first()
    if row is None:
        retired = host is None and db.session.get(RetiredSlug, slug) is not None
        return REMOVED if retired else None
    location = iri_to_uri(row.target_url) if row.target_url else None
    expires = row.expires_at.timestamp() if row.expires_at else None
    dynamic = row.kind == "dynamic"
    hooks = tuple(events.scan_subscriptions(row.workspace_id)) if dynamic else ()
    plan = compile_plan(row.redirect, row.target_url, row.max_scans, row.expired_url) if dynamic else None
    return (row.id, row.kind, location, bool(row.active), expires, row.title or "", row.workspace_id,
            row.slug, hooks, plan)


def resolve_slug(slug, host=None):
    """`load_slug`, memoised in Redis; without Redis it asks the database. Raises
    ServiceUnavailable when the answer needed the database and it is down."""
    key = cache_key(slug, host)
    redis_breaker = breakers.redis_breaker()
    try:
        value = guard(redis_breaker, cache.get, key)
    except Exception as exc:
        _cache_trouble(exc, "slug cache unavailable; asking the database")
        return _load_with(load_slug, slug, host)
    if value is not None:
        return None if value == MISSING else value
    value = _load_with(load_slug, slug, host)
    try:
        guard(redis_breaker, cache.set, key, MISSING if value is None else value,
                         timeout=MISS_TTL if value is None else FOUND_TTL)
    except Exception as exc:
        _cache_trouble(exc, f"could not cache slug {slug!r}")
    return value


def _load_with(loader, *args):
    try:
        return guard(breakers.database_breaker(), loader, *args)
    except Exception as exc:
        if not failures.database_error(exc):
            raise
        db.session.rollback()
        raise failures.ServiceUnavailable(
            "The code could not be looked up: the database is not answering.") from exc


def _cache_trouble(exc, message):
    # While the breaker is open every scan would say the same: once per opening is enough.
    if isinstance(exc, pybreaker.CircuitBreakerError):
        log.debug(message)
    else:
        log.warning(message, exc_info=True)


def lookup(slug, host=None):
    """The `ScanTarget` for `slug` (on the custom domain `host`, if given), REMOVED for a
    slug of a deleted workspace, or None when there is no such code."""
    if not plausible_slug(slug):
        return None
    return _target(resolve_slug(slug, host))


def load(slug):
    """Like `lookup`, read from the database (not the cache)."""
    return _target(load_slug(slug))


def _target(value):
    if value is None or value == REMOVED:
        return value
    return ScanTarget(*value)


def invalidate(*slugs):
    cache.delete_many(*(cache_key(slug) for slug in slugs))


def invalidate_keys(*keys):
    cache.delete_many(*keys)


def invalidate_owner(workspace_id, chunk=1000):
    """Drops the entries of every code of the owner (their hooks changed). Rare (an owner
    edits an endpoint) and proportional to their codes: about a second at 200,000."""
    # A connection of its own: this runs after a commit, when the session cannot query.
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(QrCode.slug, CustomDomain.hostname)
            .outerjoin(CustomDomain, CustomDomain.id == QrCode.domain_id)
            .where(QrCode.workspace_id == workspace_id, QrCode.kind == "dynamic")).all()
    batch = []
    for slug, host in rows:
        batch.append(cache_key(slug, host))
        if len(batch) == chunk:
            cache.delete_many(*batch)
            batch = []
    if batch:
        cache.delete_many(*batch)


def on_code_changed(code, changes=None, **_extra):
    """Receiver of code_created, code_updated and code_deleted."""
    slugs = {code.slug}
    if changes and "slug" in changes:
        slugs.update(value for value in changes["slug"] if value)
    # A code moved between domains (`changes["domain"]`: hostnames) drops its entry on both.
    hosts = {code.domain.hostname if code.domain is not None else None}
    hosts.update(changes["domain"] if changes and "domain" in changes else ())
    signals.after_commit(invalidate_keys, *sorted(cache_key(slug, host) for slug in slugs for host in hosts))


def on_webhooks_changed(workspace_id, session=None, **_extra):
    """Receiver of webhooks_changed: the owner's subscriptions are in all their entries."""
    signals.after_commit_once(invalidate_owner, workspace_id, session=session)
