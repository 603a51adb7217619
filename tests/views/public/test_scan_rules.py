"""The scan redirect of codes with rules, a split, UTM, expiry and max_scans."""
import http.client
import threading
from datetime import timedelta

from sqlalchemy import select

from tests.factories import make_code
from tests.support.codes import update_code
from webapp.extensions import db
from webapp.models import QrCode, ScanEvent
from webapp.models.base import utcnow
from webapp.services.analytics import reports

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Mobile Safari/537.36")
REDIRECT = {
    "rules": [{"when": {"device": ["ios"], "language": ["de"]}, "target_url": "https://apple.example/de"},
              {"when": {"device": ["ios"]}, "target_url": "https://apple.example/"},
              {"when": {"query": {"src": "flyer"}}, "target_url": "https://example.com/flyer?utm_source=paper"}],
    "split": [{"target_url": "https://a.example/", "weight": 1}, {"target_url": "https://b.example/", "weight": 1}],
    "utm": {"source": "qr", "medium": "print"},
}


def served(app, code_id):
    with app.app_context():
        return db.session.scalars(select(ScanEvent.served).where(ScanEvent.qr_code_id == code_id)
                                  .order_by(ScanEvent.id)).all()


def test_rules_split_and_utm_pick_each_scans_target(app, client):
    with app.app_context():
        code_id = make_code(slug="smart", redirect=REDIRECT).id
    german_iphone = client.get("/s/smart", headers={"User-Agent": IPHONE, "Accept-Language": "de-DE,de;q=0.9"})
    assert german_iphone.status_code == 302
    assert german_iphone.headers["Location"] == "https://apple.example/de?utm_source=qr&utm_medium=print"
    assert client.get("/s/smart", headers={"User-Agent": IPHONE}).headers["Location"].startswith(
        "https://apple.example/?")
    flyer = client.get("/s/smart?src=flyer", headers={"User-Agent": ANDROID}).headers["Location"]
    assert flyer == "https://example.com/flyer?utm_source=paper&utm_medium=print"  # its own source kept
    split = {client.get("/s/smart", headers={"User-Agent": ANDROID},
                        environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).headers["Location"] for n in range(40)}
    assert split == {"https://a.example/?utm_source=qr&utm_medium=print",
                     "https://b.example/?utm_source=qr&utm_medium=print"}
    again = {client.get("/s/smart", headers={"User-Agent": ANDROID},
                        environ_base={"REMOTE_ADDR": "10.0.0.7"}).headers["Location"] for _ in range(5)}
    assert len(again) == 1  # sticky
    kinds = served(app, code_id)
    assert kinds[:3] == ["rule:1", "rule:2", "rule:3"]
    assert set(kinds[3:]) == {"split:1", "split:2"} and len(kinds) == 48
    assert client.head("/s/smart", headers={"User-Agent": IPHONE}).status_code == 302
    assert len(served(app, code_id)) == 48


def test_an_edit_of_the_rules_is_seen_on_the_next_scan(app, client):
    with app.app_context():
        code = make_code(slug="edit", redirect={"rules": REDIRECT["rules"][1:2]})
        assert client.get("/s/edit", headers={"User-Agent": IPHONE}).headers["Location"] == "https://apple.example/"
        update_code(code, redirect=None)
        assert client.get("/s/edit", headers={"User-Agent": IPHONE}).headers["Location"] == (
            "https://example.com/landing")


def test_expired_code_sends_to_expired_url_and_counts_the_scan_as_expired(app, client):
    with app.app_context():
        code_id = make_code(slug="over", expires_at=utcnow() - timedelta(seconds=1), redirect=REDIRECT,
                            expired_url="https://example.com/ended").id
        make_code(slug="gone", expires_at=utcnow() - timedelta(seconds=1))
    response = client.get("/s/over", headers={"User-Agent": IPHONE})
    assert response.status_code == 302 and response.headers["Location"] == "https://example.com/ended"
    gone = client.get("/s/gone")
    assert gone.status_code == 410 and b"campaign has ended" in gone.data
    assert served(app, code_id) == ["expired"]


def test_max_scans_then_the_410_page(app, client):
    with app.app_context():
        code_id = make_code(slug="three", max_scans=3).id
    assert client.head("/s/three").status_code == 302  # a HEAD takes none of the scans
    statuses = [client.get("/s/three").status_code for _ in range(5)]
    assert statuses == [302, 302, 302, 410, 410]
    assert served(app, code_id) == [""] * 3 + ["expired"] * 2  # the code's own target is stored as ''


def test_max_scans_is_exact_under_32_concurrent_scans(app, live_server):
    limit, scans = 10, 32
    with app.app_context():
        code_id = make_code(slug="limited", max_scans=limit, redirect={"utm": {"source": "qr"}},
                            expired_url="https://example.com/sold-out").id
    barrier = threading.Barrier(scans)
    locations = []

    def scan():
        connection = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=30)
        connection.connect()
        barrier.wait()
        connection.request("GET", "/s/limited", headers={"User-Agent": ANDROID})
        response = connection.getresponse()
        locations.append((response.status, response.getheader("Location")))
        connection.close()

    threads = [threading.Thread(target=scan) for _ in range(scans)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(locations) == scans
    assert sorted(locations).count((302, "https://example.com/landing?utm_source=qr")) == limit
    assert sorted(locations).count((302, "https://example.com/sold-out")) == scans - limit
    kinds = served(app, code_id)
    assert kinds.count("") == limit and kinds.count("expired") == scans - limit
    with app.app_context():
        assert db.session.get(QrCode, code_id).limit_used == limit


def test_hostile_headers_never_break_a_rule_scan(app, client):
    with app.app_context():
        make_code(slug="hostile", redirect={"rules": [{"when": {"language": ["de"], "country": ["DE"]},
                                                       "target_url": "https://de.example/"}]})
    for header in ["de;q=" + "9" * 5000, "\x00\x01", ",;,;q=,", "de-" * 3000, "ü;q=1"]:
        response = client.get("/s/hostile?%ff%fe=&a[]=1", headers={"Accept-Language": header,
                                                                  "CF-IPCountry": "<script>"})
        assert response.status_code == 302


def test_by_target_in_the_api_summary_and_the_analytics_page(app, client, owner):
    with app.app_context():
        code_id = make_code(owner, slug="ab", redirect={
            "rules": REDIRECT["rules"][1:2], "split": REDIRECT["split"]}).id
    for n in range(30):
        client.get("/s/ab", headers={"User-Agent": ANDROID}, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"})
        client.get("/s/ab", headers={"User-Agent": ANDROID}, environ_base={"REMOTE_ADDR": f"10.1.0.{n}"})
    client.get("/s/ab", headers={"User-Agent": IPHONE})
    client.get("/s/ab", headers={"User-Agent": "curl/8"})  # a bot: not in the people's counts
    with app.app_context():
        summary = reports.scan_summary(db.session.get(QrCode, code_id), *reports.parse_range())
    rows = {row["name"]: row for row in summary["by_target"]}
    assert list(rows) == ["rule:1", "split:1", "split:2"]
    assert rows["rule:1"] == {"name": "rule:1", "target_url": "https://apple.example/", "scans": 1, "unique": 1}
    assert rows["split:1"]["scans"] + rows["split:2"]["scans"] == 60
    assert rows["split:1"]["unique"] + rows["split:2"]["unique"] == 30
    assert rows["split:1"]["scans"] == 2 * rows["split:1"]["unique"]  # sticky: both scans on one variant
    page = client.get(f"/codes/{code_id}/analytics").get_data(as_text=True)
    assert 'data-target="split:1"' in page and 'data-target="split:2"' in page and "Rule 1" in page
