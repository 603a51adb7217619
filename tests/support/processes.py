"""Real `python -m workers` processes against the test's database and Redis."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def process_env(app, **extra):
    env = dict(os.environ)
    env.update({
        "SCANLINK_ENV": "testing",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "PYTHONUNBUFFERED": "1",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """A worker started as the Procfile starts it; stopped (or killed) by the test."""

    def __init__(self, app, log_path, **env):
        self.log_path = log_path
        self.env = process_env(app, **env)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def kill(self):
        """kill -9 of the worker and its work horse.

        RQ's work horse calls setpgrp(), so it is not in the worker's process group:
        it is killed by its own group, first, or it would live on as an orphan.
        """
        if self.proc and self.proc.poll() is None:
            for child in children_of(self.proc.pid):
                try:
                    os.killpg(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self):
        return Path(self.log_path).read_text(errors="replace")


def children_of(pid):
    """Process ids whose parent is `pid` (from /proc, Linux)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces; the fields after its ")" are fixed
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            children.append(int(entry.name))
    return children


def wait_for(predicate, timeout=20, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
