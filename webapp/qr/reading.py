"""Where the gate's second opinions are read: in a thread beside the drawing, or inline.

OpenCV lets go of the GIL while it reads and drawing a view does not, so a verdict
asked for by a person (the editor, the API) has WeChat read each view in a thread of
its own while the next view is drawn. A bulk job reads inline: its speed comes from a
worker per core, each taking the job's chunks, where a second thread per job would
only make the workers contend for the same cores.
"""
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from webapp.qr import decoders

_readers = threading.local()  # each verdict-making thread's reader thread


def beside():
    """The calling thread's own reader thread, kept (with its decoders) for its next verdicts;
    made again in a forked process, which has none of its parent's threads."""
    pool = getattr(_readers, "pool", None)
    if pool is None or _readers.pid != os.getpid():
        pool = _readers.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate-reader")
        _readers.pid = os.getpid()
    return pool


class _Inline:
    """An executor that runs what it is given at once, in the calling thread."""

    @staticmethod
    def submit(fn, *args):
        done = Future()
        done.set_result(fn(*args))
        return done


INLINE = _Inline()


def read(names, image, payload):
    """{decoder: whether it read exactly `payload`} for each decoder named."""
    return {name: decoders.reads(name, image, payload) for name in names}
