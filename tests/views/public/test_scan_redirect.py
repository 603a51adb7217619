"""GET/HEAD /s/<slug>: the redirect, its counting, and every way a slug can be wrong."""
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from tests.factories import make_code
from tests.support.codes import update_code
from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.models.base import utcnow
from webapp.services.scans import counters

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def scan_total(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ScanEvent))


def test_scan_redirects_uncached_and_is_counted_once(app, client):
    with app.app_context():
        code = make_code(slug="window", target_url="https://shop.example/spring?utm=qr")
        code_id = code.id
    response = client.get("/s/window", headers={"User-Agent": IPHONE})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://shop.example/spring?utm=qr"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    with app.app_context():
        events = db.session.scalars(select(ScanEvent)).all()
        assert len(events) == 1
        assert (events[0].qr_code_id, events[0].device_type, events[0].os, events[0].browser) == (
            code_id, "mobile", "iOS", "Mobile Safari")
        assert counters.scan_counts([code_id]) == {code_id: {"scans": 1, "bots": 0}}


def test_head_redirects_but_is_not_counted(app, client):
    with app.app_context():
        make_code(slug="poster")
    response = client.head("/s/poster", headers={"User-Agent": IPHONE})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/landing"
    assert scan_total(app) == 0
    client.get("/s/poster", headers={"User-Agent": IPHONE})
    assert scan_total(app) == 1


def test_unknown_disabled_and_expired_codes_get_small_pages(app, client):
    with app.app_context():
        make_code(slug="off", active=False)
        make_code(slug="old", expires_at=utcnow() - timedelta(minutes=1))
        make_code(slug="soon", expires_at=utcnow() + timedelta(days=1))
        make_code(slug="flyer", kind="static", target_url="BEGIN:VCARD")
    cases = {"nope": 404, "off": 410, "old": 410, "flyer": 404}
    for slug, status in cases.items():
        response = client.get(f"/s/{slug}")
        assert response.status_code == status, slug
        assert response.mimetype == "text/html"
        assert response.headers["Cache-Control"] == "no-store"
        body = response.get_data(as_text=True)
        assert len(body) < 4000 and "Traceback" not in body
        assert {404: "does not exist", "off": "no longer active",
                "old": "campaign has ended"}.get(status if status == 404 else slug) in body
        assert client.head(f"/s/{slug}").status_code == status
    assert client.get("/s/soon").status_code == 302
    assert scan_total(app) == 2  # the expired code's scan is counted (as "expired") too


@pytest.mark.parametrize("slug", [
    "x" * 10_000, "%00", "a%00b", "%ff%fe", "..%2F..%2Fetc", "%E2%80%AE", "🙂", "a b", "'; DROP TABLE qr_codes;--",
    "%0d%0aSet-Cookie:x=1", "slug?x=1", "%25", "~", "a" * 64, "a" * 65,
])
def test_odd_and_huge_slugs_answer_404_never_500(app, client, slug):
    response = client.get(f"/s/{slug}")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


def test_a_flood_of_unknown_slugs_reaches_the_database_once(app, client):
    statements = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args, **kwargs: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(20):
            assert client.get("/s/made-up").status_code == 404
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # one look-up of the code and one of the retired slugs, then the cached miss answers
    assert len([s for s in statements if "qr_codes" in s]) == 1
    assert len(statements) == 2, statements


def test_a_code_created_after_a_miss_is_found_at_once(app, client):
    assert client.get("/s/late").status_code == 404
    with app.app_context():
        make_code(slug="late")
    assert client.get("/s/late").status_code == 302


def test_edited_target_takes_effect_on_next_scan(app, client):
    with app.app_context():
        code = make_code(slug="menu", target_url="https://example.com/lunch")
        assert client.get("/s/menu").headers["Location"] == "https://example.com/lunch"
        update_code(code, target_url="https://example.com/dinner")
        assert client.get("/s/menu").headers["Location"] == "https://example.com/dinner"
        update_code(code, active=False)
        assert client.get("/s/menu").status_code == 410
        update_code(code, active=True, slug="menu-2")
        assert client.get("/s/menu").status_code == 404
        assert client.get("/s/menu-2").status_code == 302
        from webapp.services import signals
        signals.code_deleted.send(code)
        db.session.delete(code)
        db.session.commit()
    assert client.get("/s/menu-2").status_code == 404


def test_an_edit_rolled_back_keeps_the_cache(app, client):
    with app.app_context():
        code = make_code(slug="stay", target_url="https://example.com/a")
        client.get("/s/stay")
        from webapp.services import signals
        code.target_url = "https://example.com/b"
        signals.code_updated.send(code, changes={"target_url": ("https://example.com/a", "https://example.com/b")})
        db.session.rollback()
    assert client.get("/s/stay").headers["Location"] == "https://example.com/a"


def test_non_ascii_target_is_sent_as_a_valid_uri(app, client):
    with app.app_context():
        make_code(slug="cafe", target_url="https://café.example/menü?q=crème")
    location = client.get("/s/cafe").headers["Location"]
    assert location == "https://xn--caf-dma.example/men%C3%BC?q=cr%C3%A8me"


def test_country_is_taken_only_from_the_configured_header(app_factory, app, client):
    with app.app_context():
        make_code(slug="geo")
    client.get("/s/geo", headers={"CF-IPCountry": "de"})
    trusting = app_factory(TRUSTED_COUNTRY_HEADER="CF-IPCountry").test_client()
    trusting.get("/s/geo", headers={"CF-IPCountry": "de"})
    trusting.get("/s/geo", headers={"CF-IPCountry": "<script>"})
    trusting.get("/s/geo", headers={"CF-IPCountry": "XX"})
    with app.app_context():
        countries = db.session.scalars(select(ScanEvent.country).order_by(ScanEvent.id)).all()
    assert countries == ["", "DE", "", ""]


def test_only_the_referrers_origin_is_kept(app, client):
    with app.app_context():
        make_code(slug="ref")
    client.get("/s/ref", headers={"Referer": "https://mail.example.com/inbox/42?token=secret"})
    client.get("/s/ref", headers={"Referer": "javascript:alert(1)"})
    client.get("/s/ref", headers={"Referer": "http://[::1"})
    with app.app_context():
        referrers = db.session.scalars(select(ScanEvent.referrer).order_by(ScanEvent.id)).all()
    assert referrers == ["https://mail.example.com", "", ""]


def test_scans_still_redirect_and_count_when_redis_is_down(app_factory, app):
    with app.app_context():
        code_id = make_code(slug="sturdy").id
    down = app_factory(REDIS_URL="redis://127.0.0.1:1/0", REDIS_SOCKET_TIMEOUT=0.5).test_client()
    response = down.get("/s/sturdy", headers={"User-Agent": IPHONE},
                        environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert response.status_code == 302
    assert down.get("/s/missing").status_code == 404
    with app.app_context():
        event = db.session.scalars(select(ScanEvent)).one()
        assert event.qr_code_id == code_id and len(event.ip_hash) == 32
