"""How fast do workers drain the webhook outbox, against a plain POST loop?

Runs on PostgreSQL (a database created for the run and dropped after it, on the
server in BENCH_DATABASE_URL or TEST_DATABASE_URL, default
postgresql://postgres@127.0.0.1/test) and on a Redis it starts itself.

1. A small threaded HTTP receiver (HTTP/1.1 keep-alive, minimal parsing, answers
   200) runs in its own process on 127.0.0.1.
2. Baseline: a plain `requests.Session` POST loop, in its own process, sends
   N bodies of the same size to it.
3. N events are written to the outbox and one real `python -m workers` process
   drains them (claim, sign, POST, record each attempt); then N new events are
   drained by two workers. The clock runs from the request for delivery until the
   last row is marked delivered; worker start-up is not counted.

The machine may be shared, so the three measurements are interleaved in rounds
(each on a freshly emptied and vacuumed outbox) and the best of each is kept;
every round's figures are printed too. Prints deliveries per second and the
ratios to the baseline.
Usage: python bench/webhook_drain.py [N [ROUNDS]]   (defaults: 10000 events, 3 rounds)
"""
import json
import os
import socket
import socketserver
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BODY_TEMPLATE = {"type": "qr.scanned", "created_at": "2026-01-01T00:00:00.000Z", "data": {
    "qr_code": {"id": "01hxxxxxxxxxxxxxxxxxxxxxxx", "slug": "shopwindow", "title": "Shop window"},
    "scan": {"id": "1", "scanned_at": "2026-01-01T00:00:00.000Z", "device_type": "mobile", "os": "iOS",
             "browser": "Safari", "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
             "referrer": "", "country": "DE", "is_bot": False}}}


# --- the receiver and the baseline, each run as its own process -------------------

class Handler(socketserver.StreamRequestHandler):
    """Just enough HTTP/1.1 for POSTs with a Content-Length, kept alive: the receiver
    must cost little, or the bench measures the receiver instead of the senders."""

    RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"

    def handle(self):
        # headers and body leave in one write, but the client's arrive in two:
        # without this, Nagle and delayed ACKs add 40 ms to a keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            length = 0
            while True:
                header = self.rfile.readline(65537)
                if header in (b"\r\n", b"\n", b""):
                    break
                name, _, value = header.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            self.rfile.read(length)
            self.wfile.write(self.RESPONSE)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def run_receiver(port):
    server = Server(("127.0.0.1", port), Handler)
    print("ready", flush=True)
    server.serve_forever()


def run_baseline(url, n):
    import requests

    session = requests.Session()
    body = json.dumps({"id": "evt_x", **BODY_TEMPLATE}, separators=(",", ":")).encode()
    headers = {"content-type": "application/json", "webhook-id": "evt_x",
               "webhook-timestamp": "0", "webhook-signature": "v1,x"}
    started = time.perf_counter()
    for _ in range(n):
        response = session.post(url, data=body, headers=headers, timeout=(3, 10))
        assert response.status_code == 200
    print(f"{n / (time.perf_counter() - started):.1f}", flush=True)


# --- the run ------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def create_database():
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from webapp.config import database_url

    server = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") \
        or "postgresql://postgres@127.0.0.1/test"
    admin_url = make_url(database_url(server))
    name = f"scanlink_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def create_endpoint(app, url):
    from webapp.extensions import db
    from webapp.models import User, WebhookEndpoint
    from webapp.services.webhooks.endpoints import new_secret
    from webapp.services.workspaces import memberships

    with app.app_context():
        user = User(email="bench@example.com", password_hash="x")
        db.session.add(user)
        db.session.flush()
        workspace = memberships.create_personal(user)
        endpoint = WebhookEndpoint(workspace_id=workspace.id, url=url, secret=new_secret(), events=["qr.scanned"],
                                   enabled=True, failure_streak=0)
        db.session.add(endpoint)
        db.session.commit()
        return endpoint.id


def fresh_events(app, endpoint_id, n):
    """An emptied and vacuumed outbox with n new due events: every run starts alike."""
    from sqlalchemy import delete, insert, text

    from webapp.extensions import db
    from webapp.models import WebhookAttempt, WebhookOutbox
    from webapp.models.base import new_id, utcnow
    from webapp.services.webhooks.events import event_body

    with app.app_context():
        db.session.execute(delete(WebhookAttempt))
        db.session.execute(delete(WebhookOutbox))
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE webhook_outbox, webhook_attempts"))
        now = utcnow()
        rows = []
        for _ in range(n):
            event_id = "evt_" + new_id()
            rows.append(dict(id=new_id(), event_id=event_id, endpoint_id=endpoint_id,
                             event_type="qr.scanned", status="pending", attempts=0, next_attempt_at=now,
                             payload=event_body(event_id, "qr.scanned", now, BODY_TEMPLATE["data"]),
                             created_at=now, updated_at=now))
        db.session.execute(insert(WebhookOutbox), rows)
        db.session.commit()


def delivered(app):
    from sqlalchemy import func, select

    from webapp.extensions import db
    from webapp.models import WebhookOutbox

    with app.app_context():
        count = db.session.scalar(select(func.count()).where(WebhookOutbox.status == "delivered"))
        db.session.remove()
        return count


def drain_with_workers(app, env, count, n, logdir):
    from rq import Worker

    from webapp.infra.redis_client import get_redis
    from webapp.services.webhooks.dispatch import REQUESTED_KEY, request_drain

    redis = get_redis(app)
    procs = [subprocess.Popen([sys.executable, "-m", "workers"], cwd=ROOT, env=env,
                              stdout=open(logdir / f"worker-{count}-{i}.log", "wb"),
                              stderr=subprocess.STDOUT, start_new_session=True)
             for i in range(count)]
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(connection=redis)) < count:
            if time.monotonic() > deadline:
                sys.exit("the workers did not start; see " + str(logdir))
            time.sleep(0.1)
        # a request left over from the previous run (its job taken by a worker that was
        # then stopped) must not hide this one
        redis.delete(REQUESTED_KEY)
        with app.app_context():
            started = time.perf_counter()
            request_drain()
        while delivered(app) < n:
            if time.perf_counter() - started > 600:
                sys.exit("the drain took more than 10 minutes; see " + str(logdir))
            time.sleep(0.2)
        return n / (time.perf_counter() - started)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def baseline_rate(url, n):
    result = subprocess.run([sys.executable, __file__, "--baseline", url, str(n)], check=True,
                            capture_output=True, text=True)
    return float(result.stdout.strip())


def main(n, rounds=3):
    import tempfile

    from flask_migrate import upgrade

    from scripts.run_tests import start_redis
    from webapp.app import create_app

    redis_proc, redis_url, redis_dir = start_redis()
    database, drop = create_database()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port)], stdout=subprocess.PIPE)
    logdir = Path(tempfile.mkdtemp(prefix="scanlink-bench-"))
    app = None
    try:
        assert receiver.stdout.readline().strip() == b"ready"
        url = f"http://127.0.0.1:{port}/hook"
        env = dict(os.environ, SCANLINK_ENV="production", SECRET_KEY="bench", DATABASE_URL=database,
                   REDIS_URL=redis_url, WEBHOOK_ALLOW_HTTP="1", WEBHOOK_ALLOW_PRIVATE="1")
        app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
                          "SECRET_KEY": "bench", "WEBHOOK_ALLOW_HTTP": True, "WEBHOOK_ALLOW_PRIVATE": True})
        with app.app_context():
            upgrade()
        endpoint_id = create_endpoint(app, url)

        print(f"webhook drain: {n} events to a local receiver on 127.0.0.1, PostgreSQL, "
              f"{os.cpu_count()} cores, {rounds} interleaved rounds (best of each kept)")
        runs = {"loop": [], "one": [], "two": []}
        for round_no in range(1, rounds + 1):
            runs["loop"].append(baseline_rate(url, n))
            fresh_events(app, endpoint_id, n)
            runs["one"].append(drain_with_workers(app, env, 1, n, logdir))
            fresh_events(app, endpoint_id, n)
            runs["two"].append(drain_with_workers(app, env, 2, n, logdir))
            print(f"  round {round_no}: loop {runs['loop'][-1]:7.1f}/s, one worker "
                  f"{runs['one'][-1]:7.1f}/s ({runs['one'][-1] / runs['loop'][-1]:.0%}), "
                  f"two workers {runs['two'][-1]:7.1f}/s")
        loop, one, two = (max(runs[k]) for k in ("loop", "one", "two"))
        print(f"  plain requests.Session POST loop : {loop:8.1f} requests/s")
        print(f"  one worker                       : {one:8.1f} deliveries/s  ({one / loop:.0%} of the loop)")
        print(f"  two workers                      : {two:8.1f} deliveries/s  "
              f"({two / loop:.0%} of the loop, {two / one:.2f}x one worker)")
        print(f"ratio one worker / POST loop: {one / loop:.2f}")
    finally:
        receiver.terminate()
        receiver.wait()
        if app is not None:
            with app.app_context():
                from webapp.extensions import db

                db.session.remove()
                for engine in db.engines.values():
                    engine.dispose()
        drop()
        redis_proc.terminate()
        redis_proc.wait()


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--receiver":
        run_receiver(int(sys.argv[2]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--baseline":
        run_baseline(sys.argv[2], int(sys.argv[3]))
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000,
             int(sys.argv[2]) if len(sys.argv) > 2 else 3)
