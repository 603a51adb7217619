"""Scans taken while the database is down: kept in a Redis list, written once it is back.

`push` (the scan redirect, when its write failed because the database is gone or
its breaker is open) appends the scan as JSON with a fresh key. `flush` (a periodic
task) writes buffered scans exactly once, however it is interrupted:

1. it takes a lease (SET NX with expiry), so one flusher runs at a time;
2. it first re-reads what a crashed flusher left on the processing list, then moves
   new items there one by one (LMOVE: an item is always on one of the two lists);
3. it writes them in one transaction through the scans' one write path
   (`writes.write_scans`), each event with its key under a unique index, counters
   and webhook outbox rows only for the events that were new; commits;
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

from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.infra.resilience import breakers, retries
from webapp.infra.resilience.guard import guard
from webapp.services import signals
from webapp.services.scans.writes import write_scans
from webapp.services.webhooks import events

log = logging.getLogger(__name__)

BUFFER_KEY = "scanlink:scan-buffer"
PROCESSING_KEY = "scanlink:scan-buffer:processing"
LEASE_KEY = "scanlink:scan-buffer:lease"
LEASE_SECONDS = 300
# Deletes KEYS[2] only while this flusher (ARGV[1]) holds the lease (KEYS[1]).
_CLEAR_IF_HELD = ("if redis.call('get', KEYS[1]) == ARGV[1] then "
                  "redis.call('del', KEYS[2]) return 1 end return 0")


def push(target, row, redis=None):
    """Buffers one scan (a `rows.scan_row` of the `targets.ScanTarget`), with the webhooks
    that want it; raises when Redis cannot take it either."""
    item = {
        "key": uuid.uuid4().hex,
        "row": dict(row, scanned_at=row["scanned_at"].isoformat()),
        "hooks": target.webhooks(),
        # What a version older than `hooks` reads instead, so that rolling back while scans
        # wait here loses none of them. No owner: that version took it for a user id, and a
        # shared workspace's id may be another user's; such scans reach no webhook there.
        "code": {"owner_id": None, "slug": target.slug, "title": target.title},
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
    try:
        rows = [dict(item["row"], scanned_at=datetime.fromisoformat(item["row"]["scanned_at"]),
                     buffer_key=item["key"], hooks=_hooks(item)) for item in items]
        ids = write_scans(db.session.connection(), rows, signals.after_commit)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    new = sum(event_id is not None for event_id in ids)
    log.info("scan buffer: %d of %d buffered scans were new", new, len(items))
    return new


def _hooks(item):
    if "hooks" in item:
        return item["hooks"]
    # Buffered before an upgrade by a version that kept the code's owner, not its webhooks.
    code, code_id = item["code"], item["row"]["qr_code_id"]
    endpoints = [endpoint for endpoint, code_filter in events.scan_subscriptions(code["owner_id"])
                 if code_filter in (None, code_id)]
    return {"endpoints": endpoints, "slug": code["slug"], "title": code["title"]} if endpoints else None
