"""Sessions that end: log-out, a new password, the account page's list and "log out
everywhere". Each browser is its own test client; a stolen cookie is replayed in a fresh
one, as an attacker would."""
import re
from datetime import timedelta

import pytest
from flask_login import current_user
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from tests.support import two_factor
from tests.support.auth import PASSWORD, AuthActions, csrf_token
from webapp.extensions import db
from webapp.models import User, UserSession
from webapp.models.base import utcnow
from webapp.web.auth import log_in as start_session

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
NEW_PASSWORD = "a much better passphrase"


def browser(app, user_agent=FIREFOX):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def log_in(client, password=PASSWORD, remember=False):
    data = {"email": "ada@example.com", "password": password,
            "csrf_token": csrf_token(client, "/login")}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def replay(app, **cookies):
    """A fresh browser holding only these cookies: is it let in to the account page?"""
    thief = browser(app)
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief.get("/account/").status_code == 200


def live_sessions(app, email="ada@example.com"):
    with app.app_context():
        rows = db.session.scalars(select(UserSession).join(User).where(User.email == email)
                                  .order_by(UserSession.created_at)).all()
        db.session.remove()
    return rows


def post(client, path, **data):
    data["csrf_token"] = csrf_token(client, "/account/")
    return client.post(path, data=data)


def change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    return post(client, "/account/password", current_password=current, new_password=new,
                confirm=new)


def test_a_saved_session_cookie_is_refused_after_logout(app, client, auth):
    auth.signup()
    saved = cookie(client, "session")
    assert replay(app, session=saved)  # the copy works while the session lives

    auth.logout()

    assert not replay(app, session=saved)
    assert client.get("/account/").status_code == 302
    assert live_sessions(app) == []


def test_remember_me_cookie_is_lax_httponly_and_names_the_session(app, auth):
    auth.signup()
    other = browser(app)
    response = log_in(other, remember=True)
    set_cookie = next(h for h in response.headers.getlist("Set-Cookie")
                      if h.startswith("remember_token="))
    assert "SameSite=Lax" in set_cookie and "HttpOnly" in set_cookie
    remember = cookie(other, "remember_token")
    assert replay(app, remember_token=remember)

    AuthActions(other).logout()

    assert not replay(app, remember_token=remember)


def test_a_password_change_ends_every_other_session_and_remember_me_cookie(app, client, auth):
    auth.signup()
    a_before = cookie(client, "session")
    b = browser(app, IPHONE)
    log_in(b, remember=True)
    b_session, b_remember = cookie(b, "session"), cookie(b, "remember_token")
    # B comes back later with only its remember-me cookie: that works, before the change.
    b.delete_cookie("session")
    assert b.get("/account/").status_code == 200

    response = change_password(client)
    assert response.status_code == 302

    assert client.get("/account/").status_code == 200  # A stays in
    assert b.get("/account/").status_code == 302
    assert not replay(app, session=b_session)
    assert not replay(app, remember_token=b_remember)
    # A goes on in a new session: a copy of its cookies from before the change is dead too.
    assert not replay(app, session=a_before)
    assert len(live_sessions(app)) == 1
    assert replay(app, session=cookie(client, "session"))


def test_a_password_change_renews_this_browsers_remember_me_cookie(app, auth):
    auth.signup()
    a = browser(app)
    log_in(a, remember=True)
    old_remember = cookie(a, "remember_token")

    assert change_password(a).status_code == 302

    new_remember = cookie(a, "remember_token")
    assert new_remember and new_remember != old_remember
    assert not replay(app, remember_token=old_remember)
    assert replay(app, remember_token=new_remember)


def test_log_out_everywhere_ends_this_browser_and_the_others(app, client, auth):
    auth.signup()
    b = browser(app, IPHONE)
    log_in(b, remember=True)
    b_remember = cookie(b, "remember_token")

    response = post(client, "/account/sessions/end-all")

    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account/").status_code == 302
    assert b.get("/account/").status_code == 302
    assert not replay(app, remember_token=b_remember)
    assert live_sessions(app) == []


def test_the_list_shows_each_browser_and_ends_one(app, auth):
    auth.signup()
    a, b = browser(app, FIREFOX), browser(app, IPHONE)
    log_in(a)
    log_in(b)

    html = a.get("/account/").get_data(as_text=True)
    assert "Firefox on Linux" in html and "Mobile Safari on iOS" in html
    assert re.search(r"Firefox on Linux <mark>this browser</mark>", html)
    assert "Mobile Safari on iOS <mark>this browser</mark>" not in html

    b_row = next(row for row in live_sessions(app) if row.device == "Mobile Safari on iOS")
    response = post(a, f"/account/sessions/{b_row.id}/end")

    assert response.status_code == 302
    assert b.get("/account/").status_code == 302
    assert a.get("/account/").status_code == 200
    assert b_row.id not in {row.id for row in live_sessions(app)}


def test_ending_this_browsers_session_from_the_list_logs_it_out(app, client, auth):
    auth.signup()
    (mine,) = live_sessions(app)
    response = post(client, f"/account/sessions/{mine.id}/end")
    assert response.headers["Location"] == "/login"
    assert client.get("/account/").status_code == 302


def test_someone_elses_session_or_a_bad_id_is_a_404_and_ends_nothing(app, client, auth):
    auth.signup(email="eve@example.com")
    (eves,) = live_sessions(app, "eve@example.com")
    auth.logout()
    eve = browser(app)
    AuthActions(eve).login(email="eve@example.com")
    auth.signup()

    for session_id in (eves.id, eves.id.upper(), "x" * 26, "%00" + "a" * 23, "1"):
        response = post(client, f"/account/sessions/{session_id}/end")
        assert response.status_code == 404, session_id

    assert eve.get("/account/").status_code == 200
    assert len(live_sessions(app, "eve@example.com")) == 1
    assert client.get("/account/").status_code == 200


def test_ending_a_session_needs_the_csrf_token(app, client, auth):
    auth.signup()
    (mine,) = live_sessions(app)
    assert client.post(f"/account/sessions/{mine.id}/end").status_code == 400
    assert client.post("/account/sessions/end-all").status_code == 400
    assert len(live_sessions(app)) == 1


@pytest.mark.parametrize("cookie_id", [
    "1",  # the form before sessions were kept (the bare user id): those browsers log in again
    "1:", ":x", "x:y", "\u00b2:x", "99999999999:x", "-1:x", "1:\x00", "1:" + "x" * 5000,
])
def test_a_signed_cookie_naming_no_live_session_logs_no_one_in(app, auth, cookie_id):
    auth.signup()
    with app.test_request_context():
        forged = app.session_interface.get_signing_serializer(app).dumps(
            {"_user_id": cookie_id, "_fresh": True})
    assert not replay(app, session=forged)


def test_a_session_unused_for_its_lifetime_is_over(app, client, auth):
    auth.signup()
    long_ago = utcnow() - timedelta(days=app.config["SESSION_LIFETIME_DAYS"], minutes=1)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert client.get("/account/").status_code == 302
    # The next log-in clears it away.
    log_in(client)
    assert len(live_sessions(app)) == 1


def test_use_is_recorded_at_most_once_a_minute(app, client, auth):
    auth.signup()
    two_minutes_ago = utcnow() - timedelta(minutes=2)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=two_minutes_ago))
        db.session.commit()

    client.get("/account/")
    (row,) = live_sessions(app)
    assert row.last_seen_at > two_minutes_ago + timedelta(seconds=100)
    seen = row.last_seen_at
    for _ in range(3):
        client.get("/account/")
    assert live_sessions(app)[0].last_seen_at == seen


def test_a_guessable_password_is_refused_with_zxcvbns_advice(app, client, auth):
    response = auth.signup(password="password1234")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "too easy to guess" in html and "This is a very common password." in html
    # The address itself is one of the first things an attacker tries.
    response = auth.signup(email="margaret.hamilton@example.com",
                           password="margaret.hamilton@example.com")
    assert response.status_code == 400 and "too easy to guess" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)) is None

    auth.signup()
    response = change_password(client, new="qwertyuiop123")
    assert response.status_code == 400
    assert "too easy to guess" in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 302  # nothing changed


def test_a_failed_password_change_ends_no_session(app, client, auth):
    auth.signup()
    b = browser(app)
    log_in(b)
    assert change_password(client, current="not my password").status_code == 400
    assert b.get("/account/").status_code == 200
    assert len(live_sessions(app)) == 2


def test_an_older_hash_is_replaced_by_scrypt_at_log_in(app, auth):
    auth.signup()
    auth.logout()
    for old in ("pbkdf2:sha256:600000", "scrypt:16384:8:1"):
        with app.app_context():
            db.session.execute(update(User).values(
                password_hash=generate_password_hash(PASSWORD, method=old)))
            db.session.commit()

        assert auth.login().status_code == 302

        with app.app_context():
            stored = db.session.scalar(select(User.password_hash))
        assert stored.startswith("scrypt:32768:8:1$"), stored
        auth.logout()
        assert auth.login(password="not the password").status_code == 401
        assert auth.login().status_code == 302
        auth.logout()



def test_logging_in_again_in_the_same_browser_ends_its_earlier_session(app, auth):
    """A second way in (single sign-on, say) while logged in leaves no session behind."""
    auth.signup()
    other = browser(app)
    log_in(other)
    earlier = {row.id for row in live_sessions(app)}
    with other:  # keeps the request's context open after it
        other.get("/account/")
        start_session(current_user._get_current_object())
    now = {row.id for row in live_sessions(app)}
    assert len(now) == 2 and len(now & earlier) == 1


def test_the_hash_is_replaced_at_the_password_step_of_a_two_factor_log_in(app, client, auth):
    auth.signup()
    two_factor.enable(client)
    auth.logout()
    with app.app_context():
        db.session.execute(update(User).values(
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")))
        db.session.commit()

    response = two_factor.password_step(client)
    assert response.headers["Location"] == "/login/two-factor"  # not logged in yet

    with app.app_context():
        assert db.session.scalar(select(User.password_hash)).startswith("scrypt:32768:8:1$")
    assert live_sessions(app) == []
