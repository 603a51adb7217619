"""`make run` ends on Ctrl-C as a terminal sends it: web, worker (with its schedulers) and
the embedded Redis stop, Redis last, without a traceback, and make exits 0.

make runs on a pseudo-terminal and the test types Ctrl-C into it, so the terminal
driver decides who gets SIGINT, as it does for a person at a shell."""
import os
import pty
import signal
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import descendants, wait_for
from tests.support.servers import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def alive(pid):
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


class Screen(threading.Thread):
    """What the terminal shows, read as it comes (a full terminal would stop the writers)."""

    def __init__(self, terminal):
        super().__init__(daemon=True)
        self.terminal, self.chunks = terminal, []
        self.start()

    def run(self):
        while True:
            try:
                data = os.read(self.terminal, 65536)
            except OSError:  # every writer has gone
                return
            if not data:
                return
            self.chunks.append(data)

    @property
    def text(self):
        return b"".join(self.chunks).decode("utf-8", "replace")


_exits = {}


def status_of(pid):
    """The exit status of child `pid`, or None while it runs."""
    if pid not in _exits:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _exits[pid] = os.waitstatus_to_exitcode(status)
    return _exits.get(pid)


def wait_exit(pid, timeout):
    wait_for(lambda: status_of(pid) is not None, timeout=timeout, message="make to end")
    return status_of(pid)


def test_ctrl_c_stops_web_worker_and_redis_quietly_with_status_0(tmp_path):
    web_port, redis_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items()
           if name not in ("REDIS_URL", "SCANLINK_DEMO_BANNER")}
    env.update(SCANLINK_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'scanlink.db'}",
               STORAGE_DIR=str(tmp_path / "storage"), SECRET_KEY="make-run-test-" + "k" * 32,
               WEB_PORT=str(web_port), EMBEDDED_REDIS_PORT=str(redis_port),
               EMBEDDED_REDIS_DIR=str(tmp_path / "redis"), PYTHONUNBUFFERED="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]))
    pid, terminal = pty.fork()
    if pid == 0:  # the child: make, at the terminal as a person runs it
        os.chdir(ROOT)
        os.execvpe("make", ["make", "run"], env)
    screen = Screen(terminal)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{web_port}/healthz"), timeout=120,
                 message="web to answer")
        wait_for(lambda: "worker listening" in screen.text and "registering birth" in screen.text,
                 timeout=30, message="the worker and its scheduler to start")
        time.sleep(1)  # the schedulers' first rounds
        processes = descendants(pid)
        os.write(terminal, b"\x03")  # Ctrl-C
        status = wait_exit(pid, timeout=30)
    finally:
        if status_of(pid) is None:
            for child in descendants(pid) + [pid]:
                os.kill(child, signal.SIGKILL)
    screen.join()
    output = screen.text
    assert status == 0, output
    assert "make: ***" not in output, output  # make's "Interrupt" or "Error 130"
    assert "Traceback" not in output and "Connection refused" not in output, output
    assert "Error 111" not in output and "went away" not in output, output
    for name in ("redis", "web", "worker", "banner"):
        assert f"{name}.1 stopped (rc=0)" in output, output
    # Redis last: it waits for the worker (and anything else connected) to leave.
    assert output.index("worker.1 stopped") < output.index("redis.1 stopped"), output
    assert len(processes) >= 7  # the shell, dev_run, honcho, redis (and its server), web, worker, banner
    wait_for(lambda: not any(alive(pid) for pid in processes), timeout=10,
             message="every process to be gone")
    assert not answers(f"http://127.0.0.1:{web_port}/healthz")
