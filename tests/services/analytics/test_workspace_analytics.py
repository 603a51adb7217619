"""Workspace-wide analytics against known rollups (and the raw events of days not rolled up)."""
from datetime import date, datetime, timedelta, timezone

from tests.factories import make_code, make_user, workspace_of
from webapp.extensions import db
from webapp.models import ScanDailyRollup, ScanRollupDay
from webapp.services.analytics import reports, workspace, workspace_rollups
from webapp.services.scans import recording

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)  # "today" is 20 March
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def rollup(code, day, scans, uniques, bots=0, device=None, country=None, referrer=None):
    """A code's rollup of `day`, then its workspace's, summed as the daily rollup does."""
    db.session.add(ScanDailyRollup(qr_code_id=code.id, workspace_id=code.workspace_id, day=day,
                                   scans=scans, uniques=uniques, bots=bots,
                                   breakdowns={"device": device or {}, "country": country or {},
                                               "referrer": referrer or {}}))
    db.session.flush()
    workspace_rollups.rebuild_day(day)


def seed(database):
    """Two codes of Ada's workspace, one of Bob's, rolled up 1–19 March; two raw scans today."""
    ada = workspace_of(make_user("ada@example.com"))
    bob = workspace_of(make_user("bob@example.com"))
    poster, flyer = make_code(ada, "poster", title="Poster"), make_code(ada, "flyer", title="Flyer")
    other = make_code(bob, "other")
    for n in range(1, 20):
        db.session.add(ScanRollupDay(day=date(2026, 3, n), events=0))
    rollup(poster, date(2026, 3, 19), 5, 4, 1, {"mobile": 4, "desktop": 1}, {"FR": 5},
           {"": 3, "https://news.example": 2})
    rollup(poster, date(2026, 3, 14), 3, 3, 0, {"mobile": 3}, {"DE": 3}, {"": 3})
    rollup(flyer, date(2026, 3, 13), 10, 7, 2, {"desktop": 10}, {"FR": 10}, {"": 10})  # 1st day of 7
    rollup(flyer, date(2026, 3, 12), 100, 50, 0, {"desktop": 100})  # the day before: previous period
    rollup(flyer, date(2026, 3, 6), 4, 4, 0, {"desktop": 4})  # first day of the previous period
    rollup(flyer, date(2026, 3, 5), 1000, 1, 0, {"desktop": 1000})  # before both
    rollup(other, date(2026, 3, 19), 999, 999, 0, {"mobile": 999})  # another workspace
    recording.record_scan(poster.id, user_agent=IPHONE, ip="198.51.100.1", at=NOW - timedelta(hours=1),
                          country="FR")
    recording.record_scan(other.id, user_agent=IPHONE, ip="198.51.100.1", at=NOW - timedelta(hours=1))
    db.session.commit()
    return ada, poster, flyer


def test_totals_top_codes_and_breakdowns_add_rollups_and_today(app, database):
    with app.app_context():
        ada, poster, flyer = seed(database)
        start, end = reports.parse_range(days=7, now=NOW)  # 14–20 March
        summary = workspace.workspace_summary(ada, start, end, now=NOW)
        assert (summary["from"], summary["to"]) == ("2026-03-14T00:00:00Z", "2026-03-21T00:00:00Z")
        assert (summary["total"], summary["unique"], summary["bots"]) == (9, 8, 1)
        assert [d["scans"] for d in summary["by_day"]] == [3, 0, 0, 0, 0, 5, 1]
        assert summary["top_codes"] == [{"id": poster.id, "slug": "poster", "title": "Poster", "scans": 9}]
        assert summary["devices"] == [{"name": "mobile", "scans": 8}, {"name": "desktop", "scans": 1}]
        assert summary["countries"] == [{"name": "FR", "scans": 6}, {"name": "DE", "scans": 3}]
        assert summary["referrers"] == [{"name": "", "scans": 7}, {"name": "https://news.example", "scans": 2}]
        # previous period: the 7 days before, 7–13 March
        assert summary["previous"]["from"] == "2026-03-07T00:00:00Z"
        assert (summary["previous"]["total"], summary["previous"]["bots"]) == (110, 2)

        # 13 March starts the range: both its codes rank, the flyer first
        start, end = reports.parse_range("2026-03-13", "2026-03-19", now=NOW)
        summary = workspace.workspace_summary(ada, start, end, now=NOW)
        assert [(c["slug"], c["scans"]) for c in summary["top_codes"]] == [("flyer", 10), ("poster", 8)]
        assert summary["total"] == 18
        # the previous 7 days are 6–12 March: its first and last day counted, 5 March not
        assert summary["previous"]["total"] == 104
        assert summary["previous"]["to"] == "2026-03-13T00:00:00Z"


def test_a_range_of_hours_reads_raw_events_only(app, database):
    with app.app_context():
        ada, _, _ = seed(database)
        start, end = reports.parse_range("2026-03-19T00:00:00Z", "2026-03-19T23:00:00Z", now=NOW)
        summary = workspace.workspace_summary(ada, start, end, now=NOW)
        assert summary["total"] == 0  # a partial day is never read from its rollup
        assert summary["previous"]["from"] == "2026-03-18T01:00:00Z"


def test_dashboard_totals(app, database):
    with app.app_context():
        ada, _, _ = seed(database)
        assert workspace.dashboard_totals(ada, now=NOW) == {
            "today": 1, "week": 9, "month": 1 + 5 + 3 + 10 + 100 + 4 + 1000, "codes": 2}
        empty = workspace_of(make_user("cy@example.com"))
        assert workspace.dashboard_totals(empty, now=NOW) == {"today": 0, "week": 0, "month": 0, "codes": 0}


def test_change_against_the_previous_period():
    assert workspace.change(15, 10) == 50.0
    assert workspace.change(5, 10) == -50.0
    assert workspace.change(3, 0) is None
