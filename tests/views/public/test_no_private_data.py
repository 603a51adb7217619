"""Nothing a visitor without an account can fetch shows an owner's private data: titles,
the target of a code that is not live, the owner's e-mail, webhook hosts. Every GET route
of the app is asked, with real ids and slugs, by a client that is not logged in.

The one exception is the title in `/api/qr-codes/<slug>/scan`, which the API contract
makes public (tests/views/api/test_public_scan.py)."""
import pytest

from tests.factories import make_code, make_endpoint, make_user
from tests.support.webhooks import WEBHOOK_SETTINGS
from webapp.extensions import db
from webapp.infra.resilience import breakers

pytestmark = pytest.mark.settings(WEBHOOK_SETTINGS)

TITLE = "Secret supplier title"
PRIVATE = (TITLE, "private-target.example", "owner-mail@example.com",
           "203.0.113.77")

NUMBERS = {"instance_number", "per_page", "page", "workspace_id"}


@pytest.fixture
def codes(app):
    with app.app_context():
        owner = make_user("owner-mail@example.com")
        live = make_code(owner, "live-code", title=TITLE,
                         target_url="https://shop.example/spring")
        paused = make_code(owner, "paused-code", title=TITLE,
                           target_url="https://private-target.example/next", active=False)
        make_endpoint(owner, "http://127.0.0.1:5199/hook")
        breakers.get_breaker("webhook:203.0.113.77:443", fail_max=5, reset_timeout=60).call(
            lambda: None)
        db.session.commit()
        return {"live": (live.id, live.slug), "paused": (paused.id, paused.slug)}


def urls(app, codes):
    """Every GET route, once for each code, with its id or slug in every argument."""
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for code_id, slug in codes.values():
            values = {arg: {"fmt": "svg", "filename": "app.css", "slug": slug,
                            "scan_slug": slug}.get(arg, code_id) for arg in rule.arguments}
            for arg in NUMBERS & set(values):  # the queue dashboard's, a workspace's id
                values[arg] = 1
            yield adapter.build(rule.endpoint, values)


def test_no_public_answer_holds_private_data(app, client, codes):
    asked = set(urls(app, codes)) | {"/qr/live-code.png", "/qr/paused-code.png"}
    assert {"/s/live-code", "/qr/live-code.svg", "/api/qr-codes/live-code/scan", "/readyz"} <= asked
    for url in sorted(asked):
        response = client.get(url)
        seen = response.get_data() + str(response.headers).encode()
        response.close()
        assert response.status_code < 500, url
        for secret in PRIVATE:
            if secret == TITLE and url.startswith("/api/qr-codes/") and url.endswith("/scan"):
                continue
            assert secret.encode() not in seen, f"{url} shows {secret}"
    # the one thing a live code tells anyone: where it goes
    assert client.get("/s/live-code").headers["Location"] == "https://shop.example/spring"
