"""`python -m workers`: one RQ worker with the scheduler, on high, default and low."""
import logging
import sys

import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Worker
from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_exponential

from webapp import create_app
from webapp.jobqueue import QUEUES, queue

from .context import set_app

log = logging.getLogger("workers")


@retry(retry=retry_if_exception_type((RedisConnectionError, TimeoutError)),
       wait=wait_exponential(max=5), stop=stop_after_delay(60), reraise=True)
def wait_for_redis(connection):
    """At start-up Redis may still be coming up (honcho starts everything at once)."""
    connection.ping()


def main(argv):
    app = create_app()
    set_app(app)
    # Its own connection: RQ raises the socket timeout for its blocking dequeue.
    connection = redis.Redis.from_url(app.config["REDIS_URL"])
    wait_for_redis(connection)
    worker = Worker([queue(name, connection) for name in QUEUES], connection=connection)
    try:
        worker.work(with_scheduler=True, burst="--burst" in argv)
    except RedisConnectionError:
        # Redis stopping first (Ctrl-C under honcho) is an ordinary way to end.
        log.warning("Redis went away; the worker stops")


if __name__ == "__main__":
    main(sys.argv[1:])
