"""The workspaces' daily rollups against raw events: the same figures, also after a code is
deleted (alone or in a batch) or moved to another workspace, and after a late re-roll."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select

from tests.factories import make_code, make_user, owner_of, workspace_of
from webapp.extensions import db
from webapp.models import ScanRollupDay, WorkspaceDailyRollup
from webapp.services.analytics import reports, rollups, workspace, workspace_rollups
from webapp.services.codes import batch, qrcodes
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


def seed():
    """Ada's workspace: poster, flyer, menu, and card (never scanned); Bob's: other. Rolled up."""
    ada, bob = workspace_of(make_user("ada@example.com")), workspace_of(make_user("bob@example.com"))
    codes = {name: make_code(ada, name, title=name.title()) for name in ("poster", "flyer", "menu", "card")}
    codes["other"] = make_code(bob, "other")
    for seed_, (name, count) in enumerate((("poster", 60), ("flyer", 45), ("menu", 30), ("other", 25))):
        scans(codes[name], count, seed_)
    db.session.commit()
    for day in DAYS:
        rollups.rollup_scans(day, now=NOW)
    db.session.commit()
    return ada, bob, codes


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


def test_the_rollups_give_the_raw_figures(app, database):
    with app.app_context():
        ada, bob, codes = seed()
        assert {workspace_id for workspace_id, _ in workspace_rows()} == {ada, bob}
        assert_as_raw(ada, bob)
        week = summaries(ada)[0]
        assert [c["slug"] for c in week["top_codes"]] == ["poster", "flyer", "menu"]
        assert week["bots"] > 0 and len(week["countries"]) > 2 and len(week["referrers"]) == 3

        # A late scan of a rolled-up day counts once that day is rolled up again.
        scans(codes["menu"], 3, 11)
        db.session.commit()
        assert summaries(ada) != raw_summaries(ada)
        for day in DAYS:
            rollups.rollup_scans(day, now=NOW)
        db.session.commit()
        assert_as_raw(ada, bob)


def test_deleted_codes_leave_their_workspace_rollups(app, database):
    with app.app_context():
        ada, bob, codes = seed()
        ids = {name: code.id for name, code in codes.items()}
        qrcodes.delete_code(owner_of(ada), ids["flyer"])
        db.session.commit()
        assert_as_raw(ada, bob)
        assert "flyer" not in [c["slug"] for c in summaries(ada)[1]["top_codes"]]

        # in one batch: a scanned code and one never scanned, one flush for both
        assert batch.run_batch(owner_of(ada), [ids["poster"], ids["card"]], "delete")["changed"] == 2
        db.session.commit()
        assert_as_raw(ada, bob)
        assert [c["slug"] for c in summaries(ada)[1]["top_codes"]] == ["menu"]

        qrcodes.delete_code(owner_of(ada), ids["menu"])
        db.session.commit()
        assert {workspace_id for workspace_id, _ in workspace_rows()} == {bob}
        assert summaries(ada)[1]["total"] == 0


def test_moved_codes_take_their_rollups_along(app, database):
    with app.app_context():
        ada, bob, codes = seed()
        workspace_rollups.move_codes([codes["poster"].id, codes["card"].id], bob)
        codes["poster"].workspace_id = codes["card"].workspace_id = bob
        db.session.commit()
        assert_as_raw(ada, bob)
        assert [c["slug"] for c in summaries(bob)[1]["top_codes"]] == ["poster", "other"]


def test_top_codes_rank_as_the_raw_events_do(app, database):
    """Twelve codes tied on their rollups, with ids whose code-point order is not a
    dictionary's: ties go by id as with raw events; the last of them by id, scanned
    again today, and a code scanned only today rank among the rolled-up ten."""
    with app.app_context():
        ada = workspace_of(make_user("ada@example.com"))
        names = ["Zeta", "alpha", "Beta", "_under", "gamma", "Delta", "eta", "Theta", "iota", "Kappa",
                 "lambda", "Mu"]
        codes = {name: make_code(ada, name.strip("_").lower(), id=(name + "0" * 26)[:26]) for name in names}
        for code in codes.values():
            for hour in (1, 2):
                recording.record_scan(code.id, user_agent=AGENTS[0], ip="198.51.100.1",
                                      at=datetime(2026, 3, 18, hour, tzinfo=timezone.utc))
        last = codes[max(names, key=lambda name: codes[name].id)]
        fresh = make_code(ada, "fresh")
        for code, count in ((last, 1), (fresh, 3)):
            for minute in range(count):
                recording.record_scan(code.id, user_agent=AGENTS[1], ip="198.51.100.2",
                                      at=NOW - timedelta(minutes=minute + 1))
        db.session.commit()
        rollups.rollup_scans(date(2026, 3, 18), now=NOW)
        db.session.commit()
        assert_as_raw(ada)
        top = summaries(ada)[0]["top_codes"]
        assert [(c["slug"], c["scans"]) for c in top[:2]] == [("fresh", 3), (last.slug, 3)]
        assert [c["id"] for c in top[2:]] == sorted(c.id for c in codes.values() if c is not last)[:8]
