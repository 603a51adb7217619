"""`python -m workers`: an RQ worker on high, default and low, RQ's retry scheduler,
and the periodic scheduler in a child process."""
import logging
import multiprocessing
import os
import sys

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from webapp.app import create_app
from webapp.infra import storage
from webapp.services.images import optimise
from webapp.services.jobs.queues import QUEUES, queue
from workers import scheduler
from workers.context import on_horse_killed, set_app

log = logging.getLogger("workers")


@retry(retry=retry_if_exception_type((RedisConnectionError, TimeoutError)),
       wait=wait_exponential(max=5), stop=stop_after_delay(60), reraise=True)
def wait_for_redis(connection):
    """At start-up Redis may still be coming up (honcho starts everything at once)."""
    connection.ping()


def start_periodic_scheduler(app):
    """Forked before the worker opens anything, so it shares no sockets with it."""
    process = multiprocessing.get_context("fork").Process(
        target=scheduler.run, args=(app, os.getpid()), name="periodic-scheduler", daemon=True)
    process.start()
    return process


# RQ logs about five lines per job and more for its periodic upkeep, burying the web's
# log under `make run`: only its warnings show; ours say one line per job (context.py).
QUIET_LOGGERS = ("rq.worker", "rq.scheduler", "rq.cron", "rq.queue", "rq.job")


def rq_log_level():
    """RQ_LOG_LEVEL (default WARNING): INFO gives RQ's own line per job back."""
    return os.environ.get("RQ_LOG_LEVEL", "WARNING").upper()


def quiet_rq_logging():
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(rq_log_level())


def build_worker(app, connection):
    return Worker(
        [queue(name, connection) for name in QUEUES], connection=connection,
        # Abandoned-job cleanup and re-taking RQ's retry-scheduler lock happen in
        # maintenance; RQ's default of 10 minutes is too slow to recover from a crash.
        maintenance_interval=app.config["WORKER_MAINTENANCE_INTERVAL"],
        job_monitoring_interval=app.config["WORKER_JOB_MONITORING_INTERVAL"],
        work_horse_killed_handler=on_horse_killed,
    )


def main(argv):
    app = create_app()
    set_app(app)
    burst = "--burst" in argv
    periodic = None if burst else start_periodic_scheduler(app)
    storage.preload(app)  # after the scheduler's fork: its child needs no storage client
    optimise.preload()
    # Its own connection: RQ raises the socket timeout for its blocking dequeue.
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    wait_for_redis(connection)
    worker = build_worker(app, connection)
    quiet_rq_logging()
    log.info("worker listening on %s", ", ".join(QUEUES))
    try:
        worker.work(with_scheduler=True, burst=burst, logging_level=rq_log_level())
    except RedisConnectionError:
        # Redis stopping under a running worker (a shared Redis restarted) ends it quietly;
        # under `make run` the embedded Redis waits for the worker to go (scripts/embedded_redis.py).
        log.warning("Redis went away; the worker stops")
    finally:
        if periodic is not None and periodic.is_alive():
            periodic.terminate()
            periodic.join(timeout=5)


if __name__ == "__main__":
    main(sys.argv[1:])
