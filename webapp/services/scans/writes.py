"""The rows that must commit with a scan, written in one place: `write_scans`.

`scans.record_scan` calls `write_scans(connection, rows, after_commit)` in the
session's transaction (its caller commits); the group commit of the scan
redirect (`scan_commits`) calls `commit_scans(engine, rows)`, which runs
`write_scans` for a batch of scans from concurrent requests in a transaction of
its own and commits it. `write_scans` writes, in that transaction:

1. one `scan_events` row per scan;
2. the counter bump of each code (one shard per code and batch; see `scans`);
3. the webhook outbox rows of the scans whose row carries `hooks` (the
   endpoints that subscribed to the code's scans, from `scan_hooks`, with the
   code's slug and title): one `qr.scanned` event per scan, a row per
   endpoint, and a delivery requested after the commit;
4. whatever the receivers of `signals.scan_recorded` write. Each receiver is
   called once per scan as `receiver(event, connection=..., after_commit=...)`:
   `event` is a transient ScanEvent with its id (the row is already written: do
   not add it to a session); `connection` is the SQLAlchemy Connection of the
   scan's transaction, and rows that must commit with the scan (the webhook
   outbox) are written with it (Core statements, not `db.session`: in the
   group commit the session of the request is not the scan's transaction);
   `after_commit(callback, *args)` runs a callback only once that transaction
   has committed (enqueueing a delivery, say) and never when it rolls back.
   A receiver that changes `db.session` instead makes `commit_scans` refuse the
   batch (those rows would otherwise be dropped without a word). Receivers run
   on the hot path of every scan: each statement they send is a round trip
   inside the batch, so keep them to a write or two (read what they need from
   a cache, not from the database, per scan).

If anything here raises, the whole transaction rolls back: no event, no count,
no outbox row. Only `commit_scans` commits. While nothing listens to
`scan_recorded` and no scan of the batch has webhooks, `commit_scans` sends a
PostgreSQL batch as its one statement
in autocommit (an implicit transaction: one round trip instead of BEGIN, the
statement and COMMIT, and durable when it returns); with receivers it opens a
transaction as usual.

The statements are given to the driver directly: SQLAlchemy's execution layers
cost more CPU than the statements themselves on this path. On PostgreSQL one
statement writes the whole batch, events and counters (a data-modifying WITH
always runs once, to completion); on SQLite a few plain statements after BEGIN
IMMEDIATE.
"""
import json
import logging

from sqlalchemy import insert, select
from sqlalchemy.exc import DBAPIError

from webapp.extensions import db
from webapp.models import ScanEvent, WebhookEndpoint, WebhookOutbox
from webapp.services import signals
from webapp.services.scans.counters import counter_bumps

log = logging.getLogger(__name__)

COLUMNS = ("qr_code_id", "scanned_at", "user_agent", "device_type", "os", "browser", "referrer",
           "ip_hash", "country", "is_bot")
_TYPES = {"scanned_at": "timestamp", "is_bot": "boolean"}  # the others: text

# PostgreSQL: the whole batch in one statement, its rows as one JSON parameter (half the
# CPU of one array per column, for the driver and for the server). Ids come from the
# sequence in the order of the sorted rows, so sorting the returned ids gives them back
# in input order (the way SQLAlchemy's own insertmanyvalues matches rows on PostgreSQL).
_PG_BATCH = (
    "WITH bump AS (INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "SELECT qr_code_id, shard, scans, bots FROM json_to_recordset(%(counters)s::json) "
    "AS c(qr_code_id text, shard smallint, scans bigint, bots bigint) "
    "ON CONFLICT (qr_code_id, shard) DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans) "
    "INSERT INTO scan_events ({cols}) SELECT {cols} FROM json_to_recordset(%(events)s::json) "
    "AS e({typed}, n integer) ORDER BY n RETURNING id"
).format(cols=", ".join(COLUMNS),
         typed=", ".join(f"{c} {_TYPES.get(c, 'text')}" for c in COLUMNS))
# SQLite: a few plain statements.
_SQLITE_EVENT = "INSERT INTO scan_events ({}) VALUES ({})".format(
    ", ".join(COLUMNS), ", ".join(f":{c}" for c in COLUMNS))
_SQLITE_COUNTER = (
    "INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "VALUES (:qr_code_id, :shard, :scans, :bots) "
    "ON CONFLICT (qr_code_id, shard) DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans")

_time_processors = {}


def write_scans(connection, rows, after_commit):
    """Writes `rows` (dicts of COLUMNS, `scanned_at` aware UTC, and an optional `hooks`)
    in `connection`'s transaction, bumps the counters, writes the webhook outbox rows
    and sends `scan_recorded` for each; returns the events' ids in the order of `rows`.
    The caller commits or rolls back."""
    if not rows:
        return []
    hooks = [row.get("hooks") for row in rows]
    rows = [{c: row[c] for c in COLUMNS} for row in rows]
    dialect = connection.dialect
    to_db = _time_processor(dialect)
    stored = [dict(row, scanned_at=to_db(row["scanned_at"])) for row in rows]
    counters = counter_bumps(rows)
    raw = connection.connection.driver_connection
    statement = _PG_BATCH if dialect.name == "postgresql" else _SQLITE_EVENT
    try:
        if dialect.name == "postgresql":
            events = json.dumps([{**row, "scanned_at": row["scanned_at"].isoformat(), "n": n}
                                 for n, row in enumerate(stored)])
            ids = sorted(r[0] for r in raw.execute(
                _PG_BATCH, {"events": events, "counters": json.dumps(counters)}))
        else:
            ids = _write_sqlite(raw, stored, counters)
    except dialect.loaded_dbapi.Error as exc:
        # SQLAlchemy did not run the statement, so it cannot see a dead connection: drop it
        # here, or the pool would hand it to the next batch.
        gone = dialect.is_disconnect(exc, raw, None)
        if gone:
            connection.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error,
                                  dialect=dialect, connection_invalidated=gone) from exc
    if any(hooks):
        _write_outbox(connection, ids, rows, hooks, after_commit)
    if signals.scan_recorded.receivers:
        for event_id, row in zip(ids, rows):
            signals.scan_recorded.send(ScanEvent(id=event_id, **row), connection=connection,
                                       after_commit=after_commit)
    return ids


def commit_scans(engine, rows):
    """Writes `rows` in a transaction of their own on a pooled connection, commits it,
    then runs the after-commit callbacks; returns the event ids in order."""
    callbacks = []
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        if (connection.dialect.name == "postgresql" and not signals.scan_recorded.receivers
                and not any(row.get("hooks") for row in rows)):
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
        with connection.begin():
            before = _session_changes()
            ids = write_scans(connection, rows,
                              lambda callback, *args: callbacks.append((callback, args)))
            if _session_changes() != before:
                # Rolled back with the batch: rows added to the request's session here would
                # be dropped silently, as that session is not the scan's transaction.
                raise RuntimeError("a scan_recorded receiver wrote through db.session; in a group "
                                   "commit it must write through the `connection` it is given")
    for callback, args in callbacks:
        try:
            callback(*args)
        except Exception:  # the scans are committed; a failed follow-up must not undo them
            log.exception("after-commit callback %r of a scan batch failed", callback)
    return ids


def _write_outbox(connection, ids, rows, hooks, after_commit):
    from webapp.services.webhooks.dispatch import request_drain
    from webapp.services.webhooks.events import scan_outbox_rows

    # The hooks come from a cache that can be a moment stale (an endpoint deleted or
    # disabled since): rows for an endpoint that is gone would fail the foreign key and
    # take the scans down with them, so only endpoints that still take events get rows.
    wanted = {endpoint for hook in hooks if hook for endpoint in hook["endpoints"]}
    live = set(connection.execute(
        select(WebhookEndpoint.id).where(WebhookEndpoint.id.in_(wanted),
                                         WebhookEndpoint.enabled.is_(True))).scalars())
    outbox = [entry for event_id, row, hook in zip(ids, rows, hooks) if hook
              for entry in scan_outbox_rows(event_id, row, hook, live=live)]
    if outbox:
        connection.execute(insert(WebhookOutbox.__table__), outbox)
        if after_commit is not None:
            after_commit(request_drain)


def _session_changes():
    """What the current session holds unflushed (nothing when it has not been opened)."""
    if not db.session.registry.has():
        return (), (), ()
    session = db.session()
    return set(session.new), set(session.dirty), set(session.deleted)


def _write_sqlite(raw, stored, counters):
    # Take the write lock first. A transaction that reads and then writes can fail
    # at once with "database is locked" when another writer got in between,
    # whatever the busy timeout; BEGIN IMMEDIATE waits its turn instead.
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
    ids = [raw.execute(_SQLITE_EVENT, row).lastrowid for row in stored]
    raw.executemany(_SQLITE_COUNTER, counters)
    return ids


def _time_processor(dialect):
    """Times are stored exactly as SQLAlchemy stores them (SQLite compares them as text)."""
    processor = _time_processors.get(dialect.name)
    if processor is None:
        column_type = ScanEvent.__table__.c.scanned_at.type.dialect_impl(dialect)
        processor = column_type.bind_processor(dialect)
        _time_processors[dialect.name] = processor
    return processor
