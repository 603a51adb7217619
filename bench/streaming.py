"""Long lists: the streamed list page and the NDJSON stream with 100 and with 200,000 codes.

A user with 100 codes and one with 200,000 (seeded with bulk INSERT … SELECT
generate_series), measured in turn, in a PostgreSQL database this script creates,
migrates with the release step and drops at the end (server:
$BENCH_DATABASE_URL, else $TEST_DATABASE_URL, else
postgresql://postgres@127.0.0.1/postgres), with its own redis-server. Scanlink
runs under gunicorn exactly as the Procfile's web line starts it.

For each it measures, as the median of --runs requests:
  * the list page (/codes/): time to first byte, to the first code card, total;
  * the first page of a search and of each filter (same three times);
  * GET /api/qr-codes/stream: time to first byte, total, lines, and the web
    workers' peak RSS (sampled every 5 ms) against their idle RSS;
  * a codes CSV export streamed in full (EXPORT_STREAM_MAX_ROWS is raised for
    this run so that even 200,000 rows stream), for its rows/s and memory.
  * the workspace analytics page (/analytics/, 30 and 90 days) over seeded daily
    rollups (the scanned codes, one in 100, on each of the last 30 days), the
    workspaces' rows of those days summed from them by the rollup job's own code;
Then the ratios 200,000 / 100 and, at 200,000, the PostgreSQL plans of the
list's queries (EXPLAIN ANALYZE), to show how each is answered. Last, for
information, the same first-page queries on SQLite, in process.

Targets (issues 9 and 19): the list's TTFB at 200,000 within 2x of that at 100, with
each filter, tags and folders included; the workspace analytics page's first byte
within 2x too; the full
NDJSON stream's peak memory within 50 MB of the idle process.

    .venv/bin/python bench/streaming.py [--codes 200000] [--runs 7] [--analytics-only]
"""
import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.harness import Gunicorn, free_port, procfile_web_command  # noqa: E402
from scripts.embedded_redis import find_redis_server  # noqa: E402
from webapp.config import database_url  # noqa: E402

PASSWORD = "bench password long enough"
STYLE = json.dumps({"dark": "#000000", "light": "#ffffff", "transparent": False,
                    "finder_color": None, "finder_dot_color": None, "alignment_color": None,
                    "module_shape": "square", "finder_shape": "square", "gradient": None,
                    "error_correction": "M", "quiet_zone": 4, "logo": None, "logo_size": 0.2,
                    "frame": None})
# Every 10th code is static; one in 1,000 is a "flagship" (a rare search word); one in
# 100 has been scanned; one in 7 is paused. One in 5 is in the folder "Shop windows", one
# in 1,000 in "Archive"; one in 4 is tagged "summer", one in 1,000 "vip" (see TAGGED).
SEED = """
INSERT INTO qr_codes (id, workspace_id, slug, title, kind, content_type, target_url, content, style,
                      active, scannable, scan_count, created_at, updated_at, folder)
SELECT substr(md5(i::text || 'id') || md5(i::text), 1, 26), :workspace, 'bench' || i,
       CASE WHEN i % 1000 = 0 THEN 'Flagship store window ' ELSE 'Poster ' END || i,
       CASE WHEN i % 10 = 0 THEN 'static' ELSE 'dynamic' END, 'url',
       CASE WHEN i % 10 = 0 THEN NULL ELSE 'https://shop.example.com/products/' || i || '?utm_source=qr' END,
       CASE WHEN i % 10 = 0 THEN 'https://static.example.com/menu/' || i ELSE NULL END,
       CAST(:style AS jsonb), i % 7 <> 0, true, 0,
       timestamp '2026-01-01' + i * interval '1 millisecond', timestamp '2026-01-01',
       CASE WHEN i % 1000 = 3 THEN 'Archive' WHEN i % 5 = 0 THEN 'Shop windows' ELSE NULL END
FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS i
"""
SCANNED = """
INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans)
SELECT id, 0, 3, 0 FROM qr_codes WHERE workspace_id = :workspace AND slug ~ '^bench[0-9]*00$'
ON CONFLICT DO NOTHING
"""
TAGS = {"summer": 4, "vip": 1000}  # tag -> one code in how many carries it
TAGGED = """
INSERT INTO code_tags (tag_id, qr_code_id, code_created_at)
SELECT :tag, id, created_at FROM qr_codes
WHERE workspace_id = :workspace AND CAST(substr(slug, 6) AS integer) % :every = 0
"""
# The scanned codes (1 in 100) have a rollup on each of the last 30 days, every day marked
# rolled up; the workspaces' rows of those days are then summed from them by the rollup
# job's own code (roll_up_workspaces): what the workspace analytics page reads.
ROLLUPS = """
INSERT INTO scan_daily_rollups (qr_code_id, day, workspace_id, scans, uniques, bots, breakdowns)
SELECT c.id, CAST(d AS date), c.workspace_id, 3, 2, 1, CAST(:breakdowns AS jsonb)
FROM qr_codes c, generate_series(current_date - 30, current_date - 1, interval '1 day') AS d
WHERE c.workspace_id = :workspace AND c.slug ~ '^bench[0-9]*00$'
"""
ROLLUP_DAYS = """
INSERT INTO scan_rollup_days (day, rolled_at, events)
SELECT CAST(d AS date), now(), 0
FROM generate_series(current_date - 30, current_date - 1, interval '1 day') AS d
ON CONFLICT DO NOTHING
"""
BREAKDOWNS = json.dumps({"device": {"mobile": 2, "desktop": 1}, "os": {"iOS": 2, "Windows": 1},
                         "browser": {"Safari": 2, "Chrome": 1}, "country": {"FR": 2, "": 1},
                         "referrer": {"": 2, "https://news.example": 1}})
ANALYTICS = {"analytics, 30 days": "/analytics/?days=30", "analytics, 90 days": "/analytics/?days=90"}
QUERIES = {  # label -> query string of the list page
    "list page": "",
    "search, rare word": "q=flagship",
    "search, every code": "q=poster",
    "search, no match": "q=nothing-has-this",
    "filter static": "kind=static",
    "filter paused": "active=false",
    "filter with scans": "has_scans=true",
    "tag, 1 in 4": "tag=summer",
    "tag, 1 in 1,000": "tag=vip",
    "folder, 1 in 5": "folder=Shop+windows",
    "folder, 1 in 1,000": "folder=Archive",
    "tag and folder": "tag=summer&folder=Shop+windows",
}


def rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class RssSampler:
    """The highest RSS of each pid, sampled every 5 ms while in use."""

    def __init__(self, pids):
        self.pids, self.peak, self._stop = pids, {p: rss_kib(p) for p in pids}, threading.Event()

    def __enter__(self):
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_kib(pid))
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self.thread.join()


def timed_get(port, path, headers, marker=None, method="GET", body=None):
    """(ttfb s, time to `marker` s or None, total s, body bytes, body text head) of one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    first = response.read1(65536)
    ttfb = time.perf_counter() - start
    seen, size, lines, head = None, len(first), first.count(b"\n"), first[:4096]
    if marker and marker in first:
        seen = ttfb
    while chunk := response.read1(1 << 20):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if seen is None and marker and marker in chunk:
            seen = time.perf_counter() - start
    total = time.perf_counter() - start
    if response.status != 200:
        raise SystemExit(f"{path}: HTTP {response.status}: {head[:300]!r}")
    conn.close()
    return {"ttfb": ttfb, "marker": seen, "total": total, "bytes": size, "lines": lines}


def median(results, key):
    values = [r[key] for r in results if r[key] is not None]
    return statistics.median(values) if values else float("nan")


def log_in(port, email):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie", "").split(";", 1)[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token})
    conn.request("POST", "/login", body=form, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise SystemExit(f"log-in failed: HTTP {response.status}")
    return response.getheader("Set-Cookie").split(";", 1)[0], token


def make_user(env, email):
    """A user (to log in) and an API key, made by the app itself: (personal workspace id,
    key). The codes are seeded into that workspace, where both the browser and the key act."""
    from webapp.app import create_app
    from webapp.extensions import db
    from webapp.services.accounts import api_keys, users
    from webapp.services.workspaces import memberships

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(env["DATABASE_URL"]),
                      "REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        user = users.create_user(email, PASSWORD, min_length=10)
        _, key = api_keys.create_api_key(user, "bench")
        db.session.commit()
        workspace_id = memberships.default_workspace_id(user.id)
        db.session.remove()
        db.engine.dispose()
    return workspace_id, key


def seed(engine, workspace_id, first, last):
    with engine.begin() as conn:
        conn.execute(text(SEED), {"workspace": workspace_id, "style": STYLE, "first": first,
                                  "last": last})
        conn.execute(text(SCANNED), {"workspace": workspace_id})
        for tag, every in TAGS.items():
            tag_id = conn.execute(text("INSERT INTO tags (workspace_id, name, created_at) "
                                       "VALUES (:w, :n, now()) RETURNING id"), {"w": workspace_id, "n": tag}).scalar()
            conn.execute(text(TAGGED), {"tag": tag_id, "workspace": workspace_id, "every": every})
        conn.execute(text(ROLLUPS), {"workspace": workspace_id, "breakdowns": BREAKDOWNS})
        conn.execute(text(ROLLUP_DAYS))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("qr_codes", "scan_counters", "tags", "code_tags", "scan_daily_rollups"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def roll_up_workspaces(env, engine, days=30):
    """The workspaces' daily rollups of the seeded days, as `rollup_scans` writes them."""
    from webapp.app import create_app
    from webapp.extensions import db
    from webapp.services.analytics import workspace_rollups

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(env["DATABASE_URL"]),
                      "REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    with app.app_context():
        today = db.session.scalar(text("SELECT current_date"))
        for ago in range(days, 0, -1):
            workspace_rollups.rebuild_day(today - timedelta(days=ago))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE workspace_daily_rollups"))


def measure_analytics(port, users, runs):
    """The workspace analytics page (rendered whole, not streamed): first byte, chart, total."""
    figures = {size: {} for size in users}
    for name, path in ANALYTICS.items():
        results = {size: [] for size in users}
        for _ in range(runs):
            for size, user in users.items():
                results[size].append(timed_get(port, path, {"Cookie": user["cookie"]},
                                               marker=b'class="day-chart"'))
        for size in users:
            figures[size][name] = {k: median(results[size], k) for k in ("ttfb", "marker", "total")}
    return figures


def report_analytics(small, large, counts):
    n_small, n_large = counts
    print(f"\nWorkspace analytics page ({n_small // 100:,} / {n_large // 100:,} scanned codes, "
          f"a rollup on each of their last 30 days)")
    ok = True
    for name in ANALYTICS:
        for key, label in (("ttfb", "first byte"), ("marker", "chart"), ("total", "total")):
            a, b = small[name][key], large[name][key]
            print(f"{name + ', ' + label:<30}{a * 1000:>12.1f} ms{b * 1000:>11.1f} ms{b / a:>9.2f}")
        ratio = large[name]["ttfb"] / small[name]["ttfb"]
        ok &= ratio <= 2
        print(f"  -> {name} TTFB ratio {ratio:.2f} (target <= 2): {'ok' if ratio <= 2 else 'MISSED'}")
    return ok


def measure(port, users, workers, runs):
    """Every figure for both users. The two are measured in turn, request by request, so
    that the machine's load (it is shared) weighs on both alike."""
    figures = {size: {} for size in users}
    for name, query in QUERIES.items():
        path = "/codes/" + (f"?{query}" if query else "")
        results = {size: [] for size in users}
        for _ in range(runs):
            for size, user in users.items():
                results[size].append(timed_get(port, path, {"Cookie": user["cookie"]},
                                               marker=b'class="code-card"'))
        for size in users:
            figures[size][name] = {k: median(results[size], k) for k in ("ttfb", "marker", "total")}
    streams = {size: [] for size in users}
    peaks = []
    for _ in range(max(2, runs // 3)):
        for size, user in users.items():
            time.sleep(0.5)
            idle = {pid: rss_kib(pid) for pid in workers}
            with RssSampler(workers) as sampler:
                streams[size].append(timed_get(port, "/api/qr-codes/stream",
                                               {"Authorization": f"Bearer {user['key']}"}))
            peaks.append((size, max(sampler.peak[p] - idle[p] for p in workers) / 1024,
                          max(idle.values()) / 1024))
    for size in users:
        figures[size]["stream"] = {k: median(streams[size], k) for k in ("ttfb", "total", "lines", "bytes")}
        figures[size]["stream"]["growth_mb"] = max(g for s_, g, _ in peaks if s_ == size)
        figures[size]["stream"]["idle_mb"] = max(i for s_, _, i in peaks if s_ == size)
    for size, user in users.items():
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          _page(port, "/codes/", {"Cookie": user["cookie"]})).group(1)
        time.sleep(0.5)
        idle = {pid: rss_kib(pid) for pid in workers}
        form = urllib.parse.urlencode({"what": "codes", "csrf_token": token})
        with RssSampler(workers) as sampler:
            csv = timed_get(port, "/codes/export", {
                "Cookie": user["cookie"], "Content-Type": "application/x-www-form-urlencoded"},
                method="POST", body=form)
        csv["growth_mb"] = max(sampler.peak[p] - idle[p] for p in workers) / 1024
        figures[size]["csv"] = csv
    return figures


def _page(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers)
    body = conn.getresponse().read().decode()
    conn.close()
    return body


def plans(env, workspace_id):
    """EXPLAIN ANALYZE of the list's own queries (built by the app) at the current size."""
    from sqlalchemy.dialects import postgresql

    from webapp.app import create_app
    from webapp.extensions import db
    from webapp.services.codes.filters import filters_from_args
    from webapp.services.codes.listing import codes_query, decode_cursor, encode_cursor

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(env["DATABASE_URL"]),
                      "REDIS_URL": env["REDIS_URL"], "SECRET_KEY": env["SECRET_KEY"]})
    out = []
    with app.app_context():
        middle = db.session.scalars(codes_query(workspace_id).offset(100_000).limit(1)).first()
        cases = [(name, filters_from_args(dict(urllib.parse.parse_qsl(q))), None)
                 for name, q in QUERIES.items()]
        if middle is not None:
            cases.insert(1, ("page after 100,000 codes", filters_from_args({}),
                             decode_cursor(encode_cursor(middle))))
        for name, filters, after in cases:
            query = codes_query(workspace_id, filters, after).limit(49)
            sql = str(query.compile(dialect=postgresql.dialect(),
                                    compile_kwargs={"literal_binds": True}))
            rows = db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql)).scalars().all()
            nodes = [line.strip() for line in rows if "->" in line or line == rows[0]]
            took = next(line for line in rows if line.startswith("Execution Time"))
            out.append((name, took, nodes[:4]))
        db.session.remove()
        db.engine.dispose()
    return out


def report(small, large, counts, plan_lines):
    n_small, n_large = counts
    print(f"\n{'':30}{n_small:>12,} codes{n_large:>14,} codes{'ratio':>9}")
    ok = True
    for name in QUERIES:
        for key, label in (("ttfb", "first byte"), ("marker", "first row"), ("total", "total")):
            a, b = small[name][key], large[name][key]
            print(f"{name + ', ' + label:<30}{a * 1000:>12.1f} ms{b * 1000:>11.1f} ms{b / a:>9.2f}")
        if name == "list page":
            ratio = large[name]["ttfb"] / small[name]["ttfb"]
            ok &= ratio <= 2
            print(f"  -> list page TTFB ratio {ratio:.2f} (target <= 2): {'ok' if ratio <= 2 else 'MISSED'}")
    s, l_ = small["stream"], large["stream"]
    print(f"\nGET /api/qr-codes/stream (NDJSON, {int(l_['lines']):,} lines, {l_['bytes'] / 1e6:.0f} MB at the large size)")
    for key, label in (("ttfb", "first byte"), ("total", "total")):
        print(f"{'  ' + label:<30}{s[key] * 1000:>12.1f} ms{l_[key] * 1000:>11.1f} ms{l_[key] / s[key]:>9.2f}")
    print(f"{'  codes per second':<30}{s['lines'] / s['total']:>12,.0f}   {l_['lines'] / l_['total']:>12,.0f}")
    print(f"{'  worker RSS growth (peak-idle)':<30}{s['growth_mb']:>12.1f} MB{l_['growth_mb']:>11.1f} MB"
          f"   (idle worker {l_['idle_mb']:.0f} MB)")
    ok &= l_["growth_mb"] <= 50
    print(f"  -> full stream within {l_['growth_mb']:.1f} MB of the idle process (target <= 50 MB): "
          f"{'ok' if l_['growth_mb'] <= 50 else 'MISSED'}")
    c_s, c_l = small["csv"], large["csv"]
    print("\nPOST /codes/export, codes as CSV, streamed (EXPORT_STREAM_MAX_ROWS raised for the bench)")
    for key, label in (("ttfb", "first byte"), ("total", "total")):
        print(f"{'  ' + label:<30}{c_s[key] * 1000:>12.1f} ms{c_l[key] * 1000:>11.1f} ms{c_l[key] / c_s[key]:>9.2f}")
    print(f"{'  rows per second':<30}{(c_s['lines'] - 1) / c_s['total']:>12,.0f}   {(c_l['lines'] - 1) / c_l['total']:>12,.0f}")
    print(f"{'  worker RSS growth':<30}{c_s['growth_mb']:>12.1f} MB{c_l['growth_mb']:>11.1f} MB")
    print(f"\nPostgreSQL plans at {n_large:,} codes (the app's own queries, LIMIT 49):")
    for name, took, nodes in plan_lines:
        print(f"  {name}: {took}")
        for node in nodes:
            print(f"      {node[:150]}")
    return ok


def sqlite_times(env, workdir, sizes, runs):
    """First-page times of the list's queries on SQLite, in process (the service call, no
    HTTP): SQLite is the embedded default, and its search has no index to lean on. A
    user (and their personal workspace) per size, in one database, measured in turn."""
    from datetime import datetime, timezone

    from webapp.app import create_app
    from webapp.extensions import db
    from webapp.models import CodeTag, QrCode, ScanCounter, Tag, User
    from webapp.services.codes.filters import filters_from_args
    from webapp.services.codes.listing import list_page
    from webapp.services.workspaces import actors, memberships

    url = f"sqlite:///{workdir / 'bench.db'}"
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=dict(env, DATABASE_URL=url), check=True, capture_output=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": env["REDIS_URL"],
                      "SECRET_KEY": env["SECRET_KEY"]})
    style, start = json.loads(STYLE), datetime(2026, 1, 1, tzinfo=timezone.utc)
    times = {name: {size: [] for size in sizes} for name in QUERIES}
    with app.app_context():
        users = {}
        for size, first in zip(sizes, (0, 1_000_000)):
            user = User(email=f"bench-{size}@example.com", password_hash="x")
            db.session.add(user)
            db.session.flush()
            workspace = memberships.create_personal(user)
            tags = {name: Tag(workspace_id=workspace.id, name=name) for name in TAGS}
            db.session.add_all(tags.values())
            db.session.flush()
            for low in range(first, first + size, 20_000):
                rows = [_sqlite_row(workspace.id, i, start, style)
                        for i in range(low, min(first + size, low + 20_000))]
                db.session.execute(QrCode.__table__.insert(), rows)
                scanned = [{"qr_code_id": r["id"], "shard": 0, "scans": 3, "bot_scans": 0}
                           for r in rows if r["slug"].endswith("00")]
                if scanned:
                    db.session.execute(ScanCounter.__table__.insert(), scanned)
                db.session.execute(CodeTag.__table__.insert(), [
                    {"tag_id": tags[name].id, "qr_code_id": r["id"], "code_created_at": r["created_at"]}
                    for r in rows for name, every in TAGS.items() if int(r["slug"][5:]) % every == 0])
            db.session.commit()
            users[size] = actors.member(user, workspace.id)
        db.session.execute(text("ANALYZE"))
        for name, query in QUERIES.items():
            filters = filters_from_args(dict(urllib.parse.parse_qsl(query)))
            for user in users.values():
                list_page(user, 48, None, filters)  # warm: statement caches, pages in memory
            for _ in range(runs):
                for size, user in users.items():
                    began = time.perf_counter()
                    list_page(user, 48, None, filters)
                    times[name][size].append(time.perf_counter() - began)
        db.session.remove()
        db.engine.dispose()
    return {name: [statistics.median(by_size[size]) for size in sizes]
            for name, by_size in times.items()}


def _sqlite_row(workspace_id, i, start, style):
    static = i % 10 == 0
    return {"id": f"{i:026d}", "workspace_id": workspace_id, "slug": f"bench{i}",
            "title": ("Flagship store window " if i % 1000 == 0 else "Poster ") + str(i),
            "kind": "static" if static else "dynamic", "content_type": "url",
            "target_url": None if static else f"https://shop.example.com/products/{i}?utm_source=qr",
            "content": f"https://static.example.com/menu/{i}" if static else None, "style": style,
            "active": i % 7 != 0, "scannable": True, "scan_count": 0,
            "created_at": start + timedelta(milliseconds=i), "updated_at": start,
            "folder": "Archive" if i % 1000 == 3 else "Shop windows" if i % 5 == 0 else None}


def report_sqlite(times, sizes):
    print(f"\nSQLite, in process: the first page of each query ({sizes[0]:,} / {sizes[1]:,} codes)")
    for name, (small, large) in times.items():
        print(f"  {name:<28}{small * 1000:>9.1f} ms{large * 1000:>11.1f} ms{large / small:>9.1f}x")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--codes", type=int, default=200_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--runs", type=int, default=7, help="requests per figure (the median is shown)")
    parser.add_argument("--skip-sqlite", action="store_true", help="leave out the SQLite query times")
    parser.add_argument("--analytics-only", action="store_true",
                        help="measure only the workspace analytics page")
    args = parser.parse_args()
    server = (os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
              or "postgresql://postgres@127.0.0.1/postgres")
    admin_url = make_url(database_url(server))
    name = f"scanlink_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    workdir = Path(tempfile.mkdtemp(prefix="scanlink-bench-"))
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    port = free_port()
    redis_proc = subprocess.Popen(
        [find_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    try:
        db_url = admin_url.set(database=name).render_as_string(hide_password=False)
        ok = run(args, db_url, f"redis://127.0.0.1:{port}/0", workdir, name)
    finally:
        redis_proc.terminate()
        redis_proc.wait()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(0 if ok else 1)


def run(args, db_url, redis_url, workdir, name):
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
               SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=db_url, REDIS_URL=redis_url,
               SCANLINK_ENV="production", EXPORT_STREAM_MAX_ROWS=str(args.codes * 2),
               RATELIMIT_AUTH="100 per minute")
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    engine = create_engine(database_url(db_url))
    users, started = {}, time.perf_counter()
    for size, first in ((args.small, 1), (args.codes, 1_000_001)):  # apart: ids and slugs differ
        email = f"bench-{size}@example.com"
        workspace_id, key = make_user(env, email)
        seed(engine, workspace_id, first, first + size - 1)
        users[size] = {"id": workspace_id, "key": key, "email": email}
    roll_up_workspaces(env, engine)
    print(f"gunicorn: {procfile_web_command()}")
    print(f"PostgreSQL database {name}: a user with {args.small:,} codes and one with "
          f"{args.codes:,} (seeded in {time.perf_counter() - started:.1f} s); {args.runs} "
          f"requests per figure, the two users in turn (medians)\n", flush=True)
    port = free_port()
    with open(workdir / "gunicorn.log", "ab") as log, Gunicorn("wsgi:app", env, ROOT, log, port) as web:
        workers = [pid for pid in web.pids() if pid != web.proc.pid]
        for user in users.values():
            user["cookie"], _ = log_in(port, user["email"])
        for _ in range(3):  # warm both workers: imports, templates, pools, plans
            for user in users.values():
                measure_warm(port, user["cookie"], args.analytics_only)
        analytics = measure_analytics(port, users, args.runs)
        figures = None if args.analytics_only else measure(port, users, workers, args.runs)
    counts = (args.small, args.codes)
    ok = report_analytics(analytics[args.small], analytics[args.codes], counts)
    if args.analytics_only:
        engine.dispose()
        return ok
    plan_lines = plans(env, users[args.codes]["id"])
    engine.dispose()
    ok &= report(figures[args.small], figures[args.codes], counts, plan_lines)
    if not args.skip_sqlite:
        print("\nseeding SQLite…", flush=True)
        sizes = (args.small, args.codes)
        report_sqlite(sqlite_times(env, workdir, sizes, args.runs), sizes)
    return ok


def measure_warm(port, cookie, analytics_only=False):
    for path in ANALYTICS.values():
        timed_get(port, path, {"Cookie": cookie})
    for query in () if analytics_only else QUERIES.values():
        timed_get(port, "/codes/" + (f"?{query}" if query else ""), {"Cookie": cookie})


if __name__ == "__main__":
    main()
