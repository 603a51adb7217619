"""The scan redirect's two entry points (the WSGI fast path and the Flask view) agree."""
from datetime import datetime, timezone

from sqlalchemy import select
from werkzeug.test import Client

from tests.factories import make_code
from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.services.scans import visitors
from webapp.views.public.domain_scan import DomainScans
from webapp.views.public.scan import ScanRedirects

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def test_fast_path_and_flask_view_redirect_and_count_alike(app, client):
    with app.app_context():
        make_code(slug="twin-door", target_url="https://café.example/menü")
    assert isinstance(app.wsgi_app, DomainScans)  # custom domains' scans, around the fast path
    assert isinstance(app.wsgi_app.wsgi_app, ScanRedirects)
    flask_only = Client(app.wsgi_app.wsgi_app.wsgi_app)  # the same app without the fast path
    answers = []
    for entry in (client, flask_only):
        response = entry.get("/s/twin-door", headers={"User-Agent": IPHONE,
                                                       "Referer": "https://mail.example/x"})
        answers.append((response.status_code, response.headers.get("Location"),
                        response.headers.get("Cache-Control"), response.headers.get("Content-Type"),
                        response.headers.get("Content-Length"), "Set-Cookie" in response.headers))
        assert entry.head("/s/twin-door").status_code == 302
    assert answers[0] == answers[1] == (
        302, "https://xn--caf-dma.example/men%C3%BC", "no-store", "text/html; charset=utf-8", "0",
        False)
    with app.app_context():
        rows = db.session.execute(select(ScanEvent.device_type, ScanEvent.referrer)).all()
    assert rows == [("mobile", "https://mail.example")] * 2  # each GET once, HEADs never


def test_pages_and_other_methods_still_come_from_flask(app, client):
    with app.app_context():
        make_code(slug="shut", active=False)
    assert client.get("/s/shut").status_code == 410
    assert client.get("/s/never-made").status_code == 404
    assert client.post("/s/shut").status_code == 405
    assert client.get("/s/").status_code == 404


def test_behind_a_proxy_the_forwarded_address_is_the_one_hashed(app_factory, app):
    with app.app_context():
        make_code(slug="proxied")
    proxied = app_factory(PROXY_FIX_HOPS=1).test_client()
    proxied.get("/s/proxied", headers={"X-Forwarded-For": "203.0.113.9"},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    with app.app_context():
        stored = db.session.scalar(select(ScanEvent.ip_hash))
        today = datetime.now(timezone.utc).date()
        assert stored == visitors.hash_ip("203.0.113.9", today)
        assert stored != visitors.hash_ip("10.0.0.2", today)
