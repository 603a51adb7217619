"""Recording scans: counted once, bots apart, visitors pseudonymous, nothing lost under load."""
import http.client
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

from sqlalchemy import JSON, String, Text, cast, func, select, text

from tests.factories import make_code
from webapp.extensions import db
from webapp.models import QrCode, ScanEvent
from webapp.services import useragents
from webapp.services.analytics import rollups
from webapp.services.scans import counters, recording

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0 Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Safari/537.36 Edg/126.0")
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_user_agents_are_described_by_the_parsers():
    assert useragents.describe(IPHONE) == useragents.Client("mobile", "iOS", "Mobile Safari", False)
    assert useragents.describe(ANDROID_TABLET).device_type == "tablet"
    assert useragents.describe(DESKTOP) == useragents.Client("desktop", "Windows", "Edge", False)
    for bot in (GOOGLEBOT, "curl/8.5.0", "python-requests/2.31", ""):
        assert useragents.describe(bot).is_bot, bot
        assert useragents.describe(bot).device_type == "bot"


def test_bots_are_counted_apart(app, client):
    with app.app_context():
        code = make_code(slug="shelf")
        code_id = code.id
    for agent in (IPHONE, GOOGLEBOT, DESKTOP, "curl/8.5.0"):
        assert client.get("/s/shelf", headers={"User-Agent": agent}).status_code == 302
    with app.app_context():
        assert counters.scan_counts([code_id]) == {code_id: {"scans": 2, "bots": 2}}
        flags = db.session.scalars(select(ScanEvent.is_bot).order_by(ScanEvent.id)).all()
        assert flags == [False, True, False, True]
        counters.refresh_scan_counts()
        db.session.commit()
        assert db.session.get(QrCode, code_id).scan_count == 2


def test_the_raw_ip_appears_nowhere_in_the_database(app, client):
    with app.app_context():
        make_code(slug="private")
    addresses = ["203.0.113.77", "2001:db8::4242"]
    for address in addresses:
        client.get("/s/private", headers={"User-Agent": IPHONE}, environ_base={"REMOTE_ADDR": address})
    with app.app_context():
        code_id = db.session.scalar(select(QrCode.id))
        yesterday = datetime.now(timezone.utc) - timedelta(days=1)
        recording.record_scan(code_id, user_agent=IPHONE, ip=addresses[0], at=yesterday)
        rollups.rollup_scans(yesterday.date())
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ScanEvent)) == 3
        hashes = db.session.scalars(select(ScanEvent.ip_hash)).all()
        assert all(len(h) == 32 for h in hashes) and len(set(hashes)) == 3

        found = []
        for table in db.metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, (String, Text, JSON)) and column.name != "breakdowns":
                    continue
                value = cast(column, Text) if not isinstance(column.type, (String, Text)) else column
                for address in addresses + ["203.0.113", "db8::4242"]:
                    hits = db.session.scalar(select(func.count()).select_from(table)
                                             .where(value.contains(address)))
                    if hits:
                        found.append((table.name, column.name, address))
        assert found == []


def test_one_visitor_is_one_hash_per_day_and_another_the_next_day(app):
    with app.app_context():
        code = make_code()
        day = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
        first = recording.record_scan(code.id, user_agent=IPHONE, ip="198.51.100.1", at=day)
        again = recording.record_scan(code.id, user_agent=IPHONE, ip="198.51.100.1", at=day + timedelta(hours=3))
        other = recording.record_scan(code.id, user_agent=IPHONE, ip="198.51.100.2", at=day)
        next_day = recording.record_scan(code.id, user_agent=IPHONE, ip="198.51.100.1", at=day + timedelta(days=1))
        db.session.commit()
        assert first.ip_hash == again.ip_hash
        assert other.ip_hash != first.ip_hash
        assert next_day.ip_hash != first.ip_hash
        assert first.id and first.scanned_at == day


def test_a_recorded_scan_is_in_the_callers_transaction_until_it_commits(app):
    with app.app_context():
        code_id = make_code().id
        event = recording.record_scan(code_id, user_agent=IPHONE, ip="192.0.2.1")
        with db.engine.connect() as other:  # another connection sees nothing yet
            assert other.scalar(select(func.count()).select_from(ScanEvent)) == 0
        assert db.session.get(ScanEvent, event.id) is not None
        assert counters.scan_counts([code_id])[code_id]["scans"] == 1
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(ScanEvent)) == 0
        assert counters.scan_counts([code_id])[code_id]["scans"] == 0


def test_concurrent_scans_of_one_hot_code_are_all_counted(app, live_server):
    """Many clients at once on one code: no lost scan, no "database is locked"."""
    with app.app_context():
        code = make_code(slug="hot")
        code_id = code.id
    total, workers = 240, 16

    def scan(n):
        conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=30)
        conn.request("GET", "/s/hot", headers={"User-Agent": IPHONE, "X-N": str(n)})
        status = conn.getresponse().status
        conn.close()
        return status

    with ThreadPoolExecutor(workers) as pool:
        statuses = list(pool.map(scan, range(total)))
    assert statuses == [302] * total
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ScanEvent)) == total
        assert counters.scan_counts([code_id])[code_id]["scans"] == total
        shards = db.session.execute(text(
            "SELECT count(*) FROM scan_counters WHERE qr_code_id = :id"), {"id": code_id}).scalar()
        assert 1 < shards <= counters.SHARDS


def test_scan_counts_cover_a_set_of_codes(app):
    with app.app_context():
        codes = [make_code() for _ in range(3)]
        for n, code in enumerate(codes[:2]):
            for _ in range(n + 1):
                recording.record_scan(code.id, user_agent=IPHONE, ip="192.0.2.9")
        recording.record_scan(codes[1].id, user_agent=GOOGLEBOT, ip="192.0.2.9")
        db.session.commit()
        counts = counters.scan_counts([c.id for c in codes])
    assert counts == {codes[0].id: {"scans": 1, "bots": 0}, codes[1].id: {"scans": 2, "bots": 1},
                      codes[2].id: {"scans": 0, "bots": 0}}


def test_user_agent_descriptions_are_cached_in_a_bounded_lru_that_matches_a_fresh_parse():
    cached = useragents._describe
    cached.cache_clear()
    size = cached.cache_info().maxsize
    agents = [f"Mozilla/5.0 (Linux; Android 14; Pixel {n}) AppleWebKit/537.36 (KHTML, like Gecko) "
              f"Chrome/126.0.{n}.0 Mobile Safari/537.36" for n in range(size + 50)]
    described = [useragents.describe(agent) for agent in agents]
    info = cached.cache_info()
    assert (info.currsize, info.misses) == (size, size + 50)  # bounded
    # a hit gives what a parse gives; the oldest entries were evicted, the newest kept
    assert useragents.describe(agents[-1]) == described[-1] == cached.__wrapped__(agents[-1])
    assert cached.cache_info().hits == 1
    assert useragents.describe(agents[0]) == described[0] == cached.__wrapped__(agents[0])
    assert cached.cache_info().misses == size + 51
    # the cache key is the string as stored (cut to the column), so a longer string that
    # only differs past the cut is the same client
    long_agent = IPHONE + " " + "x" * useragents.MAX_LENGTH
    assert useragents.describe(long_agent) == useragents.describe(long_agent[:useragents.MAX_LENGTH])
