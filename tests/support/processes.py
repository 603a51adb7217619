"""Real `python -m workers` and gunicorn processes against the test's database and Redis."""
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tests.support.servers import free_port, target_of

ROOT = Path(__file__).resolve().parents[2]
# The app's settings for a bucket, passed on when the test's app keeps its files in one.
S3_SETTINGS = ("STORAGE_URL", "S3_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID",
               "AWS_SECRET_ACCESS_KEY")


def process_env(app, cwd=None, **extra):
    """The environment of a process on the test's database, Redis and storage. With `cwd`
    (a machine of its own), the code is found through PYTHONPATH, not the working directory."""
    env = dict(os.environ)
    env.update({
        "SCANLINK_ENV": "testing",
        "SECRET_KEY": app.config["SECRET_KEY"],
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "STORAGE_DIR": app.config["STORAGE_DIR"],
        "PYTHONUNBUFFERED": "1",
    })
    env.update({name: app.config[name] for name in S3_SETTINGS if app.config.get(name)})
    if cwd is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({k: str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """A worker started as the Procfile starts it; stopped (or killed) by the test."""

    def __init__(self, app, log_path, cwd=None, **env):
        """`cwd`: the worker's own working directory (default: the checkout)."""
        self.log_path = log_path
        self.cwd = cwd or ROOT
        self.env = process_env(app, cwd, **env)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "workers"], cwd=self.cwd, env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def kill(self):
        """kill -9 of the worker and everything it started, as when its machine dies.

        RQ puts each work horse in a process group of its own, so killing the
        worker's group alone would leave the horse running.
        """
        if self.proc and self.proc.poll() is None:
            children = descendants(self.proc.pid)
            os.killpg(self.proc.pid, signal.SIGKILL)
            for pid in children:
                _kill(pid)
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


@contextmanager
def gunicorn(app, log_path, *options, cwd=None, **env):
    """The Procfile's web process (gunicorn, two workers) on the test's database and Redis;
    yields its port once it answers, and stops it after. `cwd`: its own working directory
    (default: the checkout); the checkout's gunicorn.conf.py is read either way."""
    port = free_port()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--config", str(ROOT / "gunicorn.conf.py"),
             "--bind", f"127.0.0.1:{port}", "--workers", "2", *options],
            cwd=cwd or ROOT, env=process_env(app, cwd, **env), stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: _answers(port), timeout=30, message="gunicorn to answer")
            yield port
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _answers(port):
    try:
        return target_of(port, "-", "HEAD")[0] == 404
    except OSError:
        return False


def _stat(pid):
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()  # fields after the command name


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def descendants(pid):
    """Every live process below `pid` (from /proc, Linux only)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(entry.name)
            if fields:
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(predicate, timeout=20, interval=0.1, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
