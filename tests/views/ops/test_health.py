"""/healthz and /readyz: alive, and ready only when the database and Redis answer. Why not
(the checks, and the breakers, named after customers' webhook hosts) only for an
administrator or the metrics scraper."""
import pytest

from tests.factories import make_user
from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.infra.resilience import breakers

TOKEN = "scrape-me-0123456789"
SCRAPER = {"Authorization": f"Bearer {TOKEN}"}
pytestmark = pytest.mark.settings(METRICS_TOKEN=TOKEN)


@pytest.fixture
def receiver_breaker(app):
    """A shared breaker as a failing delivery leaves it: named after the receiver's host."""
    with app.app_context():
        breaker = breakers.get_breaker("webhook:203.0.113.9:5199", fail_max=5, reset_timeout=60)
        breaker.call(lambda: None)
    return "webhook:203.0.113.9:5199"


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz", headers=SCRAPER)
    assert ready.status_code == 200
    assert ready.json["checks"]["database"]["ok"] and ready.json["checks"]["redis"]["ok"]


def test_readiness_reports_redis_down(app_factory):
    app = app_factory(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.5, METRICS_TOKEN=TOKEN)
    client = app.test_client()
    response = client.get("/readyz", headers=SCRAPER)
    assert response.status_code == 503
    assert response.json["checks"]["redis"]["ok"] is False
    assert response.json["checks"]["database"]["ok"] is True
    public = client.get("/readyz")
    assert public.status_code == 503 and public.json == {"status": "unavailable"}


def test_anyone_learns_only_up_or_down(client, auth, receiver_breaker):
    auth.signup()  # a logged-in user who is not an administrator is anyone
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer \xff"}):
        response = client.get("/readyz", headers=headers)
        assert response.status_code == 200
        assert response.json == {"status": "ready"}
        assert "203.0.113.9" not in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        assert "Authorization" in response.headers["Vary"]


def test_the_scraper_and_administrators_see_the_breakers(app, client, auth, receiver_breaker):
    scraped = client.get("/readyz", headers=SCRAPER)
    assert scraped.json["breakers"][receiver_breaker]["state"] == "closed"
    with app.app_context():
        make_user("root@example.com", password=PASSWORD, is_admin=True)
        db.session.commit()
    auth.login("root@example.com")
    page = client.get("/readyz")
    assert receiver_breaker in page.json["breakers"] and page.json["checks"]["redis"]["ok"]


@pytest.mark.settings(METRICS_TOKEN=None)
def test_without_a_metrics_token_no_bearer_opens_the_details(client, receiver_breaker):
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
        assert client.get("/readyz", headers=headers).json == {"status": "ready"}
