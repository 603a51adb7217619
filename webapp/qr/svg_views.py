"""resvg draws a logo code's SVG views, in a process of its own for a person's verdict.

resvg_py holds the GIL while it draws: two threads drawing take as long as one after the
other. The ten SVG views were half of a logo verdict's time in the calling thread, so a
verdict asked for by a person (the editor, the API) has them drawn by one drawing process
per web process, started on first use, while this process draws the PNG views and WeChat
reads in the reader thread. A bulk job draws them itself: its speed comes from a worker
per core (webapp/qr/reading.py).

The process is a spare pair of hands, not a dependency: if it dies, hangs or cannot be
started, the picture is drawn here, and a new one is started a minute later at the
earliest. It ends when its owner does, however that ends (`webapp/lifeline.py`).

It is started the way `multiprocessing` starts a fresh interpreter ("spawn": safe
beside threads), which imports the main script again: gunicorn's, flask's and a
`python -m` module's do nothing on import; a script of one's own must keep its work
under `if __name__ == "__main__":`.
"""
import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool

import resvg_py

from webapp import lifeline

log = logging.getLogger(__name__)
WAIT_SECONDS = 20  # for one picture, which takes resvg 5-40 ms
RETRY_AFTER = 60  # seconds without a drawing process after one failed
_lock = threading.Lock()
_pool = {"executor": None, "failed_at": None}


def _options(svg):
    # The system's fonts are loaded only for a frame's text (a few ms a picture).
    return {"svg_string": svg, "skip_system_fonts": "<text" not in svg}


def draw(svg):
    """PNG bytes of `svg` as resvg draws it, in this process."""
    return resvg_py.svg_to_bytes(**_options(svg))


def start_drawing(svg):
    """A future of `draw(svg)` from the drawing process (None: none is running); `picture`
    collects it."""
    executor = _executor()
    if executor is None:
        return None
    try:
        future = executor.submit(resvg_py.svg_to_bytes, **_options(svg))
    except Exception as exc:  # noqa: BLE001 - it died, or cannot start: drawn here
        log.warning("the SVG drawing process failed (%r): drawing here", exc)
        _forget(executor)
        return None
    future.executor = executor
    return future


def picture(future, svg):
    """The PNG bytes of a `start_drawing` future; drawn here if the process failed.

    WAIT_SECONDS counts from when the picture is being drawn: one process serves every
    thread of its web process, so a picture may wait its turn behind others first."""
    while future is not None:
        try:
            return future.result(timeout=WAIT_SECONDS)
        except FutureTimeout:
            if not future.running():
                continue  # still queued behind other pictures
            log.warning("the SVG drawing process hangs: drawing here")
            _forget(future.executor)
        except BrokenProcessPool as exc:
            log.warning("the SVG drawing process failed (%r): drawing here", exc)
            _forget(future.executor)
        except Exception as exc:  # noqa: BLE001 - resvg's own error is raised here again
            log.warning("the SVG drawing process could not draw it (%r): drawing here", exc)
        break
    return draw(svg)


def _executor():
    """This process's drawing process, started when it has none (and none failed lately)."""
    with _lock:
        failed_at = _pool["failed_at"]
        if _pool["executor"] is None and (failed_at is None
                                          or time.monotonic() - failed_at >= RETRY_AFTER):
            try:  # the process itself starts on the first submit
                executor = ProcessPoolExecutor(max_workers=1, initializer=lifeline.follow_parent,
                                               mp_context=multiprocessing.get_context("spawn"))
            except Exception as exc:  # noqa: BLE001 - no semaphores or /dev/shm, say
                log.warning("no SVG drawing process (%r): drawing in the calling thread", exc)
                _pool["failed_at"] = time.monotonic()
                return None
            _pool.update(executor=executor, failed_at=None)
        return _pool["executor"]


def _forget(executor):
    """Drops `executor` if it is still the current one, stopping a hung process, so that a
    new one is started after RETRY_AFTER."""
    with _lock:
        if _pool["executor"] is not executor:
            return
        _pool.update(executor=None, failed_at=time.monotonic())
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        process.kill()
    executor.shutdown(wait=False, cancel_futures=True)


def _after_fork_in_child():
    """A forked child has its parent's executor object, whose threads did not come along
    (its pipes did, and stay the parent's), and maybe a lock another thread held at the
    fork."""
    global _lock
    _lock = threading.Lock()
    _pool.update(executor=None, failed_at=None)


os.register_at_fork(after_in_child=_after_fork_in_child)
