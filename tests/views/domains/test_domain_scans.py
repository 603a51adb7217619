"""Scans on custom domains over real HTTP: the Host header picks the domain, never crossing."""
import http.client
import socket

import pytest
from sqlalchemy import event, func, select

from tests.factories import make_code, make_user, workspace_of
from tests.support.codes import update_code
from tests.support.domains import verified_domain
from webapp.extensions import db
from webapp.models import CustomDomain, QrCode, RetiredSlug, ScanEvent
from webapp.services.codes import qrcodes
from webapp.services.domains import workspace_domains
from webapp.services.scans import targets
from webapp.services.teams import workspaces
from webapp.services.workspaces import memberships
from webapp.services.workspaces.actors import Actor

pytestmark = pytest.mark.settings(PUBLIC_BASE_URL="https://scanlink.example")


@pytest.fixture
def two_brands(app):
    """Acme on qr.acme.example and Bolt on go.bolt.example, each with a code "menu"; a
    PUBLIC_BASE_URL code "menu" too, and a pending domain of Bolt's."""
    with app.app_context():
        acme, bolt = (workspace_of(make_user(email)) for email in ("a@acme.example", "b@bolt.example"))
        acme_domain = verified_domain(acme, "qr.acme.example", root_url="https://acme.example/home")
        bolt_domain = verified_domain(bolt, "go.bolt.example")
        pending = CustomDomain(workspace_id=bolt, hostname="new.bolt.example", status="pending",
                               verification_token="p" * 32)
        db.session.add(pending)
        db.session.commit()
        ids = {
            "acme": make_code(acme, "menu", target_url="https://acme.example/menu", domain_id=acme_domain.id).id,
            "bolt": make_code(bolt, "menu", target_url="https://bolt.example/menu", domain_id=bolt_domain.id).id,
            "bolt only": make_code(bolt, "deals", target_url="https://bolt.example/deals",
                                   domain_id=bolt_domain.id).id,
            "plain": make_code(acme, "menu", target_url="https://acme.example/plain").id,
        }
    return ids


PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def get(port, path, host, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": host, "Connection": "close", "User-Agent": PHONE})
        response = conn.getresponse()
        return response.status, response.getheader("Location"), response.read()
    finally:
        conn.close()


def scans_of(app, code_id):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ScanEvent)
                                 .where(ScanEvent.qr_code_id == code_id))


def test_each_domain_serves_its_own_slugs(app, live_server, two_brands):
    port = live_server.port
    assert get(port, "/menu", "qr.acme.example")[:2] == (302, "https://acme.example/menu")
    assert get(port, "/menu", "QR.ACME.example.:443")[:2] == (302, "https://acme.example/menu")
    assert get(port, "/menu", "go.bolt.example")[:2] == (302, "https://bolt.example/menu")
    assert get(port, "/s/menu", "scanlink.example")[:2] == (302, "https://acme.example/plain")
    assert get(port, "/s/menu", "scanlink.example:443")[:2] == (302, "https://acme.example/plain")
    assert scans_of(app, two_brands["acme"]) == 2
    assert scans_of(app, two_brands["bolt"]) == 1
    assert scans_of(app, two_brands["plain"]) == 2
    assert get(port, "/menu", "go.bolt.example", method="HEAD")[0] == 302
    assert scans_of(app, two_brands["bolt"]) == 1  # HEAD is not a scan
    with app.app_context():  # each domain's totals hold its own codes' scans only
        ids = dict(db.session.execute(select(CustomDomain.hostname, CustomDomain.id)).all())
        found = workspace_domains.totals([ids["qr.acme.example"], ids["go.bolt.example"]])
    assert found[ids["qr.acme.example"]] == {"codes": 1, "scans": 2}
    assert found[ids["go.bolt.example"]] == {"codes": 2, "scans": 1}


def test_no_domain_serves_another_domains_code(app, live_server, two_brands):
    port = live_server.port
    assert get(port, "/deals", "qr.acme.example")[0] == 404  # Bolt's slug on Acme's domain
    assert get(port, "/deals", "new.bolt.example")[0] == 404  # a pending domain serves nothing
    assert get(port, "/menu", "unknown.example")[0] == 404
    assert get(port, "/deals", "unknown.example")[0] == 404
    assert get(port, "/s/menu", "qr.acme.example")[0] == 404  # PUBLIC_BASE_URL's codes stay there
    assert get(port, "/login", "qr.acme.example")[0] == 404  # and so does the app
    assert get(port, "/api/me", "go.bolt.example")[0] == 404
    assert get(port, "/menu", "scanlink.example")[0] == 404
    assert scans_of(app, two_brands["bolt only"]) == 0


def test_root_of_a_domain_goes_to_its_root_url_or_404(live_server, two_brands):
    port = live_server.port
    assert get(port, "/", "qr.acme.example")[:2] == (302, "https://acme.example/home")
    assert get(port, "/", "go.bolt.example")[0] == 404


def test_an_inactive_code_on_a_domain_is_410(app, live_server, two_brands):
    with app.app_context():
        update_code(db.session.get(QrCode, two_brands["bolt"]), active=False)
    status, _, body = get(live_server.port, "/menu", "go.bolt.example")
    assert status == 410 and b"no longer active" in body


def test_edits_and_moves_are_seen_on_the_next_scan(app, live_server, two_brands):
    port = live_server.port
    assert get(port, "/menu", "qr.acme.example")[1] == "https://acme.example/menu"  # now cached
    with app.app_context():
        update_code(db.session.get(QrCode, two_brands["acme"]), target_url="https://acme.example/new-menu")
    assert get(port, "/menu", "qr.acme.example")[1] == "https://acme.example/new-menu"

    assert get(port, "/deals", "go.bolt.example")[0] == 302
    assert get(port, "/s/deals", "scanlink.example")[0] == 404  # both answers now cached
    with app.app_context():  # off the domain, back to PUBLIC_BASE_URL/s/deals
        code = db.session.get(QrCode, two_brands["bolt only"])
        qrcodes.update_code(Actor(None, "", code.workspace_id, "owner"), code.id, {"domain": None})
        db.session.commit()
    assert get(port, "/deals", "go.bolt.example")[0] == 404
    assert get(port, "/s/deals", "scanlink.example")[:2] == (302, "https://bolt.example/deals")


@pytest.mark.parametrize("host", [
    "", "a b.example", "qr.acme.example\tx", "qr.acme.example:notaport", "[::1]:80", "ü.example",
    "x" * 300 + ".example", "qr..acme.example", ".", ":", "qr.acme.example:99999", "%00.example",
])
def test_hostile_host_headers_never_500(live_server, two_brands, host):
    raw = (b"GET /menu HTTP/1.1\r\nHost: " + host.encode("utf-8") + b"\r\nConnection: close\r\n\r\n")
    with socket.create_connection(("127.0.0.1", live_server.port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer[:300]
    assert b"acme.example/menu" not in answer.split(b"\r\n\r\n")[0] or host.startswith("qr.acme")


def test_a_cached_scan_on_a_domain_is_one_redis_get_and_no_query(app, two_brands, redis):
    with app.app_context():
        assert targets.lookup("menu", "qr.acme.example").location == "https://acme.example/menu"
        statements = []
        listener = (lambda *args, **kwargs: statements.append(args[2]))
        event.listen(db.engine, "before_cursor_execute", listener)
        gets_before = redis.info("commandstats").get("cmdstat_get", {}).get("calls", 0)
        try:
            target = targets.lookup("menu", "qr.acme.example")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        gets = redis.info("commandstats")["cmdstat_get"]["calls"] - gets_before
    assert target.code_id == two_brands["acme"]
    assert (gets, statements) == (1, [])


def test_a_deleted_workspaces_domain_stops_at_once_and_retires_no_slug(app, client):
    with app.app_context():
        owner = make_user("owner@team.example")
        team = memberships.create_workspace(owner, "Team")
        team_id = team.id
        domain = verified_domain(team_id, "qr.team.example")
        make_code(team_id, "menu", target_url="https://team.example/menu", domain_id=domain.id)
        actor = Actor(owner.id, owner.email, team_id, "owner")
    assert client.get("/menu", headers={"Host": "qr.team.example"}).status_code == 302  # cached
    assert client.get("/internal/tls/ask?domain=qr.team.example").status_code == 200  # cached
    with app.app_context():
        workspaces.delete_workspace(actor, "Team")
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(RetiredSlug)) == 0
    assert client.get("/menu", headers={"Host": "qr.team.example"}).status_code == 404
    assert client.get("/internal/tls/ask?domain=qr.team.example").status_code == 404
