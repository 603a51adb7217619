"""gunicorn settings the Procfile's web process reads (the rest is on its command line).

With PROMETHEUS_MULTIPROC_DIR set, each worker keeps its metrics in files there and
/metrics adds them up; a dead worker's live gauges must be dropped from the sum.
The directory must exist and be emptied before gunicorn starts (the Procfile does).
"""
import os


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
