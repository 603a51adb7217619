"""Turns at writing a SQLite file: a scan batch waits for another process's turn and
starts the moment it is let go, not after a busy-handler nap."""
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select

from tests.factories import make_code
from tests.support.processes import wait_for
from webapp.extensions import db
from webapp.infra import sqlite_turns
from webapp.models import ScanEvent
from webapp.services.scans import rows, writes

# Holds the turn of a lock file until told to let go (a line on stdin).
HOLDER = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
fcntl.flock(fd, fcntl.LOCK_UN)
"""


class Holder:
    """Another process holding the turn of `path` until `release()`."""

    def __init__(self, path):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        self.proc.wait(timeout=10)


def in_thread(function):
    """Runs `function` in a thread; returns the thread and a dict that gets "done" (a
    monotonic time) and "value" when it returns."""
    outcome = {}

    def run():
        outcome["value"] = function()
        outcome["done"] = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_turn_held_by_another_process_is_waited_for_and_taken_when_let_go(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    path = sqlite_turns.lock_path(engine)
    assert path == str(tmp_path / "turns.db") + sqlite_turns.SUFFIX

    def take():
        with sqlite_turns.turn(engine):
            return "mine"

    holder = Holder(path)
    thread, outcome = in_thread(take)
    time.sleep(0.3)
    assert "done" not in outcome  # the other process has the turn
    holder.release()
    thread.join(timeout=5)
    assert outcome["value"] == "mine"
    engine.dispose()


def test_threads_of_one_process_take_turns_too(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    inside, most = [0], [0]
    lock = threading.Lock()

    def writer():
        for _ in range(50):
            with sqlite_turns.turn(engine):
                with lock:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.0005)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    engine.dispose()


def test_a_forked_child_takes_its_own_turn(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    with sqlite_turns.turn(engine):  # forked while the parent holds the turn
        pid = os.fork()
        if pid == 0:  # the child: it must not share the parent's hold of the turn
            signal.alarm(15)  # and must not outlive a failing test
            code = 1
            try:
                with sqlite_turns.turn(engine):
                    code = 0
            finally:
                os._exit(code)
        time.sleep(0.3)
        assert os.waitpid(pid, os.WNOHANG) == (0, 0)  # the child waits for the parent's turn
    ended = {}

    def child_ended():
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            ended["code"] = os.waitstatus_to_exitcode(status)
        return ended

    wait_for(child_ended, timeout=10, interval=0.01, message="the child to take its turn and exit")
    assert ended["code"] == 0
    engine.dispose()


def test_a_lock_file_that_cannot_be_opened_leaves_writes_to_sqlite_alone(tmp_path, caplog):
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    os.mkdir(sqlite_turns.lock_path(engine))  # in the lock file's way (root ignores file modes)
    with sqlite_turns.turn(engine):
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x)")
    assert "no write turns" in caplog.text
    engine.dispose()


def test_databases_without_a_file_take_no_turn():
    assert sqlite_turns.lock_path(create_engine("sqlite://")) is None
    assert sqlite_turns.lock_path(create_engine("sqlite:///:memory:")) is None
    assert sqlite_turns.lock_path(create_engine("postgresql+psycopg://u@127.0.0.1/x")) is None
    with sqlite_turns.turn(create_engine("sqlite://")):
        pass


def test_a_scan_batch_on_sqlite_waits_for_the_turn_of_another_process(app, db_kind):
    if db_kind != "sqlite":
        pytest.skip("turns are SQLite's")
    with app.app_context():
        code_id = make_code().id
        engine = db.engine
        row = rows.scan_row(code_id, user_agent="Mozilla/5.0", referrer="https://a.example/",
                            ip="192.0.2.7")

    def commit():
        with app.app_context():
            return writes.commit_scans(engine, [row])

    def recorded():
        with app.app_context():
            return db.session.scalar(select(func.count()).select_from(ScanEvent))

    holder = Holder(sqlite_turns.lock_path(engine))
    thread, outcome = in_thread(commit)
    time.sleep(0.3)
    assert "done" not in outcome and recorded() == 0
    holder.release()
    wait_for(lambda: "done" in outcome, timeout=5, interval=0.01, message="the batch to commit")
    thread.join()
    assert len(outcome["value"]) == 1 and recorded() == 1
