"""Periodic work: a registry, and one run per period however many processes ask.

Every worker process runs a scheduler (`workers/scheduler.py`), and an outside
cron may call `POST /api/jobs/process`; several machines may do both. Time is
cut into aligned periods (slot = now // interval); whoever first claims a
task's slot in Redis (SET NX) runs it, everyone else skips it until the next
slot. So each task runs at most once per period, and at least once as long as
one scheduler or cron is alive.

Add work with `register("area.name", PeriodicTask("dotted.func", every=...))`
or an entry in PERIODIC. The function takes no arguments, runs inside an app
context, must be safe to run twice, and returns a small JSON-able summary. It
need not commit: the runner commits after it.
"""
import logging
import time
from dataclasses import dataclass

from flask import current_app
from werkzeug.utils import import_string

from webapp.extensions import db
from webapp.infra.redis_client import get_redis

log = logging.getLogger(__name__)

SLOT_KEY = "scanlink:periodic:{name}:{slot}"


@dataclass(frozen=True)
class PeriodicTask:
    func: str
    every: float | str  # seconds, or the name of the config setting that holds them
    queue: str = "high"  # where the scheduler enqueues it
    timeout: int = 300


PERIODIC = {
    "jobs.reap": PeriodicTask("webapp.services.jobs.lifecycle.reap_stale_jobs",
                              every="JOB_REAPER_INTERVAL"),
    "jobs.enqueue_lost": PeriodicTask("webapp.services.jobs.lifecycle.enqueue_lost_jobs",
                                      every="JOB_SWEEP_INTERVAL"),
    "jobs.purge_files": PeriodicTask("webapp.services.jobs.files.purge_expired_files",
                                     every=3600, queue="low", timeout=900),
    "webhooks.sweep": PeriodicTask("webapp.services.webhooks.dispatch.sweep_due_deliveries",
                                   every="WEBHOOK_SWEEP_INTERVAL"),
    "webhooks.prune": PeriodicTask("webapp.services.webhooks.delivery.prune_delivered",
                                   every=24 * 3600, queue="low", timeout=3600),
    # Scans buffered in Redis while the database was down (services/scans/buffer.py).
    "scans.flush_buffer": PeriodicTask("webapp.services.scans.buffer.flush",
                                       every="SCAN_BUFFER_FLUSH_INTERVAL"),
    "scans.rollup": PeriodicTask("webapp.services.analytics.rollups.rollup_due_days",
                                 every="SCAN_ROLLUP_INTERVAL", queue="low", timeout=3600),
}


def register(name, task):
    PERIODIC[name] = task


def interval_of(task, config):
    seconds = config[task.every] if isinstance(task.every, str) else task.every
    return max(float(seconds), 0.5)


def slot_of(at, interval):
    return int(at // interval)


def claim(connection, name, interval, at=None):
    """True for the one caller that gets this task's current period."""
    slot = slot_of(time.time() if at is None else at, interval)
    key = SLOT_KEY.format(name=name, slot=slot)
    return bool(connection.set(key, "1", nx=True, ex=max(int(interval * 2), 2)))


def run_task(name):
    """Run one task now, in the current app context; the caller commits."""
    task = PERIODIC[name]
    started = time.monotonic()
    summary = import_string(task.func)()
    # Work done is worth a line; a sweep that found nothing is not (every few seconds,
    # it would bury the web log of `make run`).
    level = logging.INFO if _did_something(summary) else logging.DEBUG
    log.log(level, "periodic %s done in %.2fs: %s", name, time.monotonic() - started, summary)
    return summary


def _did_something(summary):
    if isinstance(summary, dict):
        return any(_did_something(value) for value in summary.values())
    return bool(summary)


def run_due(app=None):
    """One sweep of due work, synchronously (for `POST /api/jobs/process`)."""
    app = app or current_app._get_current_object()
    connection = get_redis(app)
    report = {"ran": {}, "not_due": [], "failed": {}}
    for name in sorted(PERIODIC):
        if not claim(connection, name, interval_of(PERIODIC[name], app.config)):
            report["not_due"].append(name)
            continue
        try:
            report["ran"][name] = run_task(name)
            db.session.commit()
        except Exception as exc:  # one broken task must not starve the others
            db.session.rollback()
            log.exception("periodic %s failed", name)
            report["failed"][name] = f"{type(exc).__name__}: {exc}"
    return report
