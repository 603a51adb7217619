"""Recording scans: the one transaction in which a scan becomes a row and a count.

`record_scan` writes the ScanEvent and bumps the code's counter, and sends
`scan_recorded` in the same transaction (webhook outbox rows join it there).
The caller commits.

Why counter shards: a single `qr_codes.scan_count += 1` makes every concurrent
scan of a hot code wait for the previous one's commit on that row's lock. Each
scan instead bumps one of SHARDS rows picked at random, so concurrent scans of
one code rarely meet; a code's count is the sum of its shards (`scan_counts`).
Counting raw events instead would make the list page's counts cost a scan of
every event. `refresh_scan_counts` copies the sums into `QrCode.scan_count`
(the daily rollup calls it) so sorting by it stays meaningful.
"""
import random
from datetime import datetime, timezone
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import QrCode, ScanCounter, ScanEvent
from . import signals, useragents, visitors

SHARDS = 16
_time_processors = {}
COLUMNS = ("qr_code_id", "scanned_at", "user_agent", "device_type", "os", "browser", "referrer",
           "ip_hash", "country", "is_bot")
_EVENT_INSERT = "INSERT INTO scan_events ({}) VALUES ({})".format(
    ", ".join(COLUMNS), ", ".join(f"%({c})s" for c in COLUMNS))
_COUNTER_UPSERT = (
    "INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "VALUES (%(qr_code_id)s, %(shard)s, %(scans)s, %(bots)s) "
    "ON CONFLICT (qr_code_id, shard) DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans")
# PostgreSQL: both writes in one statement, one round trip (a data-modifying WITH
# always runs to completion, once).
_PG_SCAN = f"WITH bump AS ({_COUNTER_UPSERT}) {_EVENT_INSERT} RETURNING id"
# SQLite speaks :name, not %(name)s.
_SQLITE_EVENT = _EVENT_INSERT.replace("%(", ":").replace(")s", "")
_SQLITE_COUNTER = _COUNTER_UPSERT.replace("%(", ":").replace(")s", "")


def record_scan(code_id, *, user_agent="", referrer="", ip=None, country=None, at=None):
    """Record one scan of the code; returns its ScanEvent (already written). The caller commits.

    This is the hot path of every scan, so it writes with two plain statements
    (one on PostgreSQL) instead of an ORM flush. The event sent with
    `scan_recorded` (a transient ScanEvent: the row is already written, do not
    add it to the session) carries the new row's id; receivers add their rows to
    the same session and so to the same transaction.
    """
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    client = useragents.describe(user_agent or "")
    values = {
        "qr_code_id": code_id,
        "scanned_at": at,
        "user_agent": (user_agent or "")[:useragents.MAX_LENGTH],
        "device_type": client.device_type,
        "os": client.os,
        "browser": client.browser,
        "referrer": referrer_origin(referrer),
        "ip_hash": visitors.hash_ip(ip, at.date()),
        "country": visitors.clean_country(country),
        "is_bot": client.is_bot,
    }
    counter = {"qr_code_id": code_id, "shard": random.randrange(SHARDS),
               "scans": 0 if client.is_bot else 1, "bots": 1 if client.is_bot else 0}
    event_id = _write(db.session.connection(), values, counter)
    event = ScanEvent(id=event_id, **{**values, "scanned_at": at})
    signals.scan_recorded.send(event)
    return event


def _time_processor(dialect):
    processor = _time_processors.get(dialect.name)
    if processor is None:
        column_type = ScanEvent.__table__.c.scanned_at.type.dialect_impl(dialect)
        processor = column_type.bind_processor(dialect)
        _time_processors[dialect.name] = processor
    return processor


def _write(connection, values, counter):
    """Runs the scan's statements on the session's own DBAPI connection (so in its
    transaction) and returns the event id. The driver is called directly because
    SQLAlchemy's execution layers cost more CPU than the statements themselves
    on this path; driver errors are re-raised as SQLAlchemy's."""
    raw = connection.connection.driver_connection
    dialect = connection.dialect
    # Stored exactly as SQLAlchemy stores it (SQLite compares times as text).
    values = dict(values, scanned_at=_time_processor(dialect)(values["scanned_at"]))
    statement = _PG_SCAN
    try:
        if dialect.name == "postgresql":
            return raw.execute(_PG_SCAN, {**values, **counter}).fetchone()[0]
        # SQLite: take the write lock first. A transaction that reads and then writes
        # can fail at once with "database is locked" when another writer got in
        # between, whatever the busy timeout; BEGIN IMMEDIATE waits its turn instead.
        if not raw.in_transaction:
            statement = "BEGIN IMMEDIATE"
            raw.execute(statement)
        statement = _SQLITE_EVENT
        event_id = raw.execute(statement, values).lastrowid
        statement = _SQLITE_COUNTER
        raw.execute(statement, counter)
        return event_id
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(statement, values, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect) from exc


def referrer_origin(referrer):
    """Only where a visitor came from (scheme and host): paths can carry tokens."""
    if not referrer:
        return ""
    try:
        parts = urlsplit(referrer.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host:
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
