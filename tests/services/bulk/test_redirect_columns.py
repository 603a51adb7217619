"""Bulk create with smart-redirect columns: device URLs, UTM, limits and a rules JSON column."""
import csv
import io
import json

import pytest
from sqlalchemy import select

from tests.factories import api_key
from tests.support.bulk import read_csv, result_files, upload
from webapp.extensions import db
from webapp.models import QrCode

HEADER = ["target_url", "kind", "title", "ios_url", "android_url", "desktop_url", "utm_source",
          "utm_campaign", "expires_at", "max_scans", "expired_url", "rules"]


@pytest.fixture
def headers(app, owner):
    return api_key(app)


def csv_bytes(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row.get(column, "") for column in HEADER])
    return out.getvalue().encode()


def test_redirect_columns_become_rules_and_bad_values_reject_the_row(app, client, headers, run_jobs):
    german = json.dumps([{"when": {"language": "de"}, "target_url": "https://example.com/de"}])
    rows = [
        {"target_url": "https://example.com/app", "kind": "dynamic", "title": "App",
         "ios_url": "https://apps.apple.com/app/id1", "android_url": "https://play.google.com/store/apps/x",
         "utm_source": "poster", "utm_campaign": "spring", "max_scans": "1000",
         "expires_at": "2027-06-30T22:00:00Z", "expired_url": "https://example.com/over", "rules": german},
        {"target_url": "https://example.com/plain", "kind": "dynamic", "title": "Plain"},
        {"target_url": "https://example.com/a", "kind": "dynamic", "title": "Bad ios", "ios_url": "ftp://x.example/"},
        {"target_url": "https://example.com/b", "kind": "dynamic", "title": "Bad json", "rules": "[{"},
        {"target_url": "https://example.com/c", "kind": "dynamic", "title": "Bad limit", "max_scans": "-3"},
        {"target_url": "https://example.com/d", "kind": "dynamic", "title": "Bad zone",
         "rules": json.dumps({"rules": [{"when": {"timezone": "Atlantis/City"}, "target_url": "https://x.example"}]})},
        {"target_url": "https://example.com/e", "kind": "dynamic", "title": "Split",
         "rules": json.dumps({"split": [{"target_url": "https://a.example", "weight": 1},
                                        {"target_url": "https://b.example", "weight": 2}]})},
    ]
    response = upload(client, csv_bytes(rows), headers)
    assert response.status_code == 202, response.get_json()
    run_jobs()
    job = client.get(f"/api/jobs/{response.json['job_id']}", headers=headers).json
    assert job["result"]["created"] == 3 and job["result"]["failed"] == 4, job
    errors = {e["title"]: e["error"] for e in read_csv(result_files(client, job)["errors"])}
    assert errors["Bad ios"].startswith("ios_url:")
    assert errors["Bad json"].startswith("rules: not valid JSON")
    assert errors["Bad limit"].startswith("max_scans")
    assert errors["Bad zone"].startswith("rules[0].when.timezone")
    with app.app_context():
        codes = {c.title: c for c in db.session.scalars(select(QrCode))}
        app_code = codes["App"]
        assert [r["when"] for r in app_code.redirect["rules"]] == [
            {"language": ["de"]}, {"device": ["ios"]}, {"device": ["android"]}]
        assert app_code.redirect["utm"] == {"source": "poster", "campaign": "spring"}
        assert app_code.max_scans == 1000 and app_code.expired_url == "https://example.com/over"
        assert app_code.expires_at.isoformat().startswith("2027-06-30T22:00")
        assert codes["Plain"].redirect is None and codes["Plain"].max_scans is None
        assert [v["weight"] for v in codes["Split"].redirect["split"]] == [1, 2]
