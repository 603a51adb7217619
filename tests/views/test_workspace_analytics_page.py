"""/analytics: the workspace's figures on the page and in the CSV; bad ranges refused with a message."""
import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from tests.factories import make_code
from webapp.extensions import db
from webapp.models import ScanDailyRollup, ScanRollupDay
from webapp.services.analytics import workspace_rollups


@pytest.fixture
def seeded(app, owner, database):
    """Ada's code with 7 scans 2 days ago and 40 scans 10 days ago, rolled up."""
    today = datetime.now(timezone.utc).date()
    with app.app_context():
        code = make_code(owner, "poster", title="Window poster")
        for ago, scans in ((2, 7), (10, 40)):
            day = today - timedelta(days=ago)
            db.session.add(ScanRollupDay(day=day, events=scans))
            db.session.add(ScanDailyRollup(qr_code_id=code.id, workspace_id=code.workspace_id, day=day,
                                           scans=scans, uniques=scans, bots=0,
                                           breakdowns={"device": {"mobile": scans}, "country": {"FR": scans}}))
            db.session.flush()
            workspace_rollups.rebuild_day(day)
        db.session.commit()
    return today


def test_the_page_and_the_dashboard_show_the_workspace_figures(client, seeded):
    page = client.get("/analytics/?days=7").get_data(as_text=True)
    assert 'data-stat="total">7<' in page
    assert 'data-previous="total">40 before' in page  # 10 days ago is in the 7 days before
    assert "Window poster" in page and 'class="day-chart"' in page and "Mobile" in page
    assert 'aria-current="true"' in page

    page = client.get("/analytics/?days=30").get_data(as_text=True)
    assert 'data-stat="total">47<' in page and 'data-previous="total">0 before' in page

    last = seeded - timedelta(days=2)
    page = client.get(f"/analytics/?from={last.isoformat()}&to={last.isoformat()}").get_data(as_text=True)
    assert 'data-stat="total">7<' in page

    dashboard = client.get("/").get_data(as_text=True)
    assert 'data-total="week">7<' in dashboard and 'data-total="month">47<' in dashboard
    assert 'data-total="codes">1<' in dashboard and 'href="/analytics/"' in dashboard


def test_the_csv_has_the_same_figures(client, seeded):
    response = client.get("/analytics/scans.csv?days=30")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["section", "name", "scans", "unique", "bots"]
    assert rows[1][0] == "period" and rows[1][2:] == ["47", "47", "0"]
    assert ["code", "poster", "47", "", ""] in rows and ["devices", "mobile", "47", "", ""] in rows
    assert len([r for r in rows if r[0] == "day"]) == 30


@pytest.mark.parametrize("query, message", [
    ("days=5", "Choose 7, 30 or 90 days"),
    ("days=abc", "Choose 7, 30 or 90 days"),
    ("from=2026-02-30&to=2026-03-01", "Use a date"),
    ("from=2026-03-10&to=2026-03-01", "The start must be before the end."),
    ("from=2026-03-10", "Give both dates"),
    ("from=2020-01-01&to=2026-03-01", "Choose at most"),
    ("from=%00&to=x", "Use a date"),
])
def test_bad_ranges_are_refused_with_a_message(client, seeded, query, message):
    response = client.get(f"/analytics/?{query}")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert 'data-stat="total">47<' in response.get_data(as_text=True)  # the last 30 days instead
    response = client.get(f"/analytics/scans.csv?{query}")
    assert response.status_code == 422 and message in response.get_data(as_text=True)
