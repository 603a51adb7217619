"""Recording scans: a scan becomes a row and a count, durably, exactly once.

`scan_row` turns what a request says into the row of a ScanEvent (parsed user
agent, referrer origin, salted IP hash, country). Two ways to write it, both
through `scan_writes.write_scans`, the one place where the rows that must
commit with a scan are written (and `scan_recorded` is sent; read its
docstring before adding rows to a scan's transaction):

* `count_scan`, the scan redirect: the scan joins a group commit with the
  scans of concurrent requests (`scan_commits`) and is committed when it
  returns;
* `record_scan`: written in the session's transaction; the caller commits.

Why counter shards: a single `qr_codes.scan_count += 1` makes every concurrent
scan of a hot code wait for the previous one's commit on that row's lock. Each
scan (each batch) instead bumps one of SHARDS rows picked at random, so
concurrent scans of one code rarely meet; a code's count is the sum of its
shards (`scan_counts`). Counting raw events instead would make the list page's
counts cost a scan of every event. `refresh_scan_counts` copies the sums into
`QrCode.scan_count` (the daily rollup calls it) so sorting by it stays meaningful.
"""
import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select, update

from .. import resilience
from ..extensions import db
from ..models import QrCode, ScanCounter, ScanEvent
from . import scan_buffer, scan_commits, scan_hooks, signals, useragents, visitors
from .scan_writes import SHARDS, write_scans  # noqa: F401  (SHARDS: re-exported)

log = logging.getLogger(__name__)


def scan_row(code_id, *, user_agent="", referrer="", ip=None, country=None, at=None):
    """The ScanEvent columns of one scan of the code (`at` defaults to now)."""
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    # PostgreSQL text cannot hold NUL; no real browser sends one.
    user_agent = (user_agent or "").replace("\x00", "")
    client = useragents.describe(user_agent)
    return {
        "qr_code_id": code_id,
        "scanned_at": at,
        "user_agent": user_agent[:useragents.MAX_LENGTH],
        "device_type": client.device_type,
        "os": client.os,
        "browser": client.browser,
        "referrer": referrer_origin(referrer),
        "ip_hash": visitors.hash_ip(ip, at.date()),
        "country": visitors.clean_country(country),
        "is_bot": client.is_bot,
    }


def count_scan(target, **request_facts):
    """Records one scan of the code (a slug_cache.ScanTarget) durably, with its webhook
    outbox rows, and returns its event id once it is committed (in a group commit with
    concurrent scans). When the database is down (or its breaker open) the scan is
    buffered in Redis instead (`scan_buffer`) and None is returned; raises when it
    could be neither committed nor buffered."""
    row = scan_row(target.code_id, **request_facts)
    try:
        return resilience.guard(resilience.database_breaker(), _commit, target, row)
    except Exception as exc:
        if not resilience.database_error(exc):
            raise
        if db.session.registry.has():
            db.session.rollback()
        key = scan_buffer.push(target, row)
        log.warning("database unavailable (%s); scan of %s buffered as %s",
                    type(exc).__name__, target.code_id, key)
        return None


def _commit(target, row):
    endpoints = target.endpoints()
    row = dict(row, hooks={"endpoints": endpoints, "slug": target.slug, "title": target.title}
               if endpoints else None)
    if db.session.registry.has():
        # A look-up that went to the database (a cache miss) holds a pooled connection;
        # give it back before waiting for the commit, which needs one too.
        db.session.close()
    return scan_commits.for_app(current_app._get_current_object(), db.engine).commit(row)


def scan_hooks_of(owner_id, code_id, slug, title):
    """What `scan_writes` needs to write the scan's webhook events, or None (most codes)."""
    endpoints = scan_hooks.endpoints_for(owner_id, code_id)
    return {"endpoints": endpoints, "slug": slug, "title": title} if endpoints else None


def record_scan(code_id, *, user_agent="", referrer="", ip=None, country=None, at=None):
    """Writes one scan in the session's transaction and returns its (transient)
    ScanEvent with its id. The caller commits; a rollback undoes the scan."""
    row = scan_row(code_id, user_agent=user_agent, referrer=referrer, ip=ip, country=country, at=at)
    code = db.session.get(QrCode, code_id)
    hooks = code and scan_hooks_of(code.owner_id, code.id, code.slug, code.title)
    [event_id] = write_scans(db.session.connection(), [dict(row, hooks=hooks)], signals.after_commit)
    return ScanEvent(id=event_id, **row)


def referrer_origin(referrer):
    """Only where a visitor came from (scheme and host): paths can carry tokens."""
    if not referrer:
        return ""
    try:
        parts = urlsplit(referrer.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host or not host.isprintable():
        return ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{parts.scheme}://{host}"[:512]


def scan_counts(code_ids):
    """{code id: {"scans": people, "bots": bots}} for these codes, exact to the last commit."""
    code_ids = list(code_ids)
    counts = {code_id: {"scans": 0, "bots": 0} for code_id in code_ids}
    if not code_ids:
        return counts
    rows = db.session.execute(
        select(ScanCounter.qr_code_id, func.sum(ScanCounter.scans), func.sum(ScanCounter.bot_scans))
        .where(ScanCounter.qr_code_id.in_(code_ids)).group_by(ScanCounter.qr_code_id)
    )
    for code_id, scans, bots in rows:
        counts[code_id] = {"scans": int(scans or 0), "bots": int(bots or 0)}
    return counts


def refresh_scan_counts(code_ids=None):
    """Copy the shard sums into `QrCode.scan_count` (people only), leaving updated_at alone."""
    total = (select(func.coalesce(func.sum(ScanCounter.scans), 0))
             .where(ScanCounter.qr_code_id == QrCode.id).scalar_subquery())
    stmt = update(QrCode).values(scan_count=total, updated_at=QrCode.updated_at)
    if code_ids is not None:
        stmt = stmt.where(QrCode.id.in_(list(code_ids)))
    db.session.execute(stmt.execution_options(synchronize_session=False))
