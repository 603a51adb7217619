"""Every JSON body of the API refuses what nothing could store or parse safely: lone UTF-16
surrogates and deep nesting (400), NUL (422), each with a message and nothing changed.

The routes come from the app itself (its url_map and /api/openapi.json), so a route added
later is walked too.
"""
import json

import pytest
from sqlalchemy import func, select

from tests.factories import make_api_user, workspace_of
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.models import BackgroundJob, QrCode, WebhookEndpoint

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)

WRITES = {"POST", "PUT", "PATCH"}
UNKNOWN_ID = "01hzzzzzzzzzzzzzzzzzzzzzzz"
UNKNOWN_NUMBER = 999_999
SURROGATE = '"x\\ud800y"'
NUL = '"x\\u0000y"'
DEEP = {"object": '{"a":' * 5000, "array": "[" * 100000,
        "closed": "[" * 65 + "]" * 65, "inside a field": '{"style": ' + '{"a":' * 200 + "1" + "}" * 201}


class World:
    """Ada with an API key, one code, one webhook endpoint and one (pending) custom domain
    made through the API."""

    def __init__(self, app, client):
        self.app, self.client = app, client
        with app.app_context():
            user, self.headers = make_api_user("ada@example.com")
            workspace_id, user_id = workspace_of(user), user.id
        code = self.send("POST", "/api/qr-codes", json.dumps(
            {"title": "Window", "target_url": "https://example.com/a"}))
        hook = self.send("POST", "/api/webhooks", json.dumps(
            {"url": "http://127.0.0.1:8123/hook", "events": ["qr.scanned"]}))
        domain = self.send("POST", "/api/domains", json.dumps({"hostname": "qr.window.example"}))
        assert code.status_code == 201 and hook.status_code == 201 and domain.status_code == 201
        self.ids = {"code_id": code.json["id"], "slug": code.json["slug"],
                    "endpoint_id": hook.json["id"], "domain_id": domain.json["id"], "fmt": "svg",
                    "workspace_id": workspace_id, "user_id": user_id}

    def send(self, method, path, body):
        headers = dict(self.headers, **{"Content-Type": "application/json"})
        return self.client.open(path, method=method, data=body, headers=headers)

    def path(self, rule):
        """The rule's URL with our ids in it (an unknown one where we have none)."""
        adapter = self.app.url_map.bind("localhost")
        try:
            return adapter.build(rule.endpoint, {arg: self.ids.get(arg, UNKNOWN_ID)
                                                 for arg in rule.arguments})
        except ValueError:  # an <int:…> argument (a workspace, a member): an unknown number
            return adapter.build(rule.endpoint, {arg: self.ids.get(arg, UNKNOWN_NUMBER)
                                                 for arg in rule.arguments})

    def state(self):
        """What a refused body must leave as it was."""
        with self.app.app_context():
            counts = [db.session.scalar(select(func.count()).select_from(model))
                      for model in (QrCode, WebhookEndpoint, BackgroundJob)]
            db.session.remove()
        reads = [self.client.get(path, headers=self.headers).json
                 for path in ("/api/qr-codes", "/api/webhooks")]
        return counts, reads


@pytest.fixture
def world(app, client):
    return World(app, client)


def write_routes(app):
    """(method, rule) of every route under /api/ that changes something."""
    return sorted(((method, rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/api/") for method in rule.methods & WRITES),
                  key=lambda pair: (pair[1].rule, pair[0]))


def json_operations(client):
    """(method, OpenAPI path) -> the property names of every operation with a JSON body."""
    document = client.get("/api/openapi.json").json
    schemas = document["components"]["schemas"]
    found = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                model = schemas[body["schema"]["$ref"].rsplit("/", 1)[1]]
                found[(method.upper(), path)] = sorted(model["properties"])
    return found


def openapi_path(rule):
    return rule.rule.replace("<", "{").replace(">", "}")


def hostile_bodies(fields):
    """(name, body, status, words the message must hold)."""
    for field in fields:
        yield f"surrogate in {field}", f'{{"{field}": {SURROGATE}}}', 400, ["surrogate", field]
        yield f"NUL in {field}", f'{{"{field}": {NUL}}}', 422, ["NUL", field]
    yield "surrogate deep in a value", '{"content": {"ssid": ["\\udfff"]}}', 400, \
        ["surrogate", "content.ssid.0"]
    yield "surrogate in a key", '{"x\\ud800": 1}', 400, ["surrogate", "(a key)"]
    yield "invalid UTF-8", b'{"title": "\xed\xa0\x80"}', 400, ["not valid UTF-8"]
    for name, body in DEEP.items():
        yield f"deep {name}", body, 400, ["more than 64 deep"]


def test_every_json_body_refuses_surrogates_nul_and_deep_nesting(app, world):
    operations = json_operations(world.client)
    assert {("POST", "/api/qr-codes"), ("PATCH", "/api/qr-codes/{code_id}"),
            ("POST", "/api/webhooks"), ("PATCH", "/api/webhooks/{endpoint_id}"),
            ("POST", "/api/exports")} <= set(operations)
    before = world.state()
    walked = 0
    for method, rule in write_routes(app):
        fields = operations.get((method, openapi_path(rule)))
        if fields is None:
            continue
        for name, body, status, words in hostile_bodies(fields):
            response = world.send(method, world.path(rule), body)
            where = f"{method} {rule.rule}, {name}"
            assert response.status_code == status, f"{where}: {response.status_code} {response.json}"
            error = response.json["error"]
            assert error["code"] == ("bad_request" if status == 400 else "invalid"), where
            assert all(word in error["message"] for word in words), f"{where}: {error['message']}"
            walked += 1
    assert walked > 80
    assert world.state() == before


def test_write_routes_without_a_json_body_are_not_upset_by_one(app, world):
    """Uploads, redelivery, the cron hook: a hostile JSON body gets a 4xx, never a 500
    (the app fixture fails any test that saw one)."""
    operations = json_operations(world.client)
    others = [(m, r) for m, r in write_routes(app) if (m, openapi_path(r)) not in operations]
    assert others
    for method, rule in others:
        for body in (f'{{"title": {SURROGATE}}}', f'{{"title": {NUL}}}', *DEEP.values()):
            response = world.send(method, world.path(rule), body)
            assert 400 <= response.status_code < 500, f"{method} {rule.rule}: {response.status_code}"


def test_what_the_surrogates_were_in_the_issue_give_400_on_post_and_patch(world):
    code_id = world.ids["code_id"]
    for field in ("title", "content", "target_url"):
        body = f'{{"{field}": {SURROGATE}, "kind": "static"}}'
        created = world.send("POST", "/api/qr-codes", body)
        changed = world.send("PATCH", f"/api/qr-codes/{code_id}", f'{{"{field}": {SURROGATE}}}')
        for response in (created, changed):
            assert response.status_code == 400
            assert f"“{field}” holds a lone UTF-16 surrogate (\\ud800)" in response.json["error"]["message"]


def test_well_formed_bodies_still_work(world):
    # A surrogate pair is one character (😀), not a lone surrogate.
    created = world.send("POST", "/api/qr-codes",
                         '{"title": "Caf\\u00e9 \\ud83d\\ude00 ☕", "target_url": "https://example.com/ü"}')
    assert created.status_code == 201
    assert created.json["title"] == "Café 😀 ☕"
    changed = world.send("PATCH", f"/api/webhooks/{world.ids['endpoint_id']}", '{"enabled": false}')
    assert changed.status_code == 200 and changed.json["enabled"] is False


def test_nesting_up_to_the_limit_reaches_validation(world):
    style = '{"a":' * 63 + "1" + "}" * 63
    response = world.send("PATCH", f"/api/qr-codes/{world.ids['code_id']}", f'{{"style": {style}}}')
    assert response.status_code == 422  # the style's own check, not the parser's
    assert "deep" not in response.json["error"]["message"]


def test_syntax_errors_and_missing_bodies_keep_their_messages(world):
    broken = world.send("POST", "/api/qr-codes", '{"title": ')
    assert broken.status_code == 400
    assert broken.json["error"]["message"] == "Send a JSON object with Content-Type: application/json."
    plain = world.client.post("/api/qr-codes", data="title=x", headers=world.headers)
    assert plain.status_code == 400
