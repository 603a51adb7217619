"""Turns at writing one SQLite file, across processes, handed on without sleeping.

SQLite lets one connection write at a time. The others wait in its busy handler,
which sleeps 1, 2, 5, 10 … up to 100 ms between tries and is not woken when the
lock is let go. Two gunicorn processes that both commit scan batches all the time
take the lock from under each other's sleep, so a batch could sleep through
several 100 ms naps while the other process wrote batch after batch (p99 of the
scan redirect at 32 connections: 230 to 900 ms in bench/scan_redirect.py).

`turn(engine)` first takes an exclusive `flock` of a file beside the database
(`<database>-writers.lock`): the kernel wakes the next waiting process the moment
the lock is let go, and its BEGIN IMMEDIATE then finds the database free. Writers
that do not take a turn (page requests, jobs; rare next to scans) still meet the
busy handler, as before. For a database without a file (`:memory:`, a `file:` URI)
`turn` takes nothing.
"""
import fcntl
import os
import threading
from contextlib import contextmanager

SUFFIX = "-writers.lock"

_open = {}  # lock file path -> (pid, fd, in-process lock)
_guard = threading.Lock()


def lock_path(engine):
    """The lock file of the engine's SQLite database, or None when it has no file."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return os.path.abspath(database) + SUFFIX


def _lock_of(path):
    with _guard:
        entry = _open.get(path)
        # flock belongs to the open file, which a forked child shares with its parent:
        # each process opens its own, or parent and child would hold the lock together.
        if entry is None or entry[0] != os.getpid():
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            entry = _open[path] = (os.getpid(), fd, threading.Lock())
        return entry[1], entry[2]


@contextmanager
def turn(engine):
    """Holds this process's turn at writing the engine's SQLite file (nothing for
    another database): first among its own threads, then among processes."""
    path = lock_path(engine)
    if path is None:
        yield
        return
    fd, local = _lock_of(path)
    with local:  # threads of one process share the open file, so flock cannot tell them apart
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
