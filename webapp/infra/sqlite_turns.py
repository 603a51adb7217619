"""Turns at writing one SQLite file, across processes, handed on without sleeping.

SQLite lets one connection write at a time. The others wait in its busy handler,
which sleeps 1, 2, 5, 10 … up to 100 ms between tries and is not woken when the
lock is let go. Two gunicorn processes that both commit scan batches all the time
take the lock from under each other's sleep, so a batch could sleep through
several 100 ms naps while the other process wrote batch after batch (p99 of the
scan redirect at 32 connections: 375 to 483 ms in bench/scan_redirect.py).

`turn(engine)` first takes an exclusive `flock` of a file beside the database
(`<database>-writers.lock`): the kernel wakes the next waiting process the moment
the lock is let go, and its BEGIN IMMEDIATE then finds the database free. Writers
that do not take a turn (page requests, jobs; rare next to scans) still meet the
busy handler, as before.

The wait has no deadline of its own: a turn is held only around one batch's
transaction, whose BEGIN IMMEDIATE gives up after the busy timeout, and a process
that dies lets go of its turn with its files. (A process stopped with SIGSTOP in the
middle of a batch would hold it, as it would hold SQLite's own lock.) A database
without a plain file path (`:memory:`, a `file:` URI) takes no turn, nor does one
whose lock file cannot be opened (a read-only directory, a file of another user):
writes then go on as they did before turns existed.
"""
import fcntl
import logging
import os
import threading
from contextlib import contextmanager

log = logging.getLogger(__name__)

SUFFIX = "-writers.lock"

_open = {}  # lock file path -> (fd or None, in-process lock)
_guard = threading.Lock()


def lock_path(engine):
    """The lock file of the engine's SQLite database, or None when it takes no turns."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.realpath(database) + SUFFIX


def _lock_of(path):
    with _guard:
        entry = _open.get(path)
        if entry is None:
            try:
                # Read-only is enough for flock, and works for a file another user made.
                fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
            except OSError as exc:
                log.warning("no write turns for %s (%s): SQLite's busy handler decides alone",
                            path, exc)
                fd = None
            entry = _open[path] = (fd, threading.Lock())
        return entry


@contextmanager
def turn(engine):
    """Holds this process's turn at writing the engine's SQLite file (nothing for
    another database): first among its own threads, then among processes."""
    path = lock_path(engine)
    fd, local = _lock_of(path) if path is not None else (None, None)
    if fd is None:
        yield
        return
    with local:  # threads of one process share the open file, so flock cannot tell them apart
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def _forget_after_fork():
    # flock belongs to the open file, which a forked child shares with its parent: the
    # child closes the parent's and opens its own, or parent and child would hold the
    # turn together (and the parent's guard may have been held by a thread not copied).
    global _guard
    _guard = threading.Lock()
    for fd, _ in _open.values():
        if fd is not None:
            os.close(fd)
    _open.clear()


os.register_at_fork(after_in_child=_forget_after_fork)
