"""Prometheus metrics: counters bumped where things happen, gauges read at scrape time.

Counters and the latency histogram live in each process; under gunicorn, with
PROMETHEUS_MULTIPROC_DIR set (before the server starts), prometheus-client keeps
them in files there and `/metrics` adds up every process's files (gunicorn.conf.py
marks dead workers). Job counts, the outbox backlog and breaker states are read
from the database and Redis when scraped (`StateCollector`): they are facts about
shared state, not about one process, so they are never summed across processes.
"""
import logging
import os
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
BREAKER_STATES = ("closed", "open", "half-open")

SCANS = Counter("scanlink_scans_total", "Scans answered by the redirect, by what became of them",
                ["outcome"])  # recorded | buffered | lost
REDIRECT_SECONDS = Histogram(
    "scanlink_redirect_seconds", "Time to answer a scan redirect (look-up and durable write)",
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
UNAVAILABLE = Counter("scanlink_scan_unavailable_total",
                      "Scans answered with 503: neither Redis nor the database could say where to")
BREAKER_TRANSITIONS = Counter("scanlink_breaker_transitions_total",
                              "Breaker state changes", ["breaker", "state"])
DELIVERIES = Counter("scanlink_webhook_deliveries_total",
                     "Webhook delivery attempts by outcome", ["outcome"])


def scan(outcome, started):
    SCANS.labels(outcome).inc()
    REDIRECT_SECONDS.observe(time.perf_counter() - started)


def breaker_transition(name, state):
    # Per-host webhook breakers would make one series per receiver; they share a label.
    BREAKER_TRANSITIONS.labels("webhook" if name.startswith("webhook:") else name, state).inc()


def delivery(outcome):
    DELIVERIES.labels(outcome).inc()


class StateCollector:
    """Gauges computed at scrape time from the database and Redis, in the app's context."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from sqlalchemy import func, select

        from .extensions import db
        from .models import BackgroundJob, WebhookOutbox
        from .resilience import breaker_snapshots, local_breakers

        with self.app.app_context():
            jobs = GaugeMetricFamily("scanlink_jobs", "Background jobs by status", labels=["status"])
            outbox = GaugeMetricFamily("scanlink_webhook_outbox", "Webhook outbox rows by status",
                                       labels=["status"])
            try:
                for status, count in db.session.execute(
                        select(BackgroundJob.status, func.count()).group_by(BackgroundJob.status)):
                    jobs.add_metric([status], count)
                for status, count in db.session.execute(
                        select(WebhookOutbox.status, func.count()).group_by(WebhookOutbox.status)):
                    outbox.add_metric([status], count)
            except Exception:
                log.warning("metrics: the database did not answer", exc_info=True)
                db.session.rollback()
            finally:
                db.session.remove()
            yield jobs
            yield outbox

            state = GaugeMetricFamily("scanlink_breaker_state",
                                      "1 for the state each breaker is in", labels=["breaker", "state"])
            rows = []
            try:
                rows = [(row["name"], row["state"]) for row in breaker_snapshots()]
            except Exception:
                log.warning("metrics: Redis did not answer", exc_info=True)
            rows += [(f"{name}@{os.getpid()}", breaker.current_state)
                     for name, breaker in local_breakers(self.app).items()]
            for name, current in rows:
                for candidate in BREAKER_STATES:
                    state.add_metric([name, candidate], 1 if current == candidate else 0)
            yield state


def exposition(app):
    """The text of a scrape: this process's metrics (or every process's, in multi-process
    mode) and the gauges of shared state."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (SCANS, REDIRECT_SECONDS, UNAVAILABLE, BREAKER_TRANSITIONS, DELIVERIES):
            registry.register(metric)
    registry.register(StateCollector(app))
    return generate_latest(registry)
