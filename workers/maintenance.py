"""Small jobs that keep the system honest."""
import os
import socket
import time

from rq import get_current_job

from workers.context import tracked


@tracked
def check_worker(run):
    """Proves the round trip web → Redis → worker → database works."""
    rq_job = get_current_job()
    return {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "worker": rq_job.worker_name if rq_job else None,
        "answered_at": time.time(),
    }
