"""Migration 0019 (workspace rollups) on a populated database: each code rollup gets its
code's workspace, each workspace gets its rows of the days already rolled up, and the
analytics read from them give what the raw events give; down and up again keeps them."""
from datetime import timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, select

from tests.factories import make_code, make_user, workspace_of
from tests.support.backends import create_database, make_config
from tests.support.rollups import DAYS, NOW, assert_as_raw, scans, workspace_rows
from webapp.app import create_app
from webapp.extensions import db
from webapp.infra.redis_client import get_redis
from webapp.models import ScanDailyRollup
from webapp.services.analytics.day_stats import aggregate_events, day_start


@pytest.fixture
def app_at_0018(db_kind, tmp_path_factory, tmp_path):
    url, drop = create_database(db_kind, tmp_path_factory)
    app = create_app(make_config(url, STORAGE_DIR=str(tmp_path / "storage")))
    with app.app_context():
        upgrade(revision="0018")
        get_redis(app).flushdb()
    yield app
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
    drop()


def roll_up_as_0018(workspaces):
    """Scans of five codes in two workspaces, and their code rollups in the 0018 shape
    (no workspace_id), counted as the daily rollup counts them."""
    codes = [make_code(workspaces[n % 2], f"code-{n}") for n in range(5)]
    for n, code in enumerate(codes):
        scans(code, 15 + 10 * n, n)
    db.session.commit()
    old = MetaData()
    old.reflect(db.engine, only=["scan_daily_rollups", "scan_rollup_days"])
    assert "workspace_id" not in old.tables["scan_daily_rollups"].c
    stats = aggregate_events(day_start(DAYS[0]), day_start(DAYS[-1] + timedelta(days=1)))
    db.session.execute(old.tables["scan_daily_rollups"].insert(), [
        dict(qr_code_id=code_id, day=day, scans=s.scans, uniques=s.uniques, bots=s.bots,
             breakdowns=s.as_json()) for (code_id, day), s in stats.items()])
    db.session.execute(old.tables["scan_rollup_days"].insert(), [
        {"day": day, "rolled_at": NOW, "events": 0} for day in DAYS])
    db.session.commit()
    return {code.id: code.workspace_id for code in codes}


def test_upgrade_sums_the_rollups_already_made_per_workspace(app_at_0018):
    with app_at_0018.app_context():
        workspaces = [workspace_of(make_user(email)) for email in ("ada@example.com", "bob@example.com")]
        workspace_of_code = roll_up_as_0018(workspaces)
        db.session.remove()

        upgrade()
        assert {code_id: workspace_id for code_id, workspace_id in db.session.execute(
            select(ScanDailyRollup.qr_code_id, ScanDailyRollup.workspace_id))} == workspace_of_code
        rows = workspace_rows()
        assert {workspace_id for workspace_id, _ in rows} == set(workspaces)
        assert_as_raw(*workspaces)  # the rows are their codes' sums, the figures the events'

        db.session.remove()
        downgrade(revision="0018")
        upgrade()
        assert workspace_rows() == rows
