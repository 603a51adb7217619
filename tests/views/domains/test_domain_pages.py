"""The Domains section of the settings page and the editor's domain select, through the forms."""
import html

import pytest
from sqlalchemy import select

from tests.support.codes import FORM
from webapp.extensions import db
from webapp.models import CustomDomain, QrCode

pytestmark = pytest.mark.settings("dns_settings")


def page(client):
    return html.unescape(client.get("/workspace").get_data(as_text=True))


def test_an_admin_adds_verifies_and_deletes_a_domain(app, client, auth, owner, dns_server):
    token = auth.token("/workspace")
    added = client.post("/workspace/domains", data={"hostname": "QR.Shop.Example", "csrf_token": token,
                                                    "workspace_id": owner}, follow_redirects=True)
    text = html.unescape(added.get_data(as_text=True))
    assert "qr.shop.example added: create its TXT record" in text
    with app.app_context():
        domain = db.session.scalar(select(CustomDomain))
        domain_id, value = domain.id, domain.verification_token
    assert "_scanlink-challenge.qr.shop.example" in text and value in text

    refused = client.post("/workspace/domains", data={"hostname": "10.0.0.1", "csrf_token": token},
                          follow_redirects=True)
    assert "is an IP address" in html.unescape(refused.get_data(as_text=True))

    verify = f"/workspace/domains/{domain_id}/verify"
    dns_server.records["_scanlink-challenge.qr.shop.example"] = ["stale-value"]
    failed = html.unescape(client.post(verify, data={"csrf_token": token}, follow_redirects=True)
                           .get_data(as_text=True))
    assert "“stale-value”" in failed and "pending" in failed
    dns_server.records["_scanlink-challenge.qr.shop.example"] = [value]
    done = html.unescape(client.post(verify, data={"csrf_token": token}, follow_redirects=True)
                         .get_data(as_text=True))
    assert "qr.shop.example is verified" in done

    # The editor now offers the domain, and a code made there scans on it.
    editor = client.get("/codes/new").get_data(as_text=True)
    assert 'value="qr.shop.example"' in editor
    made = client.post("/codes/", data=dict(FORM, csrf_token=auth.token("/codes/new"), slug="menu",
                                            domain="qr.shop.example"))
    assert made.status_code in (302, 303), made.get_data(as_text=True)[:500]
    with app.app_context():
        code = db.session.scalar(select(QrCode))
        assert (code.slug, code.domain_id) == ("menu", domain_id)
        code_id = code.id
    assert "https://qr.shop.example/menu" in client.get(f"/codes/{code_id}").get_data(as_text=True)

    in_use = html.unescape(client.post(f"/workspace/domains/{domain_id}/delete", data={"csrf_token": token},
                                       follow_redirects=True).get_data(as_text=True))
    assert "1 code uses “qr.shop.example”" in in_use
    client.post(f"/codes/{code_id}/delete", data={"csrf_token": token})
    gone = html.unescape(client.post(f"/workspace/domains/{domain_id}/delete", data={"csrf_token": token},
                                     follow_redirects=True).get_data(as_text=True))
    assert "qr.shop.example is deleted" in gone
    with app.app_context():
        assert db.session.scalar(select(CustomDomain)) is None


def test_the_editor_has_no_domain_select_without_verified_domains(client, owner):
    assert 'name="domain"' not in client.get("/codes/new").get_data(as_text=True)
