"""Bulk CSV on custom domains (slugs are unique per domain), and bulk update's redirect columns."""
import csv
import io
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tests.factories import api_key, make_code
from tests.support.bulk import read_csv, result_files, upload
from tests.support.domains import verified_domain
from webapp.extensions import db
from webapp.models import CustomDomain, QrCode

pytestmark = pytest.mark.settings(BULK_CHUNK_ROWS=3)
HOST = "qr.shop.example"


def csv_bytes(header, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode()


@pytest.fixture
def domain(app, owner):
    with app.app_context():
        verified_domain(owner, HOST)
        db.session.add(CustomDomain(workspace_id=owner, hostname="unverified.shop.example",
                                    status="pending", verification_token="u" * 32))
        db.session.commit()
        db.session.remove()
    return HOST


def finished(client, headers, response, run_jobs):
    assert response.status_code == 202, response.get_json()
    run_jobs()
    job = client.get(f"/api/jobs/{response.json['job_id']}", headers=headers).json
    assert job["status"] == "completed", job
    return job


def codes_by_title(app):
    with app.app_context():
        found = {code.title: code for code in db.session.scalars(
            select(QrCode).options(joinedload(QrCode.domain)))}
        db.session.expunge_all()
        db.session.remove()
    return found


def test_bulk_create_puts_codes_on_a_domain_where_slugs_are_unique_per_domain(
        app, client, owner, domain, run_jobs):
    headers = api_key(app)
    header = ["target_url", "content", "kind", "title", "slug", "domain"]
    rows = [
        {"target_url": "https://shop.example/menu", "kind": "dynamic", "title": "Menu here", "slug": "menu",
         "domain": HOST.upper()},
        {"target_url": "https://shop.example/menu", "kind": "dynamic", "title": "Menu there", "slug": "menu"},
        {"target_url": "https://shop.example/r", "kind": "dynamic", "title": "Random", "domain": HOST},
        {"target_url": "https://shop.example/x", "kind": "dynamic", "title": "Twice", "slug": "menu",
         "domain": HOST},
        {"target_url": "https://shop.example/y", "kind": "dynamic", "title": "Pending",
         "domain": "unverified.shop.example"},
        {"target_url": "https://shop.example/z", "kind": "dynamic", "title": "Foreign",
         "domain": "qr.other.example"},
        {"content": "Hello", "kind": "static", "title": "Static", "domain": HOST},
    ]
    job = finished(client, headers, upload(client, csv_bytes(header, rows), headers), run_jobs)

    assert (job["result"]["created"], job["result"]["failed"]) == (3, 4)
    codes = codes_by_title(app)
    assert (codes["Menu here"].slug, codes["Menu here"].domain.hostname) == ("menu", HOST)
    assert (codes["Menu there"].slug, codes["Menu there"].domain) == ("menu", None)
    assert codes["Random"].domain.hostname == HOST and len(codes["Random"].slug) >= 6
    made = {row["title"]: row["scan_url"] for row in read_csv(result_files(client, job)["csv"])}
    assert made["Menu here"] == f"https://{HOST}/menu"
    assert made["Menu there"].endswith("/s/menu")
    assert made["Random"] == f"https://{HOST}/{codes['Random'].slug}"
    errors = {e["title"]: e["error"] for e in read_csv(result_files(client, job)["errors"])}
    assert errors["Twice"].startswith("slug: line 2 of this file already uses “menu”")
    assert errors["Pending"].startswith("domain:") and "not verified" in errors["Pending"]
    assert errors["Foreign"].startswith("domain:") and "not a domain of this workspace" in errors["Foreign"]
    assert errors["Static"].startswith("domain: Only dynamic codes")
    # A scan of the code on its domain finds it; the same slug elsewhere finds the other one.
    scan = client.get("/menu", headers={"Host": HOST})
    assert scan.status_code == 302 and scan.headers["Location"] == "https://shop.example/menu"


def test_bulk_update_names_the_domain_when_a_slug_is_on_more_than_one(
        app, client, owner, domain, run_jobs):
    with app.app_context():
        host = db.session.scalar(select(CustomDomain).where(CustomDomain.hostname == HOST))
        make_code(owner, "menu", title="Here", target_url="https://a.example/here", domain=host,
                  announce=False)
        make_code(owner, "menu", title="There", target_url="https://a.example/there", announce=False)
        make_code(owner, "wine", title="Wine", target_url="https://a.example/wine", announce=False)
        db.session.remove()
    headers = api_key(app)
    header = ["slug", "domain", "title"]
    own = urlsplit(app.config["PUBLIC_BASE_URL"]).hostname
    rows = [{"slug": "menu", "title": "Which?"},
            {"slug": "menu", "domain": HOST, "title": "Here, renamed"},
            {"slug": "wine", "title": "Wine list"},
            {"slug": "wine", "domain": HOST, "title": "Not there"},
            {"slug": "menu", "domain": own.upper(), "title": "There, renamed"}]
    job = finished(client, headers, upload(client, csv_bytes(header, rows), headers,
                                           path="/api/bulk/qr-codes/update"), run_jobs)

    assert (job["result"]["updated"], job["result"]["failed"]) == (3, 2)
    codes = codes_by_title(app)
    assert {"Here, renamed", "There, renamed", "Wine list"} <= set(codes)
    assert codes["Here, renamed"].domain.hostname == HOST and codes["There, renamed"].domain is None
    errors = {int(e["line"]): e["error"] for e in read_csv(result_files(client, job)["errors"])}
    on = ", ".join(sorted([HOST, own]))
    assert errors[2] == (f"domain: the slug “menu” is on more than one domain ({on}); "
                         "say which in this column.")
    assert errors[5] == f"slug: not found: you have no code “wine” on {HOST}."


def test_bulk_update_redirect_columns_set_rules_merge_utm_and_refuse_bad_values(
        app, client, owner, run_jobs):
    with app.app_context():
        make_code(owner, "app", title="App", target_url="https://a.example/app", announce=False,
                  redirect={"rules": [{"when": {"language": ["de"]}, "target_url": "https://a.example/de"}],
                            "utm": {"source": "poster", "medium": "print"}})
        make_code(owner, "menu", title="Menu", target_url="https://a.example/menu", announce=False)
        db.session.remove()
    headers = api_key(app)
    header = ["slug", "ios_url", "android_url", "utm_campaign", "max_scans", "expired_url", "rules"]
    rows = [
        {"slug": "app", "ios_url": "https://apps.apple.com/app/id1", "utm_campaign": "spring"},
        {"slug": "menu", "max_scans": "500", "expired_url": "https://a.example/over"},
        {"slug": "menu", "android_url": "ftp://x.example/"},
        {"slug": "menu", "rules": "[{"},
        {"slug": "menu", "max_scans": "-1"},
        {"slug": "menu", "max_scans": "500"},
    ]
    job = finished(client, headers, upload(client, csv_bytes(header, rows), headers,
                                           path="/api/bulk/qr-codes/update"), run_jobs)

    assert job["result"] | {"files": None} == {"rows": 6, "updated": 2, "unchanged": 1, "failed": 3,
                                              "files": None}
    codes = codes_by_title(app)
    # The rule columns give the whole rule list; the UTM column changes its field only.
    assert codes["App"].redirect["rules"] == [{"when": {"device": ["ios"]},
                                               "target_url": "https://apps.apple.com/app/id1"}]
    assert codes["App"].redirect["utm"] == {"source": "poster", "medium": "print", "campaign": "spring"}
    assert (codes["Menu"].max_scans, codes["Menu"].expired_url) == (500, "https://a.example/over")
    assert codes["Menu"].redirect in (None, {}) or not codes["Menu"].redirect.get("rules")
    errors = {int(e["line"]): e["error"] for e in read_csv(result_files(client, job)["errors"])}
    assert errors[4].startswith("android_url:")
    assert errors[5].startswith("rules: not valid JSON")
    assert errors[6].startswith("max_scans")
    # The next scan follows the new rules at once.
    scan = client.get("/s/app", headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like "
                                                       "Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"})
    assert scan.status_code == 302
    assert scan.headers["Location"].startswith("https://apps.apple.com/app/id1?")
    assert "utm_campaign=spring" in scan.headers["Location"]
