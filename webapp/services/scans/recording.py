"""Recording scans: a scan becomes a row and a count, durably, exactly once.

Two ways to record one, both through `writes.write_scans`, the one place where
the rows that must commit with a scan are written:

* `count_scan`, the scan redirect: the scan joins a group commit with the
  scans of concurrent requests (`group_commit`) and is committed when it
  returns; while the database is down it is buffered in Redis (`buffer`);
* `record_scan`: written in the session's transaction; the caller commits.
"""
import logging

from flask import current_app

from webapp.extensions import db
from webapp.infra.resilience import breakers, failures
from webapp.infra.resilience.guard import guard
from webapp.models import QrCode, ScanEvent
from webapp.services import signals
from webapp.services.scans import buffer, group_commit, targets
from webapp.services.scans.rows import scan_row
from webapp.services.scans.writes import write_scans

log = logging.getLogger(__name__)


def count_scan(target, **request_facts):
    """Records one scan of the code (a `targets.ScanTarget`) durably, with its webhook
    outbox rows, and returns its event id once it is committed (in a group commit with
    concurrent scans). When the database is down (or its breaker open) the scan is
    buffered in Redis instead (`buffer`) and None is returned; raises when it could be
    neither committed nor buffered."""
    row = scan_row(target.code_id, **request_facts)
    try:
        return guard(breakers.database_breaker(), _commit, target, row)
    except Exception as exc:
        if not failures.database_error(exc):
            raise
        if db.session.registry.has():
            db.session.rollback()
        key = buffer.push(target, row)
        log.warning("database unavailable (%s); scan of %s buffered as %s",
                    type(exc).__name__, target.code_id, key)
        return None


def _commit(target, row):
    if db.session.registry.has():
        # A look-up that went to the database (a cache miss) holds a pooled connection;
        # give it back before waiting for the commit, which needs one too.
        db.session.close()
    committer = group_commit.for_app(current_app._get_current_object(), db.engine)
    return committer.commit(dict(row, hooks=target.webhooks()))


def record_scan(code_id, *, user_agent="", referrer="", ip=None, country=None, at=None):
    """Writes one scan in the session's transaction and returns its (transient)
    ScanEvent with its id. The caller commits; a rollback undoes the scan. Its webhooks
    are the ones the redirect would find, read from the database."""
    row = scan_row(code_id, user_agent=user_agent, referrer=referrer, ip=ip, country=country, at=at)
    code = db.session.get(QrCode, code_id)
    target = code and targets.load(code.slug)
    hooks = target.webhooks() if target else None
    [event_id] = write_scans(db.session.connection(), [dict(row, hooks=hooks)], signals.after_commit)
    return ScanEvent(id=event_id, **row)
