"""Turning two-factor on: it asks for the current password, ends the other sessions, and
keeps the secret being set up on the server (Redis, by server-side session), never in
the cookie."""
import hashlib

import pytest
from sqlalchemy import select

from tests.support.auth import PASSWORD, AuthActions, csrf_token
from tests.support.backends import redis_url
from tests.support.faults import FAST_FAILURE, through_redis_proxy
from tests.support.two_factor import confirm_setup, setup_secret, totp_code
from webapp.extensions import db
from webapp.models import User, UserSession

RAN_OUT = "This set-up ran out"


def totp_secret(app):
    with app.app_context():
        secret = db.session.scalar(select(User.totp_secret).where(User.email == "ada@example.com"))
        db.session.remove()
    return secret


def session_ids(app):
    with app.app_context():
        ids = set(db.session.scalars(select(UserSession.id)))
        db.session.remove()
    return ids


def second_browser(app, remember=False):
    """Ada logged in from another browser (its own server-side session)."""
    other = AuthActions(app.test_client())
    data = {"email": "ada@example.com", "password": PASSWORD,
            "csrf_token": csrf_token(other.client, "/login")}
    if remember:
        data["remember"] = "y"
    assert other.client.post("/login", data=data).status_code == 302
    return other.client


def cookie_session(app, client):
    """What the session cookie carries, decoded as the app reads it (signed, not encrypted:
    anyone with the cookie can do the same)."""
    cookie = client.get_cookie("session").value
    return app.session_interface.get_signing_serializer(app).loads(cookie)


def setup_key(app, client):
    """The Redis key of the set-up of `client`'s server-side session (found by the hash of
    the token its cookie carries, as the app finds it)."""
    token = cookie_session(app, client)["_user_id"].partition(":")[2]
    with app.app_context():
        session_id = db.session.scalar(select(UserSession.id).where(
            UserSession.token_hash == hashlib.sha256(token.encode()).hexdigest()))
        db.session.remove()
    assert session_id is not None
    return f"scanlink:two-factor-setup:{session_id}"


def test_turning_it_on_needs_the_current_password(app, client, owner):
    secret = setup_secret(client)
    response = confirm_setup(client, totp_code(secret), password="not the password")
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)
    response = confirm_setup(client, totp_code(secret), password=None)
    assert response.status_code == 422
    assert totp_secret(app) is None
    assert confirm_setup(client, totp_code(secret)).status_code == 200
    assert totp_secret(app) == secret


def test_turning_it_on_ends_every_other_session(app, client, owner):
    other = second_browser(app, remember=True)
    remember_me = other.get_cookie("remember_token").value
    assert other.get("/account/").status_code == 200
    secret = setup_secret(client)
    assert confirm_setup(client, totp_code(secret)).status_code == 200
    assert other.get("/account/").status_code == 302
    thief = app.test_client()
    thief.set_cookie("remember_token", remember_me)
    assert thief.get("/account/").status_code == 302
    assert client.get("/account/").status_code == 200
    assert len(session_ids(app)) == 1


def test_the_secret_is_not_in_the_cookie_but_in_redis_for_a_while(app, client, owner, redis):
    secret = setup_secret(client)
    assert client.get("/account/two-factor/qr.svg").status_code == 200
    carried = cookie_session(app, client)
    assert secret not in repr(carried)
    assert not any("two_factor" in key for key in carried)
    key = setup_key(app, client)
    assert redis.get(key).decode() == secret
    assert 0 < redis.ttl(key) <= 15 * 60
    assert confirm_setup(client, totp_code(secret)).status_code == 200
    assert not redis.exists(key)


def test_a_set_up_cannot_be_confirmed_from_another_session_of_the_user(app, client, owner):
    secret = setup_secret(client)
    other = second_browser(app)
    response = confirm_setup(other, totp_code(secret))
    assert response.status_code == 422
    assert RAN_OUT in response.get_data(as_text=True)
    assert totp_secret(app) is None
    assert setup_secret(other) != secret  # the other browser is shown a set-up of its own
    assert confirm_setup(client, totp_code(secret)).status_code == 200


def test_a_set_up_that_ran_out_asks_for_the_new_code(app, client, owner, redis):
    secret = setup_secret(client)
    redis.delete(setup_key(app, client))  # what fifteen minutes unseen do
    response = confirm_setup(client, totp_code(secret))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert RAN_OUT in text and response.headers["Cache-Control"] == "no-store"
    assert totp_secret(app) is None
    fresh = setup_secret(client)
    assert fresh != secret
    assert confirm_setup(client, totp_code(fresh)).status_code == 200


@pytest.fixture
def through_the_proxy(redis_proxy):
    return through_redis_proxy(redis_url(), redis_proxy)


@pytest.mark.settings(FAST_FAILURE, "through_the_proxy")
def test_without_redis_the_set_up_is_a_clear_503(app, client, owner, redis_proxy):
    secret = setup_secret(client)
    redis_proxy.cut()
    for response in (client.get("/account/two-factor/setup"),
                     client.get("/account/two-factor/qr.svg"),
                     confirm_setup(client, totp_code(secret))):
        assert response.status_code == 503
        assert "unavailable for a moment" in response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "30"
    assert totp_secret(app) is None
    redis_proxy.restore()
    assert confirm_setup(client, totp_code(secret)).status_code == 200
