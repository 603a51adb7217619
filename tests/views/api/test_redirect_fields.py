"""rules, split, utm, max_scans and expired_url in the code object: read, write, refuse."""
import pytest

RULES = [{"when": {"device": "ios", "language": "de"}, "target_url": "https://apps.apple.com/de/app"},
         {"when": {"device": "android"}, "target_url": "https://play.google.com/store/apps"}]


@pytest.fixture
def headers(api_owner):
    return api_owner[1]


def create(client, headers, **body):
    body.setdefault("target_url", "https://example.com/menu")
    return client.post("/api/qr-codes", json=body, headers=headers)


def test_create_read_and_change_redirect_fields(client, headers):
    response = create(client, headers, rules=RULES, split=[{"target_url": "https://a.example", "weight": 3},
                                                           {"target_url": "https://b.example", "weight": 1}],
                      utm={"source": "qr", "campaign": "spring"}, max_scans=100,
                      expired_url="https://example.com/over")
    assert response.status_code == 201, response.json
    code = response.json
    assert code["rules"][0] == {"when": {"device": ["ios"], "language": ["de"]},
                                "target_url": "https://apps.apple.com/de/app"}
    assert [v["weight"] for v in code["split"]] == [3, 1]
    assert code["utm"] == {"source": "qr", "campaign": "spring"}
    assert code["max_scans"] == 100 and code["expired_url"] == "https://example.com/over"

    changed = client.patch(f"/api/qr-codes/{code['id']}", headers=headers,
                           json={"rules": RULES[1:], "max_scans": None}).json
    assert [r["target_url"] for r in changed["rules"]] == ["https://play.google.com/store/apps"]
    assert changed["split"] == code["split"] and changed["utm"] == code["utm"]  # untouched parts kept
    assert changed["max_scans"] is None
    read = client.get(f"/api/qr-codes/{code['id']}", headers=headers).json
    assert read["rules"] == changed["rules"]
    cleared = client.patch(f"/api/qr-codes/{code['id']}", headers=headers,
                           json={"rules": [], "split": None, "utm": {}}).json
    assert (cleared["rules"], cleared["split"], cleared["utm"]) == ([], [], {})


@pytest.mark.parametrize("body, field", [
    ({"rules": [{"when": {"device": "ios"}, "target_url": "javascript:alert(1)"}]}, "rules[0].target_url"),
    ({"rules": [{"when": {"timezone": "Nowhere/City"}, "target_url": "https://a.example"}]},
     "rules[0].when.timezone"),
    ({"rules": [{"when": {"colour": "red"}, "target_url": "https://a.example"}]}, "rules[0].when.colour"),
    ({"split": [{"target_url": "https://a.example", "weight": 0}]}, "split[0].weight"),
    ({"utm": {"source": "qr", "nope": "x"}}, "utm.nope"),
    ({"max_scans": 0}, "max_scans"),
    ({"expired_url": "file:///etc/passwd"}, "expired_url"),
])
def test_bad_redirect_input_is_a_422_naming_the_field_and_changes_nothing(client, headers, body, field):
    code = create(client, headers, rules=RULES).json
    response = client.patch(f"/api/qr-codes/{code['id']}", headers=headers, json=body)
    assert response.status_code == 422
    assert field in str(response.json), response.json
    assert client.get(f"/api/qr-codes/{code['id']}", headers=headers).json == code
    assert create(client, headers, **body).status_code == 422


def test_static_codes_have_no_redirect_fields(client, headers):
    response = client.post("/api/qr-codes", headers=headers, json={
        "kind": "static", "content": "hello", "rules": RULES})
    assert response.status_code == 422 and "rules" in str(response.json)
