"""Unique visitors: an address with a user agent, hashed with the day's salt.

Phones share addresses (carrier-grade NAT, a café's Wi-Fi): five browsers behind one
address are five visitors; one browser scanning twice is one. Neither the address nor
anything reversible to it is stored."""
from datetime import datetime, timezone

from sqlalchemy import select

from tests.factories import make_code
from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.services.analytics import reports
from webapp.services.scans import recording

ADDRESS = "198.51.100.7"
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 16_7 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
]


def uniques_today(code):
    start, end = reports.parse_range(days=1)
    return reports.scan_summary(code, start, end)["unique"]


def test_five_browsers_behind_one_address_are_five_visitors(app):
    with app.app_context():
        code = make_code()
        for agent in AGENTS:
            recording.record_scan(code.id, user_agent=agent, ip=ADDRESS)
        assert uniques_today(code) == 5
        stored = db.session.scalars(select(ScanEvent.ip_hash)).all()
        assert len(set(stored)) == 5


def test_one_browser_scanning_twice_is_one_visitor(app):
    with app.app_context():
        code = make_code()
        recording.record_scan(code.id, user_agent=AGENTS[0], ip=ADDRESS)
        recording.record_scan(code.id, user_agent=AGENTS[0], ip=ADDRESS,
                              at=datetime.now(timezone.utc))
        assert uniques_today(code) == 1
        recording.record_scan(code.id, user_agent=AGENTS[0], ip="198.51.100.8")
        assert uniques_today(code) == 2
