"""A real RQ worker, run in this process on the test's Redis."""
from rq import SimpleWorker

from webapp.infra.redis_client import get_redis
from webapp.services.jobs.queues import QUEUES, queue
from workers.context import set_app


class CountingWorker(SimpleWorker):
    """SimpleWorker that also remembers how many jobs it ran, for assertions."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.performed = 0

    def perform_job(self, *args, **kwargs):
        self.performed += 1
        return super().perform_job(*args, **kwargs)


def run_burst(app, with_scheduler=False):
    """Work until the queues are empty. Returns the number of jobs the worker ran."""
    set_app(app)
    connection = get_redis(app)
    worker = CountingWorker([queue(name, connection) for name in QUEUES], connection=connection)
    worker.work(burst=True, with_scheduler=with_scheduler)
    return worker.performed
