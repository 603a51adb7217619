"""Analytics numbers against the scans made, rollups against raw events, and who may see them."""
import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.factories import make_code, make_user
from webapp.extensions import db
from webapp.models import ScanDailyRollup, ScanRollupDay
from webapp.services import ServiceError
from webapp.services.analytics import reports, rollups
from webapp.services.scans import recording

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Mobile Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Safari/537.36")
BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
MIDNIGHT = datetime(2026, 3, 15, tzinfo=timezone.utc)  # between 14 and 15 March


def at(minutes):
    """A moment `minutes` after (or before) midnight UTC of 14/15 March."""
    return MIDNIGHT + timedelta(minutes=minutes)


def seed_around_midnight(code_id):
    """Scans on both sides of midnight; returns nothing, the expectations are below."""
    scan = recording.record_scan
    scan(code_id, user_agent=IPHONE, ip="198.51.100.1", at=at(-30), referrer="https://news.example/a",
         country="FR")
    scan(code_id, user_agent=IPHONE, ip="198.51.100.1", at=at(-10), country="FR")  # same visitor, same day
    scan(code_id, user_agent=ANDROID, ip="198.51.100.2", at=at(-5), country="DE")
    scan(code_id, user_agent=BOT, ip="198.51.100.9", at=at(-1))
    scan(code_id, user_agent=IPHONE, ip="198.51.100.1", at=at(0), country="FR")  # 00:00 belongs to the 15th
    scan(code_id, user_agent=DESKTOP, ip="198.51.100.3", at=at(20), referrer="https://news.example/b")
    scan(code_id, user_agent=BOT, ip="198.51.100.9", at=at(25))
    scan(code_id, user_agent=IPHONE, ip="198.51.100.4", at=at(60 * 30))  # 16 March: outside
    scan(code_id, user_agent=IPHONE, ip="198.51.100.4", at=at(-60 * 25))  # 13 March: outside


def test_analytics_match_the_scans_across_midnight_utc(app):
    with app.app_context():
        code = make_code()
        other = make_code()
        seed_around_midnight(code.id)
        recording.record_scan(other.id, user_agent=IPHONE, ip="198.51.100.1", at=at(1))  # another code
        db.session.commit()
        now = MIDNIGHT + timedelta(days=5)

        start, end = reports.parse_range("2026-03-14", "2026-03-15", now=now)
        summary = reports.scan_summary(code, start, end, now=now)
        assert (summary["total"], summary["unique"], summary["bots"]) == (5, 4, 2)
        assert summary["by_day"] == [
            {"date": "2026-03-14", "scans": 3, "unique": 2, "bots": 1},
            {"date": "2026-03-15", "scans": 2, "unique": 2, "bots": 1},
        ]
        assert summary["devices"] == [{"name": "mobile", "scans": 4}, {"name": "desktop", "scans": 1}]
        assert summary["os"][0] == {"name": "iOS", "scans": 3}
        assert summary["referrers"] == [{"name": "", "scans": 3}, {"name": "https://news.example", "scans": 2}]
        assert summary["countries"] == [{"name": "FR", "scans": 3}, {"name": "", "scans": 1},
                                        {"name": "DE", "scans": 1}]

        # an hour either side of midnight, as times
        start, end = reports.parse_range("2026-03-14T23:00:00Z", "2026-03-15T01:00:00+00:00", now=now)
        summary = reports.scan_summary(code, start, end, now=now)
        assert (summary["total"], summary["bots"]) == (5, 2)
        # the start is included, the end is not
        start, end = reports.parse_range("2026-03-14T23:55:00Z", "2026-03-15T00:00:00Z", now=now)
        summary = reports.scan_summary(code, start, end, now=now)
        assert (summary["total"], summary["bots"]) == (1, 1)
        start, end = reports.parse_range("2026-03-14T23:56:00Z", "2026-03-15T00:00:01Z", now=now)
        summary = reports.scan_summary(code, start, end, now=now)
        assert (summary["total"], summary["bots"]) == (1, 1)


def test_rollups_are_idempotent_and_equal_the_raw_numbers(app):
    with app.app_context():
        code = make_code()
        seed_around_midnight(code.id)
        db.session.commit()
        now = MIDNIGHT + timedelta(days=5)
        start, end = reports.parse_range("2026-03-10", "2026-03-20", now=now)
        raw = reports.scan_summary(code, start, end, now=now)

        for day in (date(2026, 3, 13), date(2026, 3, 14), date(2026, 3, 15), date(2026, 3, 16)):
            rollups.rollup_scans(day, now=now)
        db.session.commit()
        first = _rollup_rows()
        for day in (date(2026, 3, 14), date(2026, 3, 15)):
            rollups.rollup_scans(day, now=now)
        db.session.commit()
        assert _rollup_rows() == first
        assert len(first) == 4
        assert reports.scan_summary(code, start, end, now=now) == raw

        # the rollup is what is read: change it and the analytics follow
        row = db.session.get(ScanDailyRollup, (code.id, date(2026, 3, 14)))
        row.scans = 1000
        db.session.commit()
        assert reports.scan_summary(code, start, end, now=now)["total"] == raw["total"] - 3 + 1000
        # a rerun repairs it, and late events are included
        recording.record_scan(code.id, user_agent=IPHONE, ip="198.51.100.7", at=at(-2))
        rollups.rollup_scans(date(2026, 3, 14), now=now)
        db.session.commit()
        assert reports.scan_summary(code, start, end, now=now)["total"] == raw["total"] + 1


def _rollup_rows():
    rows = db.session.scalars(select(ScanDailyRollup).order_by(ScanDailyRollup.day)).all()
    return [(r.qr_code_id, r.day, r.scans, r.uniques, r.bots, r.breakdowns) for r in rows]


def test_partial_days_and_today_come_from_raw_events(app):
    with app.app_context():
        code = make_code()
        seed_around_midnight(code.id)
        db.session.commit()
        now = MIDNIGHT + timedelta(days=5)
        for day in (date(2026, 3, 14), date(2026, 3, 15)):
            rollups.rollup_scans(day, now=now)
        db.session.commit()
        # a range that starts inside the 14th must not take the whole day's rollup
        start, end = reports.parse_range("2026-03-14T23:52:00Z", "2026-03-15", now=now)
        summary = reports.scan_summary(code, start, end, now=now)
        assert (summary["total"], summary["bots"]) == (3, 2)
        # "today" is never read from a rollup, even if one exists
        assert reports.scan_summary(code, start, end, now=MIDNIGHT + timedelta(hours=1))["total"] == 3


def test_rollup_refuses_a_day_that_is_not_over(app):
    with app.app_context():
        with pytest.raises(ServiceError):
            rollups.rollup_scans(date.today() + timedelta(days=1))
        with pytest.raises(ServiceError):
            rollups.rollup_scans(datetime.now(timezone.utc).date())
        assert db.session.scalars(select(ScanRollupDay)).all() == []


def test_rollup_job_runs_in_a_real_worker(app, run_jobs):
    from webapp.services.jobs import queues

    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    with app.app_context():
        code_id = make_code().id
        recording.record_scan(code_id, user_agent=IPHONE, ip="192.0.2.1", at=yesterday)
        db.session.commit()
        job = queues.submit("scans.rollup", payload={"day": yesterday.date().isoformat()})
        job_id = job.id
    assert run_jobs() == 1
    with app.app_context():
        from webapp.models import BackgroundJob

        row = db.session.get(BackgroundJob, job_id)
        assert row.status == "completed", row.error
        assert row.result == {"events": {yesterday.date().isoformat(): 1}}
        assert db.session.get(ScanDailyRollup, (code_id, yesterday.date())).scans == 1
        due = rollups.due_days()
        assert yesterday.date() in due and len(due) == rollups.LOOKBACK_DAYS


def test_analytics_page_api_and_csv_are_owner_only(app, client, auth):
    auth.signup(email="owner@example.com")
    with app.app_context():
        owner = make_user("owner@example.com")
        code = make_code(owner)
        code_id = code.id
    assert client.get(f"/codes/{code_id}/analytics").status_code == 200
    assert client.get(f"/api/qr-codes/{code_id}/scans").status_code == 200
    assert client.get(f"/codes/{code_id}/analytics/scans.csv").status_code == 200
    auth.logout()
    auth.signup(email="eve@example.com")
    for path in (f"/codes/{code_id}/analytics", f"/codes/{code_id}/analytics/scans.csv",
                 f"/api/qr-codes/{code_id}/scans", "/codes/nope/analytics", "/api/qr-codes/nope/scans",
                 "/codes/" + "x" * 300 + "/analytics", "/codes/%00/analytics", "/api/qr-codes/a%00b/scans"):
        assert client.get(path).status_code == 404, path
    auth.logout()
    assert client.get(f"/api/qr-codes/{code_id}/scans").status_code == 401
    assert client.get(f"/codes/{code_id}/analytics").status_code == 302  # to the log-in page


def test_scans_api_json_and_its_validation(app, client, auth):
    auth.signup(email="owner@example.com")
    with app.app_context():
        code = make_code(make_user("owner@example.com"))
        code_id = code.id
        seed_around_midnight(code_id)
        db.session.commit()
    body = client.get(f"/api/qr-codes/{code_id}/scans?from=2026-03-14&to=2026-03-15").json
    assert (body["total"], body["unique"], body["bots"]) == (5, 4, 2)
    assert body["from"] == "2026-03-14T00:00:00Z" and body["to"] == "2026-03-16T00:00:00Z"
    assert [d["date"] for d in body["by_day"]] == ["2026-03-14", "2026-03-15"]
    for query, field in (("from=yesterday", "from"), ("from=2026-03-15&to=2026-03-14", "from"),
                         ("from=2020-01-01&to=2026-01-01", "to"), ("to=2026-13-01", "to"),
                         ("from=" + "9" * 41, "from"), ("from=9999-12-31&to=9999-12-31", "to"),
                         ("to=0001-01-01", "to"), ("from=2026-03-14T25:00:00Z", "from")):
        response = client.get(f"/api/qr-codes/{code_id}/scans?{query}")
        assert response.status_code == 422, query
        assert field in response.json["error"]["fields"], query
    doc = client.get("/api/openapi.json").json
    assert "get" in doc["paths"]["/api/qr-codes/{code_id}/scans"]


def test_csv_export_lists_the_scans_and_defuses_formulas(app, client, auth):
    auth.signup(email="owner@example.com")
    with app.app_context():
        code = make_code(make_user("owner@example.com"))
        code_id = code.id
        for n, agent in enumerate(["=HYPERLINK(\"http://evil\")", "+1+2", "-3", "@SUM(A1)", IPHONE]):
            recording.record_scan(code_id, user_agent=agent, ip="192.0.2.1", at=at(n))
        db.session.commit()
    response = client.get(f"/codes/{code_id}/analytics/scans.csv?from=2026-03-15&to=2026-03-15")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:2] == ["scanned_at", "device_type"]
    agents = [row[-1] for row in rows[1:]]
    assert agents == ["'=HYPERLINK(\"http://evil\")", "'+1+2", "'-3", "'@SUM(A1)", IPHONE]
    assert rows[1][0] == "2026-03-15T00:00:00Z"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_analytics_page_shows_the_numbers_and_swaps_the_range_with_htmx(app, client, auth):
    auth.signup(email="owner@example.com")
    with app.app_context():
        code = make_code(make_user("owner@example.com"), title="Spring poster")
        code_id = code.id
        now = datetime.now(timezone.utc)
        for agent, days_ago in ((IPHONE, 0), (ANDROID, 1), (BOT, 1), (IPHONE, 20)):
            recording.record_scan(code_id, user_agent=agent, ip=f"192.0.2.{days_ago}", at=now - timedelta(days=days_ago))
        db.session.commit()
    page = client.get(f"/codes/{code_id}/analytics").get_data(as_text=True)
    assert "<html" in page and "Spring poster" in page and "<svg" in page
    assert 'data-stat="total">3<' in page and 'data-stat="bots">1<' in page
    fragment = client.get(f"/codes/{code_id}/analytics?days=7", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="analytics"' in html
    assert 'data-stat="total">2<' in html and 'aria-current="true"' in html
    bad = client.get(f"/codes/{code_id}/analytics?from=2026-02-30", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Use a date" in bad.get_data(as_text=True)
