"""The one write path of a scan: `write_scans`, whichever way the scan arrives.

- The scan redirect's group commit (`group_commit`) calls `commit_scans(engine,
  rows)`: a batch of scans from concurrent requests, written by `write_scans` in a
  transaction of its own, committed there.
- `recording.record_scan` calls `write_scans` in the session's transaction; its
  caller commits.
- `buffer.write` (scans taken while the database was down) calls `write_scans`
  with each row's `buffer_key`, so that a flush repeated after a crash writes
  every scan once; it commits.

In that transaction `write_scans` writes:

1. one `scan_events` row per scan (a buffered one only when its key is new and
   its code still exists);
2. the counter bump of each code (one shard per code and batch; see `counters`);
3. the webhook outbox rows of the scans whose row carries `hooks`
   (`ScanTarget.webhooks()`: the endpoints that want the code's scans, its slug
   and title): one `qr.scanned` event per scan, a row per endpoint that still
   takes events, and a delivery requested after the commit.

If anything here raises, the whole transaction rolls back: no event, no count,
no outbox row. When no scan of a batch has webhooks, `commit_scans` sends a
PostgreSQL batch as its one statement in autocommit (an implicit transaction:
one round trip instead of BEGIN, the statement and COMMIT, and durable when it
returns).

The statements of a scan as the redirect writes it are given to the driver
directly: SQLAlchemy's execution layers cost more CPU than the statements
themselves on this path. On PostgreSQL one statement writes the whole batch,
events and counters (a data-modifying WITH always runs once, to completion); on
SQLite a few plain statements after BEGIN IMMEDIATE. Buffered scans are rare and
go through SQLAlchemy Core, one savepoint each.
"""
import json
import logging

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError

from webapp.infra import sqlite_turns
from webapp.models import ScanEvent, WebhookEndpoint, WebhookOutbox
from webapp.services.scans.counters import counter_bumps
from webapp.services.webhooks.dispatch import request_drain
from webapp.services.webhooks.events import scan_outbox_rows

log = logging.getLogger(__name__)

PLAIN_COLUMNS = ("qr_code_id", "scanned_at", "user_agent", "device_type", "os", "browser",
                 "referrer", "ip_hash", "country", "is_bot")
# `served` is '' for a scan that went to the code's own target (every scan of a plain
# code): a batch of those leaves the column out, so its statements are the ones written
# before the column existed, and a version that writes them runs on either schema
# (tests/test_upgrade_workspaces.py scans with today's code while an upgrade runs).
COLUMNS = (*PLAIN_COLUMNS, "served")
_TYPES = {"scanned_at": "timestamp", "is_bot": "boolean"}  # the others: text

# PostgreSQL: the whole batch in one statement, its rows as one JSON parameter (half the
# CPU of one array per column, for the driver and for the server). Ids come from the
# sequence in the order of the sorted rows, so sorting the returned ids gives them back
# in input order (the way SQLAlchemy's own insertmanyvalues matches rows on PostgreSQL).
_PG_BATCH_TEMPLATE = (
    "WITH bump AS (INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "SELECT qr_code_id, shard, scans, bots FROM json_to_recordset(%(counters)s::json) "
    "AS c(qr_code_id text, shard smallint, scans bigint, bots bigint) "
    "ON CONFLICT (qr_code_id, shard) DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans) "
    "INSERT INTO scan_events ({cols}) SELECT {cols} FROM json_to_recordset(%(events)s::json) "
    "AS e({typed}, n integer) ORDER BY n RETURNING id"
)
_PG_BATCH = {columns: _PG_BATCH_TEMPLATE.format(
    cols=", ".join(columns), typed=", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in columns))
    for columns in (PLAIN_COLUMNS, COLUMNS)}
# SQLite: a few plain statements.
_SQLITE_EVENT = {columns: "INSERT INTO scan_events ({}) VALUES ({})".format(
    ", ".join(columns), ", ".join(f":{c}" for c in columns)) for columns in (PLAIN_COLUMNS, COLUMNS)}
# Also how a buffered batch bumps its counters, on both databases.
_COUNTER_UPSERT = (
    "INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "VALUES (:qr_code_id, :shard, :scans, :bots) "
    "ON CONFLICT (qr_code_id, shard) DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans")

_time_processors = {}


def write_scans(connection, rows, after_commit):
    """Writes `rows` (dicts of COLUMNS, `scanned_at` aware UTC, an optional `hooks` and an
    optional `buffer_key`) in `connection`'s transaction: events, counters, outbox rows.
    Returns the events' ids in the order of `rows` (None for a buffered scan written
    before, or whose code is gone). `after_commit(callback)` runs the callback once the
    transaction commits (None: nothing to run). The caller commits or rolls back."""
    if not rows:
        return []
    hooks = [row.get("hooks") for row in rows]
    keys = [row.get("buffer_key") for row in rows]
    # A scan buffered by a version before `served` has none.
    rows = [{c: row[c] for c in PLAIN_COLUMNS} | {"served": row.get("served", "")} for row in rows]
    if any(keys):
        ids = _insert_once(connection, rows, keys)
        new_rows = [row for row, event_id in zip(rows, ids) if event_id is not None]
        if new_rows:
            connection.execute(text(_COUNTER_UPSERT), counter_bumps(new_rows))
    else:
        ids = _insert(connection, rows)
    if any(hooks):
        _write_outbox(connection, ids, rows, hooks, after_commit)
    return ids


def commit_scans(engine, rows):
    """Writes `rows` in a transaction of their own on a pooled connection, commits it,
    then runs the after-commit callbacks; returns the event ids in order."""
    callbacks = []
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql" and not any(row.get("hooks") for row in rows):
            return _write_in_autocommit(connection, rows)
        with sqlite_turns.turn(engine), connection.begin():
            ids = write_scans(connection, rows,
                              lambda callback, *args: callbacks.append((callback, args)))
    for callback, args in callbacks:
        try:
            callback(*args)
        except Exception:  # the scans are committed; a failed follow-up must not undo them
            log.exception("after-commit callback %r of a scan batch failed", callback)
    return ids


def _write_in_autocommit(connection, rows):
    raw = connection.connection.driver_connection
    raw.autocommit = True
    try:
        return write_scans(connection, rows, None)
    finally:
        try:
            raw.autocommit = False
        except connection.dialect.loaded_dbapi.Error:
            # The connection broke (its own error, if any, is on its way up):
            # it must not go back to the pool in autocommit.
            connection.invalidate()


def _insert(connection, rows):
    """The events and the counter bumps of a batch, through the driver; their ids."""
    dialect = connection.dialect
    to_db = _time_processor(dialect)
    stored = [dict(row, scanned_at=to_db(row["scanned_at"])) for row in rows]
    counters = counter_bumps(rows)
    raw = connection.connection.driver_connection
    columns = COLUMNS if any(row["served"] for row in rows) else PLAIN_COLUMNS
    statement = (_PG_BATCH if dialect.name == "postgresql" else _SQLITE_EVENT)[columns]
    try:
        if dialect.name == "postgresql":
            events = json.dumps([{**row, "scanned_at": row["scanned_at"].isoformat(), "n": n}
                                 for n, row in enumerate(stored)])
            return sorted(r[0] for r in raw.execute(
                statement, {"events": events, "counters": json.dumps(counters)}))
        return _write_sqlite(raw, statement, stored, counters)
    except dialect.loaded_dbapi.Error as exc:
        # SQLAlchemy did not run the statement, so it cannot see a dead connection: drop it
        # here, or the pool would hand it to the next batch.
        gone = dialect.is_disconnect(exc, raw, None)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect, connection_invalidated=gone) from exc


def _insert_once(connection, rows, keys):
    """Each event unless its key was written before (ON CONFLICT DO NOTHING on the unique
    buffer_key) or its code was deleted meanwhile; the new ids, None for the others."""
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
    stmt = stmt.returning(ScanEvent.id)
    ids = []
    for row, key in zip(rows, keys):
        try:
            with connection.begin_nested():
                ids.append(connection.execute(stmt.values({**row, "buffer_key": key})).scalar())
        except IntegrityError:  # the code was deleted while its scan waited
            log.warning("dropped a buffered scan of %s, which no longer exists", row["qr_code_id"])
            ids.append(None)
    return ids


def _write_outbox(connection, ids, rows, hooks, after_commit):
    # The hooks come from a cache that can be a moment stale (an endpoint deleted or
    # disabled since): rows for an endpoint that is gone would fail the foreign key and
    # take the scans down with them, so only endpoints that still take events get rows.
    wanted = {endpoint for hook in hooks if hook for endpoint in hook["endpoints"]}
    live = set(connection.execute(
        select(WebhookEndpoint.id).where(WebhookEndpoint.id.in_(wanted),
                                         WebhookEndpoint.enabled.is_(True))).scalars())
    outbox = [entry for event_id, row, hook in zip(ids, rows, hooks)
              if hook and event_id is not None
              for entry in scan_outbox_rows(event_id, row, hook, live=live)]
    if outbox:
        connection.execute(insert(WebhookOutbox.__table__), outbox)
        if after_commit is not None:
            after_commit(request_drain)


def _write_sqlite(raw, statement, stored, counters):
    # Take the write lock first. A transaction that reads and then writes can fail
    # at once with "database is locked" when another writer got in between,
    # whatever the busy timeout; BEGIN IMMEDIATE waits its turn instead.
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
    ids = [raw.execute(statement, row).lastrowid for row in stored]
    raw.executemany(_COUNTER_UPSERT, counters)
    return ids


def _time_processor(dialect):
    """Times are stored exactly as SQLAlchemy stores them (SQLite compares them as text)."""
    processor = _time_processors.get(dialect.name)
    if processor is None:
        column_type = ScanEvent.__table__.c.scanned_at.type.dialect_impl(dialect)
        processor = column_type.bind_processor(dialect)
        _time_processors[dialect.name] = processor
    return processor
