"""The workspaces' daily rollups against raw events: the same figures, also after a code is
deleted (alone or in a batch) or moved to another workspace, and after a late re-roll."""
import threading
from datetime import date, datetime, timedelta, timezone

from tests.factories import make_code, make_user, owner_of, workspace_of
from tests.support.rollups import (
    AGENTS,
    DAYS,
    NOW,
    assert_as_raw,
    raw_summaries,
    scans,
    summaries,
    workspace_rows,
)
from webapp.extensions import db
from webapp.services.analytics import rollups, workspace_rollups
from webapp.services.codes import batch, qrcodes
from webapp.services.scans import recording


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


def test_two_deletions_at_once_in_one_workspace_each_wait_for_the_other(app, database):
    """The second deletion's sums are taken after the first commits, never from figures the
    first is about to change (a lost subtraction would stay for good on old days)."""
    with app.app_context():
        ada, bob, codes = seed()
        ids = {name: code.id for name, code in codes.items()}
        db.session.remove()
    second_done = threading.Event()

    def delete_second():
        with app.app_context():
            qrcodes.delete_code(owner_of(ada), ids["menu"])
            db.session.commit()
            second_done.set()
            db.session.remove()

    with app.app_context():
        qrcodes.delete_code(owner_of(ada), ids["flyer"])  # holds the workspace until it commits
        other = threading.Thread(target=delete_second)
        other.start()
        assert not second_done.wait(0.5), "the second deletion did not wait for the first"
        db.session.commit()
        other.join(timeout=10)
        assert second_done.is_set()
        assert_as_raw(ada, bob)
        assert [c["slug"] for c in summaries(ada)[1]["top_codes"]] == ["poster"]
