"""A helper process that ends with the process that started it.

A `ProcessPoolExecutor` worker waits for its next task on a pipe it holds both ends of,
so it never sees its owner go: an owner killed outright (a gunicorn worker past its
timeout, the out-of-memory killer) or ending with `os._exit` (an RQ work horse) would
leave it behind. `follow_parent`, given as the pool's initializer, ends it instead.
Standard library only: the pool's processes import this module and nothing else of ours.
"""
import multiprocessing
import os
import threading


def follow_parent():
    """Ends this process as soon as its parent has ended."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch():
        parent.join()
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()
