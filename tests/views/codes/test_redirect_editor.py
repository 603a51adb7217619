"""The code page's smart-redirect section: rows edited with HTMX, saved, tested."""
from tests.factories import make_code
from webapp.extensions import db
from webapp.models import QrCode

HX = {"HX-Request": "true"}
RULE = {"rule-0-device": "ios", "rule-0-language": "de", "rule-0-country": "", "rule-0-os": "",
        "rule-0-hours_from": "", "rule-0-hours_to": "", "rule-0-timezone": "", "rule-0-query": "",
        "rule-0-after": "", "rule-0-before": "", "rule-0-target_url": "https://apple.example/de",
        "rule-1-device": "android", "rule-1-target_url": "https://play.example/",
        "rule-1-hours_from": "11:00", "rule-1-hours_to": "15:00", "rule-1-timezone": "Europe/Berlin",
        "split-0-target_url": "https://a.example/", "split-0-weight": "1",
        "utm-source": "qr", "utm-medium": "", "utm-campaign": "spring", "utm-term": "", "utm-content": "",
        "max_scans": "500", "expired_url": "", "expires_at": ""}


def setup_code(app, owner):
    with app.app_context():
        return make_code(owner, slug="smart-page").id


def post(client, auth, code_id, path, data):
    token = auth.token(f"/codes/{code_id}")
    return client.post(f"/codes/{code_id}/redirect{path}", data=dict(data, csrf_token=token), headers=HX)


def test_page_shows_the_section_and_rows_are_added_moved_removed(app, client, auth, owner):
    code_id = setup_code(app, owner)
    page = client.get(f"/codes/{code_id}").get_data(as_text=True)
    assert 'id="redirect-rules"' in page and "Add a rule" in page
    added = post(client, auth, code_id, "/edit", dict(RULE, op="add-rule")).get_data(as_text=True)
    assert added.count('class="rule"') == 3
    moved = post(client, auth, code_id, "/edit", dict(RULE, op="up-rule:1")).get_data(as_text=True)
    assert moved.index("https://play.example/") < moved.index("https://apple.example/de")
    removed = post(client, auth, code_id, "/edit", dict(RULE, op="remove-rule:0")).get_data(as_text=True)
    assert "https://apple.example/de" not in removed and removed.count('class="rule"') == 1
    preview = post(client, auth, code_id, "/edit", dict(RULE, op="preview")).get_data(as_text=True)
    assert "https://example.com/landing?utm_source=qr&amp;utm_campaign=spring" in preview
    with app.app_context():
        assert db.session.get(QrCode, code_id).redirect is None  # nothing saved by editing rows


def test_save_then_the_code_object_has_the_rules(app, client, auth, owner):
    code_id = setup_code(app, owner)
    response = post(client, auth, code_id, "", RULE)
    assert response.status_code == 200 and "Saved" in response.get_data(as_text=True)
    with app.app_context():
        code = db.session.get(QrCode, code_id)
        assert code.redirect["rules"][1] == {"when": {"device": ["android"], "hours": ["11:00", "15:00"],
                                                      "timezone": "Europe/Berlin"},
                                             "target_url": "https://play.example/"}
        assert code.redirect["utm"] == {"source": "qr", "campaign": "spring"} and code.max_scans == 500
    page = client.get(f"/codes/{code_id}").get_data(as_text=True)
    assert 'value="https://play.example/"' in page and 'value="Europe/Berlin"' in page


def test_bad_rules_are_refused_with_the_field_marked_and_nothing_saved(app, client, auth, owner):
    code_id = setup_code(app, owner)
    response = post(client, auth, code_id, "", dict(RULE, **{"rule-1-timezone": "Mars/Base"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Mars/Base" in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.get(QrCode, code_id).redirect is None


def test_what_would_a_german_iphone_get_at_14_00(app, client, auth, owner):
    code_id = setup_code(app, owner)

    def ask(**facts):
        data = dict(RULE, **{f"test-{k}": v for k, v in facts.items()})
        return post(client, auth, code_id, "/test", data).get_data(as_text=True)

    assert 'data-served="rule:1"' in ask(device="ios", language="de", time="2027-03-01T14:00",
                                          timezone="Europe/Berlin")
    assert 'data-served="rule:2"' in ask(device="android", time="2027-03-01T14:00", timezone="Europe/Berlin")
    assert 'data-served="split:1"' in ask(device="android", time="2027-03-01T15:00", timezone="Europe/Berlin")
    answer = ask(device="ios", language="de", time="2027-03-01T14:00", timezone="Nowhere/Land")
    assert "Nowhere/Land" in answer and "data-served" not in answer
