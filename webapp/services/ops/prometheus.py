"""What /metrics serves: this process's counters (or every process's, under gunicorn)
and gauges of shared state read at scrape time.

Job counts, the outbox backlog and breaker states are read from the database and
Redis when scraped (`StateCollector`): they are facts about shared state, not about
one process, so they are never summed across processes.
"""
import logging
import os

from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy import func, select

from webapp.extensions import db
from webapp.infra import metrics
from webapp.infra.resilience.breakers import breaker_snapshots, local_breakers
from webapp.models import BackgroundJob, WebhookOutbox

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
BREAKER_STATES = ("closed", "open", "half-open")


class StateCollector:
    """Gauges computed at scrape time from the database and Redis, in the app's context."""

    def __init__(self, app):
        self.app = app

    def collect(self):
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
        multiprocess.MultiProcessCollector(registry)
    else:
        for metric in (metrics.SCANS, metrics.REDIRECT_SECONDS, metrics.UNAVAILABLE,
                       metrics.BREAKER_TRANSITIONS, metrics.DELIVERIES):
            registry.register(metric)
    registry.register(StateCollector(app))
    return generate_latest(registry)
