"""The periodic scheduler each `python -m workers` runs beside its RQ worker.

Built on rq.cron's CronScheduler (its loop bookkeeping and its registry, which
RQ's tools can list), with one change: rq.cron has no notion of several
schedulers, so every worker would enqueue every task. Here a task is enqueued
only by the scheduler that claims its period in Redis (see webapp/services/jobs/periodic.py).
RQ's other scheduler, the one that moves retries from the scheduled registry
back to their queue, is started by the worker itself (`with_scheduler=True`).
"""
import logging
import os
import signal
import time
from datetime import datetime, timezone

import redis
from redis.exceptions import RedisError
from rq import Queue
from rq.cron import CronJob, CronScheduler

from webapp.services.jobs import periodic
from workers.periodic import run_task

log = logging.getLogger("workers.scheduler")

HEARTBEAT_EVERY = 30  # seconds; rq.cron forgets a scheduler silent for 120


def _now():
    return datetime.now(timezone.utc)


class PeriodJob(CronJob):
    """A CronJob that runs once per aligned period across every scheduler."""

    def __init__(self, name, task, interval):
        super().__init__(queue_name=task.queue, func=run_task, args=(name,), interval=interval,
                         job_timeout=task.timeout, result_ttl=3600, failure_ttl=7 * 24 * 3600,
                         name=f"scanlink:{name}")
        self.task_name = name

    def get_next_enqueue_time(self):
        slot = periodic.slot_of(time.time(), self.interval)
        return datetime.fromtimestamp((slot + 1) * self.interval, timezone.utc)

    def should_run(self):
        return self.next_enqueue_time is None or _now() >= self.next_enqueue_time

    def enqueue(self, connection):
        at = time.time()
        if not periodic.claim(connection, self.task_name, self.interval, at):
            return None  # another scheduler, or the cron URL, has this period
        slot = periodic.slot_of(at, self.interval)
        job_id = f"periodic-{self.task_name.replace('.', '_')}-{slot}"
        log.debug("periodic %s: enqueued for period %s", self.task_name, slot)
        return Queue(self.queue_name, connection=connection).enqueue(
            self.func, args=self.args, job_id=job_id, **self.job_options)


def build_scheduler(connection, config, tasks=None):
    scheduler = CronScheduler(connection=connection, name=f"scanlink-{os.getpid()}-{time.time_ns()}")
    for name, task in sorted((tasks or periodic.PERIODIC).items()):
        scheduler._cron_jobs.append(PeriodJob(name, task, periodic.interval_of(task, config)))
    return scheduler


def run(app, parent_pid):
    """The scheduler process: tick until stopped, or until the worker that started it is gone."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(True))
    connection = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=10,
                                      socket_connect_timeout=10)
    scheduler = build_scheduler(connection, app.config)
    registered = False
    pause, last_beat = 1.0, 0.0
    while not stopping and os.getppid() == parent_pid:
        try:
            if not registered:
                scheduler.register_birth()
                registered = True
            if scheduler.enqueue_jobs():
                scheduler.save()
            if time.monotonic() - last_beat >= HEARTBEAT_EVERY:
                scheduler.heartbeat()
                last_beat = time.monotonic()
            pause = 1.0
            sleep = min(scheduler.calculate_sleep_interval(), 1.0)
        except RedisError:
            log.warning("periodic scheduler: Redis unavailable; trying again in %.0fs", pause)
            sleep, pause = pause, min(pause * 2, 30.0)
        time.sleep(max(sleep, 0.05))
    if registered:
        try:
            scheduler.register_death()
        except Exception:  # Redis gone, or already pruned: nothing to undo
            pass
