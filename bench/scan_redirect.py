"""The counted scan redirect against a bare Flask redirect, under wrk.

Starts gunicorn exactly as the Procfile's `web` line does (bound to 127.0.0.1
instead of 0.0.0.0, so the load stays on this machine) against:
  * PostgreSQL, the production database: a database this script creates,
    migrates with the release step, seeds with 10,000 codes and drops at the end
    (server: $BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else
    postgresql://postgres@127.0.0.1/postgres);
  * its own redis-server on a free port (so no other data is touched and the
    cache starts cold), or $BENCH_REDIS_URL when set.
wrk drives 32 connections for a bounded time at one hot slug, then at random
slugs among the 10,000; then the same gunicorn settings serve a bare Flask app
whose route returns a constant 302. Each request carries a unique Referer host,
so afterwards the database shows whether every request was recorded exactly
once. Finally one informational hot run with synchronous_commit=off shows what
giving up durability would buy (not used by Scanlink).

    .venv/bin/python bench/scan_redirect.py [--duration 12] [--connections 32]
"""
import argparse
import http.client
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from scripts.embedded_redis import find_redis_server  # noqa: E402
from webapp.config import database_url  # noqa: E402

LUA = ROOT / "bench" / "scan_redirect.lua"
BARE_APP = '''
from flask import Flask, redirect

app = Flask(__name__)


@app.get("/s/<slug>")
def scan(slug):
    response = redirect("https://example.com/landing", 302)
    response.headers["Cache-Control"] = "no-store"
    return response
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, timeout=30):
    """Until the server answers anything (redirects are not followed: nothing leaves the machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("HEAD", path)
            conn.getresponse()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {port} did not answer within {timeout}s")


def procfile_web_command():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip().replace("0.0.0.0", "127.0.0.1")
    raise SystemExit("Procfile has no web line")


class Gunicorn:
    def __init__(self, app_path, env, cwd, log):
        self.command = procfile_web_command().replace("wsgi:app", app_path)
        self.env, self.cwd, self.log = env, cwd, log

    def __enter__(self):
        self.proc = subprocess.Popen(["bash", "-c", "exec " + self.command], env=self.env,
                                     cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_http(int(self.env["PORT"]), "/s/warm-up")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """user + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


class CpuMeter:
    """CPU used per request by each part: the web server, PostgreSQL, Redis.

    The machine is shared, so requests/s swing with other load; CPU per
    request does not, and it is what decides throughput on two cores.
    """

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids

    def __enter__(self):
        self.pids = {name: find() for name, find in self.groups.items()}
        self.start = {name: sum(cpu_seconds(p) for p in pids) for name, pids in self.pids.items()}
        return self

    def stop(self):
        self.used = {name: sum(cpu_seconds(p) for p in self.pids[name]) - self.start[name]
                     for name in self.pids}

    def __exit__(self, *exc):
        return False


def run_wrk(url, slugs_file, mode, seconds, connections, threads, meter_groups=None):
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", "5s", "-s", str(LUA), url, "--", str(slugs_file), mode]
    with CpuMeter(meter_groups or {}) as meter:
        proc = subprocess.run(command, capture_output=True, text=True, check=True)
        meter.stop()
    out, err = proc.stdout, proc.stderr
    for line in out.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line[len("WRK_JSON "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["cpu_us"] = {name: used / max(result["requests"], 1) * 1e6
                                for name, used in meter.used.items()}
            return result
    raise SystemExit("wrk printed no result:\n" + out + err)


def seed(db_url, count):
    """A user and `count` dynamic codes; returns their slugs."""
    engine = create_engine(db_url)
    slugs = [secrets.token_urlsafe(6) for _ in range(count)]
    with engine.begin() as conn:
        user_id = conn.execute(text(
            "INSERT INTO users (email, password_hash, is_admin, created_at, updated_at) "
            "VALUES ('bench@example.com', 'x', false, now(), now()) RETURNING id")).scalar()
        from webapp.models.base import new_id

        conn.execute(text(
            "INSERT INTO qr_codes (id, owner_id, slug, title, kind, content_type, target_url, style, "
            "active, scan_count, created_at, updated_at) VALUES (:id, :owner, :slug, :title, "
            "'dynamic', 'url', :target, '{}', true, 0, now(), now())"),
            [{"id": new_id(), "owner": user_id, "slug": slug, "title": f"Bench {i}",
              "target": f"https://example.com/landing/{i}"} for i, slug in enumerate(slugs)])
    engine.dispose()
    return slugs


def scan_check(engine, since_id):
    """(rows, distinct request markers) recorded after event id `since_id`."""
    with engine.connect() as conn:
        rows, distinct = conn.execute(text(
            "SELECT count(*), count(DISTINCT referrer) FROM scan_events WHERE id > :since"),
            {"since": since_id}).one()
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM scan_events")).scalar()
    return rows, distinct, top


def fmt(result):
    return (f"{result['rps']:9.0f} req/s   p50 {result['p50_us'] / 1000:6.2f} ms   "
            f"p99 {result['p99_us'] / 1000:6.2f} ms   ({result['requests']} requests, "
            f"statuses {result['statuses']}, socket errors "
            f"{sum(v for k, v in result['errors'].items() if k != 'status')})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--skip-sync-off", action="store_true",
                        help="skip the informational synchronous_commit=off run")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") \
        or "postgresql://postgres@127.0.0.1/postgres"
    admin_url = make_url(database_url(server))
    name = f"scanlink_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    workdir = Path(tempfile.mkdtemp(prefix="scanlink-bench-"))
    redis_proc, ok = None, False
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        redis_url = os.environ.get("BENCH_REDIS_URL")
        if not redis_url:
            redis_port = free_port()
            redis_proc = subprocess.Popen(
                [find_redis_server(), "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
        db_url = admin_url.set(database=name).render_as_string(hide_password=False)
        ok = report(args, db_url, redis_url, redis_proc and redis_proc.pid, workdir, admin, name)
    finally:
        if redis_proc:
            redis_proc.terminate()
            redis_proc.wait()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        if os.environ.get("BENCH_KEEP"):
            print("kept", workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


def report(args, db_url, redis_url, redis_pid, workdir, admin, name):
    port = free_port()
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""),
               SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=db_url, REDIS_URL=redis_url,
               PORT=str(port), SCANLINK_ENV="production", PYTHONPATH=str(workdir))
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    slugs = seed(database_url(db_url), args.codes)
    slugs_file = workdir / "slugs.txt"
    slugs_file.write_text("\n".join(slugs) + "\n")
    (workdir / "bench_bare.py").write_text(BARE_APP)
    url = f"http://127.0.0.1:{port}"
    wrk = dict(seconds=args.duration, connections=args.connections, threads=args.threads)
    engine = create_engine(database_url(db_url))
    log = open(workdir / "gunicorn.log", "ab")

    def backends():
        with admin.connect() as conn:
            return [row[0] for row in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name})]

    def groups(server):
        meters = {"web": lambda: descendants(server.proc.pid), "postgres": backends}
        if redis_pid:
            meters["redis"] = lambda: [redis_pid]
        return meters

    print(f"gunicorn: {procfile_web_command()}   (PORT={port})")
    print(f"database: PostgreSQL {name} ({args.codes} codes); Redis: {redis_url}")
    print(f"wrk: {args.connections} connections, {args.threads} threads, {args.duration}s per run\n")
    results, checks = {}, []
    with Gunicorn("wsgi:app", env, ROOT, log) as server:
        # Warm every slug into the cache with HEAD (redirects, counts nothing), like a running site.
        run_wrk(url, slugs_file, "warm", 3, args.connections, args.threads)
        run_wrk(url, slugs_file, "hot", 2, args.connections, args.threads)
        for mode in ("hot", "random"):
            time.sleep(1.0)  # let the previous run's abandoned requests finish
            before = scan_check(engine, 0)[2]
            results[mode] = run_wrk(url, slugs_file, mode, **wrk, meter_groups=groups(server))
            time.sleep(1.0)
            rows, distinct, _ = scan_check(engine, before)
            checks.append((mode, results[mode], rows, distinct))
    with Gunicorn("bench_bare:app", env, workdir, log) as server:
        run_wrk(url, slugs_file, "random", 3, args.connections, args.threads)
        results["bare"] = run_wrk(url, slugs_file, "random", **wrk, meter_groups=groups(server))
    if not args.skip_sync_off:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        with Gunicorn("wsgi:app", env, ROOT, log) as server:
            run_wrk(url, slugs_file, "hot", 3, args.connections, args.threads)
            results["sync-off"] = run_wrk(url, slugs_file, "hot", **wrk, meter_groups=groups(server))
    engine.dispose()
    log.close()

    bare = results["bare"]
    labels = {"hot": "scan, one hot slug", "random": f"scan, random among {args.codes}",
              "bare": "bare Flask constant 302",
              "sync-off": "(info) hot, synchronous_commit=off"}
    for key, label in labels.items():
        if key in results:
            print(f"{label:<36}{fmt(results[key])}")
    print()
    print(f"ratio ours/bare (req/s): hot {results['hot']['rps'] / bare['rps']:.0%}, "
          f"random {results['random']['rps'] / bare['rps']:.0%}   (target >= 50%)")
    print("CPU per request (µs), the machine's real budget on 2 cores:")
    for key, label in labels.items():
        if key in results:
            cpu = results[key]["cpu_us"]
            parts = ", ".join(f"{part} {value:5.0f}" for part, value in cpu.items())
            print(f"  {label:<36}{sum(cpu.values()):6.0f} total = {parts}")
    if "sync-off" in results:
        print("  synchronous_commit=off is NOT used: a crash could lose acknowledged scans.")
    print()
    ok = True
    for mode, result, rows, distinct in checks:
        answered = result["statuses"].get("302", 0)
        in_flight = result["sent"] - result["requests"]
        exact = rows == distinct and answered <= rows <= result["sent"] and answered == result["requests"]
        ok = ok and exact
        print(f"{mode:>6}: wrk got {answered} redirects of {result['requests']} responses "
              f"(+{in_flight} abandoned in flight at the deadline); database: {rows} scans, "
              f"{distinct} distinct requests, duplicates {rows - distinct}, "
              f"lost {max(0, answered - rows)}  -> {'exactly once' if exact else 'MISMATCH'}")
    return ok


if __name__ == "__main__":
    main()
