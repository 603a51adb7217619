"""Prometheus counters, bumped where things happen (services.ops.prometheus serves them).

Counters and the latency histogram live in each process; under gunicorn, with
PROMETHEUS_MULTIPROC_DIR set (before the server starts), prometheus-client keeps
them in files there and `/metrics` adds up every process's files (gunicorn.conf.py
marks dead workers).
"""
import time

from prometheus_client import Counter, Histogram

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
