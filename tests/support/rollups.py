"""Workspace analytics compared with the raw events: scans to seed, summaries of several
ranges, and the same with no day marked rolled up."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select

from webapp.extensions import db
from webapp.models import ScanRollupDay, WorkspaceDailyRollup
from webapp.services.analytics import reports, workspace, workspace_rollups
from webapp.services.scans import recording

NOW = datetime(2026, 3, 20, 12, tzinfo=timezone.utc)  # "today" is 20 March
DAYS = [date(2026, 3, n) for n in range(12, 20)]  # rolled up: 12–19 March
AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
    "Safari/537.36",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
]
COUNTRIES = ["FR", "DE", "", "JP"]
REFERRERS = ["", "https://news.example/a", "https://mail.example/"]
RANGES = [{"days": 7}, {"days": 30}, {"start": "2026-03-15", "end": "2026-03-18"},
          {"start": "2026-03-14T06:00:00Z", "end": "2026-03-16T18:00:00Z"}]


def scans(code, count, seed):
    """`count` scans of `code` spread over 12–20 March (today included), varied in every
    dimension, a bot among them, some visitors coming back the same day."""
    for n in range(count):
        k = n * 7 + seed
        at = datetime(2026, 3, 12, tzinfo=timezone.utc) + timedelta(hours=(k * 5) % (8 * 24 + 11))
        recording.record_scan(code.id, user_agent=AGENTS[k % 4], ip=f"198.51.100.{k % 5}", at=at,
                              country=COUNTRIES[k % 3 + (seed % 2)], referrer=REFERRERS[k % 3])



def summaries(workspace_id):
    """The summary of each range, and the dashboard's totals."""
    out = [workspace.workspace_summary(workspace_id, *reports.parse_range(
        r.get("start"), r.get("end"), days=r.get("days"), now=NOW), now=NOW) for r in RANGES]
    return out + [workspace.dashboard_totals(workspace_id, now=NOW)]


def raw_summaries(workspace_id):
    """The same with no day marked rolled up: every figure counted from the raw events."""
    db.session.execute(delete(ScanRollupDay))
    try:
        return summaries(workspace_id)
    finally:
        db.session.rollback()


def workspace_rows():
    return {(row.workspace_id, row.day): (row.scans, row.uniques, row.bots,
                                          {k: v for k, v in row.breakdowns.items() if v})
            for row in db.session.execute(select(WorkspaceDailyRollup.__table__))}


def assert_rows_are_sums():
    """Each workspace row equals its codes' rows summed afresh."""
    kept = workspace_rows()
    for day in DAYS:
        workspace_rollups.rebuild_day(day)
    assert workspace_rows() == kept
    db.session.rollback()


def assert_as_raw(*workspace_ids):
    for workspace_id in workspace_ids:
        rolled = summaries(workspace_id)
        assert rolled == raw_summaries(workspace_id)
        assert rolled[1]["total"] > 0  # something was compared
    assert_rows_are_sums()
