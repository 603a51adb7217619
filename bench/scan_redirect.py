"""The counted scan redirect against a bare Flask redirect, under wrk.

Starts gunicorn exactly as the Procfile's `web` line does (bound to 127.0.0.1
instead of 0.0.0.0, so the load stays on this machine) for Scanlink and, on a
second port with the same settings, for a bare Flask app whose route returns a
constant 302 (and, for information, a third "floor" app: bare Flask plus one
Redis GET and one durable PostgreSQL write per request, without Scanlink's
layers and without group commit). Scanlink runs against:
  * PostgreSQL, the production database: a database this script creates,
    migrates with the release step, seeds with 10,000 codes and drops at the end
    (server: $BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else
    postgresql://postgres@127.0.0.1/postgres);
  * SQLite, the embedded default, as a second line (a file in a temporary
    directory; --skip-sqlite leaves it out);
  * its own redis-server on a free port (no other data is touched), or
    $BENCH_REDIS_URL when set.
wrk drives 32 connections for a bounded time: one hot slug, random slugs among
the 10,000, and the bare app with the same random requests. The runs are
interleaved for --rounds rounds, because this machine is shared and its load
drifts; each round's ratio uses that round's bare run, and the median of the
rounds is the figure to quote. Each request carries a unique Referer host, so
afterwards the database shows whether every request was recorded exactly once.
A last, informational hot run with synchronous_commit=off shows what giving up
durability would buy. The "rules" run scans random slugs of 10,000 more codes in
the same PostgreSQL database, each with 5 rules (none of which holds for wrk's
requests, so every scan evaluates all five), a 3-way split and UTM parameters; the
"domain" run scans random slugs of 10,000 more codes on a verified custom domain
(`Host: qr.bench.example`, path /<slug>). Each one's ratio is to the plain random run
of the same round (target >= 90%).

    .venv/bin/python bench/scan_redirect.py [--duration 10] [--rounds 3] [--connections 32]
"""
import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import Gunicorn, free_port, procfile_web_command, run_wrk  # noqa: E402
from scripts.embedded_redis import find_redis_server  # noqa: E402
from webapp.config import database_url  # noqa: E402
from webapp.models import QrCode  # noqa: E402
from webapp.models.base import new_id  # noqa: E402

LUA = ROOT / "bench" / "scan_redirect.lua"
APPS = ROOT / "bench" / "apps"  # the baselines, served by the same gunicorn command


LABELS = {"hot": "scan, one hot slug", "random": "scan, random slugs",
          "rules": "scan, random, 5 rules+split+UTM",
          "domain": "scan, random, custom domain",
          "sqlite": "scan, random slugs, SQLite",
          "bare": "bare Flask constant 302", "floor": "(info) floor: Flask+Redis GET+PG write",
          "sync-off": "(info) hot, synchronous_commit=off"}


# The custom domain of the "domain" run: its codes are scanned at https://<DOMAIN>/<slug>.
DOMAIN = "qr.bench.example"

# Smart redirects of the "rules" run: rules that never hold for wrk's requests (no
# Accept-Language, country or query; a window in 2099), then a split, and UTM.
REDIRECT = {
    "rules": [
        {"when": {"device": ["ios"], "language": ["de"]}, "target_url": "https://example.com/de/ios"},
        {"when": {"country": ["DE", "AT", "CH"]}, "target_url": "https://example.com/de"},
        {"when": {"query": {"src": "flyer"}}, "target_url": "https://example.com/flyer"},
        {"when": {"after": "2099-01-01T00:00:00Z", "timezone": "Europe/Berlin", "hours": ["11:00", "15:00"]},
         "target_url": "https://example.com/lunch"},
        {"when": {"device": ["android"], "os": ["windows"]}, "target_url": "https://example.com/never"},
    ],
    "split": [{"target_url": "https://example.com/a", "weight": 50},
              {"target_url": "https://example.com/b", "weight": 30},
              {"target_url": "https://example.com/c", "weight": 20}],
    "utm": {"source": "qr", "medium": "print", "campaign": "bench"},
}


def seed(db_url, count, redirect=None, domain=None):
    """A user, their personal workspace and `count` dynamic codes in it; returns their slugs.
    With `redirect`, `count` more codes carrying it, in the workspace made before; with
    `domain`, `count` more on that custom domain (verified), in the same workspace."""
    engine = create_engine(db_url)
    slugs = [secrets.token_urlsafe(6) for _ in range(count)]
    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC
    with engine.begin() as conn:
        if redirect or domain:
            workspace_id = conn.execute(text("SELECT id FROM workspaces WHERE slug = 'bench'")).scalar()
            domain_id = None
            if domain:
                domain_id = new_id()
                conn.execute(text(
                    "INSERT INTO custom_domains (id, workspace_id, hostname, status, "
                    "verification_token, verified_at, created_at) VALUES (:id, :ws, :host, "
                    "'verified', 'bench', :now, :now)"),
                    {"id": domain_id, "ws": workspace_id, "host": domain, "now": now})
            _insert_codes(conn, workspace_id, slugs, now)
            conn.execute(QrCode.__table__.update().where(QrCode.slug.in_(slugs))
                         .values(redirect=redirect, domain_id=domain_id))
            engine.dispose()
            return slugs
        user_id = conn.execute(text(
            "INSERT INTO users (email, password_hash, is_admin, created_at, updated_at) "
            "VALUES ('bench@example.com', 'x', :no, :now, :now) RETURNING id"),
            {"no": False, "now": now}).scalar()
        workspace_id = conn.execute(text(
            "INSERT INTO workspaces (name, slug, personal, created_at) "
            "VALUES ('bench', 'bench', :yes, :now) RETURNING id"), {"yes": True, "now": now}).scalar()
        conn.execute(text(
            "INSERT INTO workspace_members (workspace_id, user_id, role, created_at) "
            "VALUES (:ws, :user, 'owner', :now)"), {"ws": workspace_id, "user": user_id, "now": now})
        _insert_codes(conn, workspace_id, slugs, now)
    engine.dispose()
    return slugs


def _insert_codes(conn, workspace_id, slugs, now):
    conn.execute(text(
            "INSERT INTO qr_codes (id, workspace_id, slug, title, kind, content_type, target_url, style, "
            "active, scan_count, created_at, updated_at) VALUES (:id, :workspace, :slug, :title, "
            "'dynamic', 'url', :target, '{}', :yes, 0, :now, :now)"),
            [{"id": new_id(), "workspace": workspace_id, "slug": slug, "title": f"Bench {i}", "yes": True,
              "now": now, "target": f"https://example.com/landing/{i}"}
             for i, slug in enumerate(slugs)])


def warm_slug_cache(env, slugs_file, host=None):
    """Looks every slug up (on the custom domain `host`) through the app's own memoised
    function."""
    from webapp.app import create_app
    from webapp.services.scans import targets

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(env["DATABASE_URL"]),
                      "REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        slugs = slugs_file.read_text().split()
        # so that each entry gets its full time to live again
        targets.invalidate_keys(*(targets.cache_key(slug, host) for slug in slugs))
        for slug in slugs:
            targets.resolve_slug(slug, host)
        from webapp.extensions import db
        db.session.remove()
        db.engine.dispose()


def recorded_since(engine, since_id):
    """(scans, distinct request markers, newest id) of the events after `since_id`."""
    with engine.connect() as conn:
        rows, distinct = conn.execute(text(
            "SELECT count(*), count(DISTINCT referrer) FROM scan_events WHERE id > :since"),
            {"since": since_id}).one()
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM scan_events")).scalar()
    return rows, distinct, top


def merge(results):
    """Several rounds of one kind as one: total requests over total time, worst p99."""
    requests = sum(r["requests"] for r in results)
    seconds = sum(r["duration_us"] for r in results) / 1e6
    cpu = {part: sum(r["cpu_us"][part] * r["requests"] for r in results) / requests
           for part in results[0]["cpu_us"]}
    return {"rps": requests / seconds, "requests": requests, "cpu_us": cpu,
            "p50_ms": sorted(r["p50_us"] for r in results)[len(results) // 2] / 1000,
            "p99_ms": max(r["p99_us"] for r in results) / 1000,
            "rounds": [round(r["rps"]) for r in results]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--codes", type=int, default=10_000)
    parser.add_argument("--skip-sync-off", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")

    server = (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
              or "postgresql://postgres@127.0.0.1/postgres")
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
            port = free_port()
            redis_proc = subprocess.Popen(
                [find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
            redis_url = f"redis://127.0.0.1:{port}/0"
        db_url = admin_url.set(database=name).render_as_string(hide_password=False)
        ok = measure(args, db_url, redis_url, redis_proc and redis_proc.pid, workdir, admin, name)
    finally:
        if redis_proc:
            redis_proc.terminate()
            redis_proc.wait()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


def prepare(env, workdir, label, codes):
    """Migrates and seeds one Scanlink database; returns its slugs file and an engine on it."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    slugs_file = workdir / f"slugs-{label}.txt"
    url = database_url(env["DATABASE_URL"])
    slugs_file.write_text("\n".join(seed(url, codes)) + "\n")
    return slugs_file, create_engine(url)


def measure(args, db_url, redis_url, redis_pid, workdir, admin, name):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=db_url, REDIS_URL=redis_url,
               SCANLINK_ENV="production", PYTHONPATH=f"{APPS}{os.pathsep}{ROOT}")
    slugs_file, engine = prepare(env, workdir, "pg", args.codes)
    rules_slugs = workdir / "slugs-rules.txt"
    rules_slugs.write_text("\n".join(seed(database_url(db_url), args.codes, REDIRECT)) + "\n")
    domain_slugs = workdir / "slugs-domain.txt"
    domain_slugs.write_text("\n".join(seed(database_url(db_url), args.codes, domain=DOMAIN)) + "\n")
    # SQLite gets its own Redis database, so the two Scanlinks never share a cached slug.
    lite_env = dict(env, DATABASE_URL=f"sqlite:///{workdir / 'scanlink.db'}",
                    REDIS_URL=redis_url.rsplit("/", 1)[0] + "/1")
    if not args.skip_sqlite:
        lite_slugs, lite_engine = prepare(lite_env, workdir, "sqlite", args.codes)
    log = open(workdir / "gunicorn.log", "ab")
    ports = {"ours": free_port(), "bare": free_port(), "floor": free_port(), "sqlite": free_port()}
    floor_env = dict(env, DATABASE_URL=database_url(db_url).replace("postgresql+psycopg://",
                                                                     "postgresql://"))
    wrk = dict(seconds=args.duration, connections=args.connections, threads=args.threads)

    def backends():
        with admin.connect() as conn:
            return [row[0] for row in conn.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name})]

    def meters(server, database=True):
        found = {"web": server.pids}
        if database:
            found["postgres"] = backends
        if redis_pid:
            found["redis"] = lambda: [redis_pid]
        return found

    def url(kind):
        return f"http://127.0.0.1:{ports[kind]}"

    print(f"gunicorn (every app): {procfile_web_command()}")
    print(f"Scanlink on PostgreSQL {name} ({args.codes} codes), Redis {redis_url}"
          + ("" if args.skip_sqlite else "; and on SQLite (WAL) beside it"))
    print(f"wrk: {args.connections} connections, {args.threads} threads, {args.duration}s a run, "
          f"{args.rounds} interleaved rounds\n", flush=True)
    runs = {"hot": [], "random": [], "rules": [], "domain": [], "bare": [], "floor": [], "sqlite": []}
    checks = []
    with Gunicorn("wsgi:app", env, ROOT, log, ports["ours"]) as ours, \
            Gunicorn("bare_redirect:app", env, APPS, log, ports["bare"]) as bare, \
            Gunicorn("floor_redirect:app", floor_env, APPS, log, ports["floor"]) as floor, \
            (Gunicorn("wsgi:app", lite_env, ROOT, log, ports["sqlite"]) if not args.skip_sqlite
             else _Nothing()) as lite:
        # A running site's slug cache is warm (each of 10,000 codes scanned every few
        # seconds stays within its 5 minutes); fill it as the app does, then warm the servers.
        warm_slug_cache(env, slugs_file)
        warm_slug_cache(env, rules_slugs)
        warm_slug_cache(env, domain_slugs, DOMAIN)
        run_wrk(url("ours"), LUA, [slugs_file, "warm"], 2, args.connections, args.threads)
        run_wrk(url("ours"), LUA, [rules_slugs, "random"], 2, args.connections, args.threads)
        run_wrk(url("ours"), LUA, [domain_slugs, "random", DOMAIN], 2, args.connections, args.threads)
        run_wrk(url("ours"), LUA, [slugs_file, "hot"], 2, args.connections, args.threads)
        run_wrk(url("bare"), LUA, [slugs_file, "random"], 2, args.connections, args.threads)
        run_wrk(url("floor"), LUA, [slugs_file, "random"], 2, args.connections, args.threads)
        ours_runs = [("hot", "ours", slugs_file, engine), ("random", "ours", slugs_file, engine),
                     ("rules", "ours", rules_slugs, engine), ("domain", "ours", domain_slugs, engine)]
        if not args.skip_sqlite:
            warm_slug_cache(lite_env, lite_slugs)
            run_wrk(url("sqlite"), LUA, [lite_slugs, "random"], 2, args.connections, args.threads)
            ours_runs.append(("sqlite", "sqlite", lite_slugs, lite_engine))
        for round_number in range(args.rounds):
            if round_number:
                # Entries live 5 minutes from when they were cached; a site scanned all the
                # time refills them one by one, this bench would lose all 10,000 at once.
                warm_slug_cache(env, slugs_file)
                warm_slug_cache(env, rules_slugs)
                warm_slug_cache(env, domain_slugs, DOMAIN)
                if not args.skip_sqlite:
                    warm_slug_cache(lite_env, lite_slugs)
            runs["bare"].append(run_wrk(url("bare"), LUA, [slugs_file, "random"], **wrk,
                                        meters=meters(bare, database=False)))
            runs["floor"].append(run_wrk(url("floor"), LUA, [slugs_file, "random"], **wrk,
                                         meters=meters(floor)))
            for kind, server, slugs, counted in ours_runs:
                time.sleep(1.0)  # the previous run's abandoned requests finish
                since = recorded_since(counted, 0)[2]
                mode = "hot" if kind == "hot" else "random"
                result = run_wrk(url(server), LUA, [slugs, mode, DOMAIN if kind == "domain" else ""], **wrk,
                                 meters=meters(lite if kind == "sqlite" else ours,
                                               database=kind != "sqlite"))
                time.sleep(1.0)
                runs[kind].append(result)
                checks.append((kind, result, *recorded_since(counted, since)[:2]))
    if not args.skip_sync_off:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        with Gunicorn("wsgi:app", env, ROOT, log, ports["ours"]) as ours:
            run_wrk(url("ours"), LUA, [slugs_file, "hot"], 2, args.connections, args.threads)
            runs["sync-off"] = [run_wrk(url("ours"), LUA, [slugs_file, "hot"], **wrk,
                                        meters=meters(ours))]
    engine.dispose()
    if not args.skip_sqlite:
        lite_engine.dispose()
    log.close()
    ratios = {kind: [r["rps"] / b["rps"] for r, b in zip(runs[kind], runs["bare"])]
              for kind in ("hot", "random", "rules", "domain", "sqlite", "floor") if runs[kind]}
    for kind in ("rules", "domain"):
        to_plain = [r["rps"] / p["rps"] for r, p in zip(runs[kind], runs["random"])]
        print(f"{kind} run against the plain random run of the same round (target >= 90%): "
              f"median {statistics.median(to_plain):.0%} "
              f"(rounds: {', '.join(f'{v:.0%}' for v in to_plain)})")
    served = served_counts(engine)
    print("what served the rules run's scans:", ", ".join(f"{k} {v}" for k, v in served.items()))
    engine.dispose()
    return report({kind: merge(results) for kind, results in runs.items() if results},
                  ratios, checks)


def served_counts(engine):
    with engine.connect() as conn:
        return dict(conn.execute(text(
            "SELECT served, count(*) FROM scan_events GROUP BY served ORDER BY served")).all())


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def report(merged, ratios, checks):
    for kind, label in LABELS.items():
        if kind in merged:
            m = merged[kind]
            print(f"{label:<38}{m['rps']:7.0f} req/s  p50 {m['p50_ms']:6.2f} ms  p99 {m['p99_ms']:7.2f} ms"
                  f"   (rounds: {', '.join(map(str, m['rounds']))} req/s)")
    print("\nratio to the bare redirect of the same round (median of the rounds; target >= 50%):")
    for kind, values in ratios.items():
        rounds = ", ".join(f"{value:.0%}" for value in values)
        note = "   (a Redis look-up and a durable write per scan, no layers, no group commit)" \
            if kind == "floor" else ""
        print(f"  {LABELS[kind]:<38}{statistics.median(values):5.0%}   (rounds: {rounds}){note}")
    print("\nCPU per request in µs (what decides throughput on 2 shared cores):")
    for kind, label in LABELS.items():
        if kind in merged:
            cpu = merged[kind]["cpu_us"]
            parts = "  ".join(f"{part} {value:5.0f}" for part, value in cpu.items())
            print(f"  {label:<38}{sum(cpu.values()):6.0f} = {parts}")
    if "sync-off" in merged:
        print("  synchronous_commit=off is not used: a crash could lose scans already answered.")
    print("\nEvery request recorded exactly once?")
    ok = True
    for kind, result, rows, distinct in checks:
        answered = result["statuses"].get("302", 0)
        abandoned = result["sent"] - result["requests"]
        exact = (answered == result["requests"] and rows == distinct
                 and answered <= rows <= answered + abandoned)
        ok = ok and exact
        print(f"  {kind:>6}: {answered} redirects answered (+{abandoned} in flight when wrk stopped); "
              f"database {rows} scans, {distinct} distinct requests, {rows - distinct} duplicates, "
              f"{max(0, answered - rows)} lost -> {'yes' if exact else 'NO'}")
    return ok


if __name__ == "__main__":
    main()
