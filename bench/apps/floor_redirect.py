"""The floor: what any Flask app pays that looks a slug up in Redis and writes the
scan durably to PostgreSQL, with none of Scanlink's layers (no SQLAlchemy, no
extensions, one persistent connection per thread, the same single statement)."""
import datetime
import os
import random
import threading

import psycopg
import redis
from flask import Flask, redirect

# The event and its counter bump in one statement, one round trip (what Scanlink sent per
# scan before its writes were batched).
SCAN = (
    "WITH bump AS (INSERT INTO scan_counters (qr_code_id, shard, scans, bot_scans) "
    "VALUES (%(qr_code_id)s, %(shard)s, %(scans)s, %(bots)s) ON CONFLICT (qr_code_id, shard) "
    "DO UPDATE SET scans = scan_counters.scans + excluded.scans, "
    "bot_scans = scan_counters.bot_scans + excluded.bot_scans) "
    "INSERT INTO scan_events (qr_code_id, scanned_at, user_agent, device_type, os, browser, "
    "referrer, ip_hash, country, is_bot) VALUES (%(qr_code_id)s, %(scanned_at)s, %(user_agent)s, "
    "%(device_type)s, %(os)s, %(browser)s, %(referrer)s, %(ip_hash)s, %(country)s, %(is_bot)s) "
    "RETURNING id")

app = Flask(__name__)
cache = redis.Redis.from_url(os.environ["REDIS_URL"])
url = os.environ["DATABASE_URL"]
with psycopg.connect(url) as conn:
    code_id = conn.execute("SELECT id FROM qr_codes ORDER BY slug LIMIT 1").fetchone()[0]
local = threading.local()


@app.get("/s/<slug>")
def scan(slug):
    cache.get("floor:" + slug)
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = psycopg.connect(url)
    conn.execute(SCAN, dict(
        qr_code_id=code_id, scanned_at=datetime.datetime.utcnow(), user_agent="floor",
        device_type="mobile", os="iOS", browser="Mobile Safari", referrer="", ip_hash="0" * 32,
        country="", is_bot=False, shard=random.randrange(16), scans=1, bots=0)).fetchone()
    conn.commit()
    response = redirect("https://example.com/landing", 302)
    response.headers["Cache-Control"] = "no-store"
    return response
