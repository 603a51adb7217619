"""/api/domains against a real DNS server on 127.0.0.1, and codes on custom domains."""
import json
import socket
import time

import pytest
from sqlalchemy import func, select

from tests.factories import api_key_headers, make_user
from tests.support.domains import add_and_verify
from webapp.extensions import db
from webapp.models import AuditEntry, CustomDomain

pytestmark = pytest.mark.settings("dns_settings", PUBLIC_BASE_URL="https://scanlink.example")


def domain_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CustomDomain))


def test_verification_follows_the_txt_record(app, client, api_owner, dns_server):
    _, headers = api_owner
    response = client.post("/api/domains", json={"hostname": "QR.Brand.Example."}, headers=headers)
    assert response.status_code == 201
    created = response.get_json()
    assert created["hostname"] == "qr.brand.example" and created["status"] == "pending"
    assert created["verification"]["type"] == "TXT"
    assert created["verification"]["name"] == "_scanlink-challenge.qr.brand.example"
    token = created["verification"]["value"]
    verify = f"/api/domains/{created['id']}/verify"

    missing = client.post(verify, headers=headers)
    assert missing.status_code == 422
    assert "does not exist" in missing.get_json()["error"]["message"]
    assert "_scanlink-challenge.qr.brand.example" in dns_server.resolver.asked

    dns_server.records["_scanlink-challenge.qr.brand.example"] = ["google-site-verification=abc"]
    wrong = client.post(verify, headers=headers)
    assert wrong.status_code == 422
    message = wrong.get_json()["error"]["message"]
    assert "google-site-verification=abc" in message and token in message
    assert client.get(f"/api/domains/{created['id']}", headers=headers).get_json()["status"] == "pending"

    dns_server.records["_scanlink-challenge.qr.brand.example"] = ["other", token]
    right = client.post(verify, headers=headers)
    assert right.status_code == 200
    assert right.get_json()["status"] == "verified" and right.get_json()["verified_at"]

    # A later look-up that fails says so, and the domain stays verified (printed codes work on).
    dns_server.records["_scanlink-challenge.qr.brand.example"] = []
    again = client.post(verify, headers=headers)
    assert again.status_code == 422 and "no TXT value" in again.get_json()["error"]["message"]
    listed = client.get("/api/domains", headers=headers).get_json()["items"]
    assert [(d["hostname"], d["status"]) for d in listed] == [("qr.brand.example", "verified")]
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "domain")
                                     .order_by(AuditEntry.id)).all()
    assert actions == ["domain.added", "domain.verified"]


@pytest.mark.parametrize("hostname, says", [
    ("192.0.2.7", "IP address"),
    ("[2001:db8::1]", "IP address"),
    ("2001:db8::1", "IP address"),
    ("qr.brand.example:8443", "port"),
    ("https://qr.brand.example/menu", "hostname only"),
    ("xn--zz.example", "not a valid domain name"),
    ("bad_name.example", "not a valid domain name"),
    ("-start.example", "not a valid domain name"),
    ("a..b.example", "not a valid domain name"),
    ("localhost", "at least two labels"),
    ("1.2.3", "not a valid domain name"),
    ("x" * 64 + ".example", "not a valid domain name"),
    ("scanlink.example", "own address"),
    ("", "Enter a hostname"),
    ("qr.brand.example\u0000", "NUL"),
])
def test_hostnames_that_cannot_be_ours_are_422_naming_the_problem(app, client, api_owner, hostname, says):
    _, headers = api_owner
    response = client.post("/api/domains", json={"hostname": hostname}, headers=headers)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert says in error["message"] or says in str(error.get("fields")), error
    assert domain_count(app) == 0


def test_a_hostname_is_one_workspaces_only(app, client, api_owner, dns_server):
    _, headers = api_owner
    add_and_verify(client, headers, dns_server, "qr.brand.example")
    with app.app_context():
        other = api_key_headers(make_user("bea@rival.example"))
        db.session.commit()
    response = client.post("/api/domains", json={"hostname": "QR.BRAND.EXAMPLE"}, headers=other)
    assert response.status_code == 422
    assert "taken by another workspace" in response.get_json()["error"]["message"]
    again = client.post("/api/domains", json={"hostname": "qr.brand.example"}, headers=headers)
    assert again.status_code == 409
    assert domain_count(app) == 1


def test_international_names_are_kept_in_their_ascii_form(client, api_owner):
    _, headers = api_owner
    response = client.post("/api/domains", json={"hostname": "Bücher.example"}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["hostname"] == "xn--bcher-kva.example"


def test_codes_on_a_domain_have_its_scan_url_and_slugs_per_domain(app, client, api_owner, dns_server):
    _, headers = api_owner
    add_and_verify(client, headers, dns_server, "qr.brand.example")
    add_and_verify(client, headers, dns_server, "go.brand.example")

    def create(**body):
        return client.post("/api/qr-codes", json={"target_url": "https://brand.example/", **body},
                           headers=headers)

    on_domain = create(slug="menu", domain="qr.brand.example")
    assert on_domain.status_code == 201, on_domain.get_json()
    assert on_domain.get_json()["scan_url"] == "https://qr.brand.example/menu"
    assert on_domain.get_json()["domain"] == "qr.brand.example"
    plain = create(slug="menu")
    assert plain.status_code == 201
    assert plain.get_json()["scan_url"] == "https://scanlink.example/s/menu"
    assert plain.get_json()["domain"] is None
    assert create(slug="menu", domain="go.brand.example").status_code == 201
    taken = create(slug="menu", domain="qr.brand.example")
    assert taken.status_code == 409 and "taken" in taken.get_json()["error"]["message"]
    assert create(domain="qr.brand.example").get_json()["scan_url"].startswith("https://qr.brand.example/")

    # Moving a code to a domain where its slug is taken is refused; to a free one, allowed.
    code_id = plain.get_json()["id"]
    moved = client.patch(f"/api/qr-codes/{code_id}", json={"domain": "qr.brand.example"}, headers=headers)
    assert moved.status_code == 409
    other = create(slug="drinks").get_json()["id"]
    moved = client.patch(f"/api/qr-codes/{other}", json={"domain": "qr.brand.example"}, headers=headers)
    assert moved.status_code == 200 and moved.get_json()["scan_url"] == "https://qr.brand.example/drinks"
    back = client.patch(f"/api/qr-codes/{other}", json={"domain": None}, headers=headers)
    assert back.get_json()["scan_url"] == "https://scanlink.example/s/drinks"


def test_a_code_may_only_name_a_verified_domain_of_its_workspace(app, client, api_owner, dns_server):
    _, headers = api_owner
    client.post("/api/domains", json={"hostname": "pending.brand.example"}, headers=headers)
    with app.app_context():
        rival = api_key_headers(make_user("bea@rival.example"))
        db.session.commit()
    add_and_verify(client, rival, dns_server, "qr.rival.example")
    for domain, says in [("pending.brand.example", "not verified"),
                         ("qr.rival.example", "not a domain of this workspace"),
                         ("nowhere.example", "not a domain of this workspace")]:
        response = client.post("/api/qr-codes", json={"target_url": "https://x.example/", "domain": domain},
                               headers=headers)
        assert response.status_code == 422
        assert says in response.get_json()["error"]["fields"]["domain"]
    static = client.post("/api/qr-codes", json={"kind": "static", "content": "hello",
                                                "domain": "qr.rival.example"}, headers=headers)
    assert static.status_code == 422


def test_a_domain_in_use_cannot_be_deleted(app, client, api_owner, dns_server):
    _, headers = api_owner
    domain = add_and_verify(client, headers, dns_server, "qr.brand.example")
    code = client.post("/api/qr-codes", json={"target_url": "https://brand.example/", "domain": "qr.brand.example"},
                       headers=headers).get_json()
    refused = client.delete(f"/api/domains/{domain['id']}", headers=headers)
    assert refused.status_code == 409
    assert "1 code uses" in refused.get_json()["error"]["message"]
    assert domain_count(app) == 1
    assert client.delete(f"/api/qr-codes/{code['id']}", headers=headers).status_code == 204
    assert client.delete(f"/api/domains/{domain['id']}", headers=headers).status_code == 204
    assert domain_count(app) == 0
    assert client.get(f"/api/domains/{domain['id']}", headers=headers).status_code == 404
    with app.app_context():
        logged = db.session.execute(select(AuditEntry.action, AuditEntry.changes)
                                    .where(AuditEntry.object_type == "domain").order_by(AuditEntry.id)).all()
    assert [action for action, _ in logged] == ["domain.added", "domain.verified", "domain.deleted"]
    assert logged[-1].changes == {"hostname": ["qr.brand.example", None]}


def test_root_url_is_checked_like_a_target(client, api_owner, dns_server):
    _, headers = api_owner
    domain = add_and_verify(client, headers, dns_server, "qr.brand.example")
    bad = client.patch(f"/api/domains/{domain['id']}", json={"root_url": "javascript:alert(1)"}, headers=headers)
    assert bad.status_code == 422 and "root_url" in bad.get_json()["error"]["fields"]
    good = client.patch(f"/api/domains/{domain['id']}", json={"root_url": "https://brand.example/"},
                        headers=headers)
    assert good.status_code == 200 and good.get_json()["root_url"] == "https://brand.example/"


def test_tls_ask_answers_only_for_verified_domains(client, api_owner, dns_server):
    _, headers = api_owner
    add_and_verify(client, headers, dns_server, "qr.brand.example")
    client.post("/api/domains", json={"hostname": "pending.brand.example"}, headers=headers)
    assert client.get("/internal/tls/ask?domain=qr.brand.example").status_code == 200
    assert client.get("/internal/tls/ask?domain=QR.brand.example.").status_code == 200
    for name in ("pending.brand.example", "nowhere.example", "", "x" * 5000, "\u00ff\u2603", "a b"):
        assert client.get("/internal/tls/ask", query_string={"domain": name}).status_code == 404
    assert client.get("/internal/tls/ask").status_code == 404


def test_streams_and_exports_give_the_domains_scan_url(client, api_owner, dns_server):
    _, headers = api_owner
    add_and_verify(client, headers, dns_server, "qr.brand.example")
    client.post("/api/qr-codes", json={"target_url": "https://brand.example/", "slug": "menu",
                                       "domain": "qr.brand.example"}, headers=headers)
    client.post("/api/qr-codes", json={"target_url": "https://brand.example/", "slug": "plain"},
                headers=headers)
    lines = client.get("/api/qr-codes/stream", headers=headers).get_data(as_text=True).splitlines()
    by_slug = {json.loads(line)["slug"]: json.loads(line) for line in lines}
    assert (by_slug["menu"]["domain"], by_slug["menu"]["scan_url"]) == (
        "qr.brand.example", "https://qr.brand.example/menu")
    assert (by_slug["plain"]["domain"], by_slug["plain"]["scan_url"]) == (
        None, "https://scanlink.example/s/plain")


@pytest.fixture
def silent_dns():
    """A UDP port on 127.0.0.1 that takes DNS questions and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield {"DNS_RESOLVER": f"127.0.0.1:{sock.getsockname()[1]}", "DNS_TIMEOUT": 0.5}
    sock.close()


@pytest.mark.settings("silent_dns")
def test_a_dns_server_that_does_not_answer_is_a_503_in_time(client, api_owner):
    _, headers = api_owner
    created = client.post("/api/domains", json={"hostname": "qr.brand.example"}, headers=headers).get_json()
    started = time.monotonic()
    response = client.post(f"/api/domains/{created['id']}/verify", headers=headers)
    assert response.status_code == 503 and "did not answer" in response.get_json()["error"]["message"]
    assert time.monotonic() - started < 3
    assert client.get(f"/api/domains/{created['id']}", headers=headers).get_json()["status"] == "pending"
