"""Scans taken while the database is down: kept in a Redis list, written once it is back.

`push` (the scan redirect, when its write failed because the database is gone or
its breaker is open) appends the scan as JSON with a fresh key. `flush` (a periodic
task) writes buffered scans exactly once, however it is interrupted:

1. it takes a lease (SET NX with expiry), so one flusher runs at a time;
2. it first re-reads what a crashed flusher left on the processing list, then moves
   new items there one by one (LMOVE: an item is always on one of the two lists);
3. it writes them in one transaction, each event with its key under a unique index
   (ON CONFLICT DO NOTHING), counters and webhook outbox rows only for the events
   that were new; commits;
4. only then empties the processing list.

A crash after 3 and before 4 makes the next flush write the same items again, and
the unique key turns that into nothing. A scan of a code deleted meanwhile is dropped.

A scan whose own write failed while its commit was under way (the connection broke
after COMMIT was sent) may have committed anyway; it is buffered too and may count
twice. Scans that find the breaker open or cannot connect never reach the database,
so this only concerns the few in flight at the moment of the failure.
"""
import json
import logging
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from webapp.infra.resilience import breakers, retries
from webapp.infra.resilience.guard import guard
from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.infra.redis_client import get_redis
from webapp.services import signals
from webapp.services.scans.counters import counter_bumps
from webapp.services.scans.writes import COLUMNS, _SQLITE_COUNTER, _write_outbox

log = logging.getLogger(__name__)

BUFFER_KEY = "scanlink:scan-buffer"
PROCESSING_KEY = "scanlink:scan-buffer:processing"
LEASE_KEY = "scanlink:scan-buffer:lease"
LEASE_SECONDS = 300
# Deletes KEYS[2] only while this flusher (ARGV[1]) holds the lease (KEYS[1]).
_CLEAR_IF_HELD = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                  "redis.call('del', KEYS[2]) return 1 end return 0")


def push(target, row, redis=None):
    """Buffers one scan (a `scans.scan_row` of the slug_cache.ScanTarget `target`);
    raises when Redis cannot take it either."""
    item = {
        "key": uuid.uuid4().hex,
        "row": dict(row, scanned_at=row["scanned_at"].isoformat()),
        "code": {"owner_id": target.owner_id, "slug": target.slug, "title": target.title},
    }
    redis = redis or get_redis()
    guard(breakers.redis_breaker(), redis.rpush, BUFFER_KEY, json.dumps(item))
    return item["key"]


def backlog(redis=None):
    """(buffered, being written) scan counts."""
    redis = redis or get_redis()
    with redis.pipeline() as pipe:
        pipe.llen(BUFFER_KEY)
        pipe.llen(PROCESSING_KEY)
        waiting, processing = pipe.execute()
    return waiting, processing


def flush(limit=None):
    """Writes buffered scans to the database; returns a summary. Safe to run anywhere,
    any time, concurrently (one at a time does the work)."""
    redis = get_redis()
    limit = limit or current_app.config["SCAN_BUFFER_BATCH"]
    token = uuid.uuid4().hex
    if not redis.set(LEASE_KEY, token, nx=True, ex=LEASE_SECONDS):
        return {"skipped": "another flush is running"}
    written = total = 0
    try:
        while True:
            items = redis.lrange(PROCESSING_KEY, 0, -1)  # left by a flusher that crashed
            while len(items) < limit:
                item = redis.lmove(BUFFER_KEY, PROCESSING_KEY, "LEFT", "RIGHT")
                if item is None:
                    break
                items.append(item)
            if not items:
                break
            written += retries.retrying()(write, [json.loads(item) for item in items])
            total += len(items)
            if not redis.eval(_CLEAR_IF_HELD, 2, LEASE_KEY, PROCESSING_KEY, token):
                # Our lease ran out and another flusher may own the processing list now:
                # what it moved there is its to write and clear (ours are written, keyed).
                log.warning("scan buffer: the flush lease expired; leaving the rest to another flush")
                break
            if len(items) < limit:
                break
    finally:
        # Only our own lease: one that expired and was taken by another flusher stays.
        redis.eval(_CLEAR_IF_HELD, 2, LEASE_KEY, LEASE_KEY, token)
    return {"buffered": total, "written": written}


def write(items):
    """Writes buffered items in one transaction and commits; returns how many were new."""
    from webapp.services.scans.recording import scan_hooks_of

    try:
        connection = db.session.connection()
        new_rows, new_ids, hooks = [], [], []
        for item in items:
            row = dict(item["row"], scanned_at=datetime.fromisoformat(item["row"]["scanned_at"]))
            event_id = _insert_once(connection, item["key"], row)
            if event_id is None:
                continue
            code = item["code"]
            new_rows.append(row)
            new_ids.append(event_id)
            hooks.append(scan_hooks_of(code["owner_id"], row["qr_code_id"], code["slug"],
                                       code["title"]))
        if new_rows:
            connection.execute(text(_SQLITE_COUNTER), counter_bumps(new_rows))
            if any(hooks):
                _write_outbox(connection, new_ids, new_rows, hooks, signals.after_commit)
            if signals.scan_recorded.receivers:
                for event_id, row in zip(new_ids, new_rows):
                    signals.scan_recorded.send(ScanEvent(id=event_id, **row),
                                               connection=connection,
                                               after_commit=signals.after_commit)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    log.info("scan buffer: %d of %d buffered scans were new", len(new_rows), len(items))
    return len(new_rows)


def _insert_once(connection, key, row):
    """The new event's id, or None when this key was written before (or its code is gone)."""
    values = {c: row[c] for c in COLUMNS}
    values["buffer_key"] = key
    dialect = connection.dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(ScanEvent.__table__)
    elif dialect == "sqlite":
        stmt = sqlite.insert(ScanEvent.__table__)
    else:  # another database: no upsert; the unique index still refuses a second copy
        stmt = insert(ScanEvent.__table__)
    if hasattr(stmt, "on_conflict_do_nothing"):
        stmt = stmt.on_conflict_do_nothing(index_elements=["buffer_key"],
                                           index_where=text("buffer_key IS NOT NULL"))
    try:
        with connection.begin_nested():
            return connection.execute(stmt.values(values).returning(ScanEvent.id)).scalar()
    except IntegrityError:  # the code was deleted while its scan waited
        log.warning("scan buffer: dropped a scan of %s, which no longer exists", row["qr_code_id"])
        return None
