"""`make run` ends on Ctrl-C as a terminal sends it: web, worker (with its schedulers) and
the embedded Redis stop, Redis last, without a traceback, and the command exits 0."""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.processes import wait_for
from tests.support.servers import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]


def descendants(pid):
    """Every process under `pid` (redis-server too, in a session of its own)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


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


def test_ctrl_c_stops_web_worker_and_redis_quietly_with_status_0(tmp_path):
    web_port, redis_port = free_port(), free_port()
    env = {name: value for name, value in os.environ.items()
           if name not in ("REDIS_URL", "SCANLINK_DEMO_BANNER")}
    env.update(SCANLINK_ENV="development", DATABASE_URL=f"sqlite:///{tmp_path / 'scanlink.db'}",
               STORAGE_DIR=str(tmp_path / "storage"), SECRET_KEY="make-run-test-" + "k" * 32,
               WEB_PORT=str(web_port), EMBEDDED_REDIS_PORT=str(redis_port),
               EMBEDDED_REDIS_DIR=str(tmp_path / "redis"), PYTHONUNBUFFERED="1",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]]))
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        # What the Makefile's `run` execs, in a process group of its own as a terminal's job.
        run = subprocess.Popen([sys.executable, "-m", "scripts.dev_run"], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{web_port}/healthz"), timeout=60,
                 message="web to answer")
        wait_for(lambda: "worker listening" in log.read_text() and "registering birth" in
                 log.read_text(), timeout=30, message="the worker and its scheduler to start")
        time.sleep(1)  # the schedulers' first rounds
        processes = descendants(run.pid)
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C: the foreground group gets SIGINT
        status = run.wait(timeout=30)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
    output = log.read_text()
    assert status == 0, output
    assert "Traceback" not in output and "Connection refused" not in output, output
    assert "Error 111" not in output and "went away" not in output, output
    for name in ("redis", "web", "worker", "banner"):
        assert f"{name}.1 stopped (rc=0)" in output, output
    # Redis last: it waits for the worker (and anything else connected) to leave.
    assert output.index("worker.1 stopped") < output.index("redis.1 stopped"), output
    assert len(processes) >= 6  # honcho, redis (and its server), web, worker, banner
    wait_for(lambda: not any(alive(pid) for pid in processes), timeout=10,
             message="every process to be gone")
    assert not answers(f"http://127.0.0.1:{web_port}/healthz")
