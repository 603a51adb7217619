"""gunicorn settings, read by the Procfile's web process (gunicorn's default config file is
./gunicorn.conf.py; the rest of the settings are on the Procfile's command line).

With PROMETHEUS_MULTIPROC_DIR set, each worker keeps its metrics in files there and
/metrics adds them up: the directory is emptied when gunicorn starts (a previous
run's counters must not be added in), and a dead worker's files are marked dead.
"""
import os
import shutil


def on_starting(server):
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        shutil.rmtree(path, ignore_errors=True)
        os.makedirs(path, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
