"""Two-factor log-in through the real pages: set-up, log-in with a code or a recovery code,
the limit on guesses, turning it off."""
import hashlib

import pytest
from sqlalchemy import select

from tests.support.auth import PASSWORD, csrf_token
from tests.support.qrcodes import decode_svg
from tests.support.two_factor import (
    confirm_setup,
    enable,
    password_step,
    recovery_codes,
    send_code,
    setup_secret,
    totp_code,
    wrong_code,
)
from webapp.extensions import db
from webapp.models import RecoveryCode, User
from webapp.services.accounts import users


def stored(app):
    """(totp_secret, [(code_hash, used)]) of Ada, read from the database."""
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "ada@example.com"))
        codes = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
        result = user.totp_secret, [(c.code_hash, c.used_at is not None) for c in codes]
        db.session.remove()
    return result


@pytest.fixture
def ada_with_two_factor(client, auth, owner):
    """Ada with two-factor on, logged out: (secret, recovery codes)."""
    secret, codes = enable(client)
    auth.logout()
    return secret, codes


def test_set_up_with_the_right_code_turns_it_on_and_shows_ten_codes_once(client, owner, app):
    assert "Set up two-factor" in client.get("/account/").get_data(as_text=True)
    secret = setup_secret(client)
    assert setup_secret(client) == secret, "a reload keeps the secret the app may have scanned"
    response = confirm_setup(client, totp_code(secret))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = recovery_codes(response)
    assert len(codes) == 10 and len(set(codes)) == 10
    saved_secret, saved = stored(app)
    assert saved_secret == secret
    # Kept hashed: no code is in the database as it was shown.
    assert sorted(h for h, _ in saved) == sorted(
        hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes)
    page = client.get("/account/").get_data(as_text=True)
    assert "<strong>On.</strong>" in page and "10 of 10 recovery codes left" in page
    assert not any(code in page for code in codes)
    # Set-up again is not offered while it is on.
    assert client.get("/account/two-factor/setup").status_code == 302
    assert client.get("/account/two-factor/qr.svg").status_code == 404


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x", "9" * 500,
                                  "12\x0034", "١٢٣٤٥٦"])
def test_set_up_with_a_wrong_or_ugly_code_changes_nothing(client, owner, app, code):
    setup_secret(client)
    response = confirm_setup(client, code)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert ("not right" in text or "Enter a code" in text or "Field cannot be longer" in text
            or "holds a NUL character" in text)
    assert stored(app) == (None, [])


def test_set_up_with_a_code_of_another_time_changes_nothing(client, owner, app):
    secret = setup_secret(client)
    response = confirm_setup(client, wrong_code(secret))
    assert response.status_code == 422
    assert "That code is not right" in response.get_data(as_text=True)
    response = confirm_setup(client, totp_code(secret, offset=-3))
    assert response.status_code == 422
    assert stored(app) == (None, [])


def test_the_set_up_qr_code_is_drawn_here_and_reads_as_the_otpauth_uri(client, owner):
    secret = setup_secret(client)
    response = client.get("/account/two-factor/qr.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Cache-Control"] == "no-store"
    assert decode_svg(response.data) == [
        f"otpauth://totp/Scanlink:ada%40example.com?secret={secret}&issuer=Scanlink"]
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    assert 'src="/account/two-factor/qr.svg"' in page


def test_set_up_pages_need_a_log_in(client):
    for path in ("/account/two-factor/setup", "/account/two-factor/qr.svg",
                 "/account/two-factor/disable", "/account/two-factor/recovery-codes"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_a_set_up_secret_is_not_handed_to_the_next_person_in_the_same_browser(client, auth, owner):
    first = setup_secret(client)
    auth.logout()
    auth.signup(email="grace@example.com")
    assert setup_secret(client) != first


def test_log_in_asks_for_the_code_after_the_password(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    response = password_step(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/two-factor"
    page = client.get("/login/two-factor")
    assert page.status_code == 200 and "Two-factor log-in" in page.get_data(as_text=True)
    response = send_code(client, totp_code(secret, offset=1))
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 200
    assert client.get_cookie("remember_token") is None


def test_a_pending_log_in_reaches_no_page_before_the_code(client, ada_with_two_factor):
    password_step(client)
    assert "Log out" not in client.get("/").get_data(as_text=True)  # the visitors' welcome
    for path in ("/account/", "/codes/", "/images/", "/jobs/", "/webhooks/",
                 "/account/two-factor/setup", "/account/two-factor/qr.svg",
                 "/account/two-factor/disable"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login"), path
    assert client.get("/api/qr-codes").status_code == 401
    token = csrf_token(client, "/login")
    response = client.post("/account/two-factor/disable", data={"password": PASSWORD,
                                                                "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_wrong_code_is_a_clear_401(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    password_step(client)
    response = send_code(client, wrong_code(secret))
    assert response.status_code == 401
    assert "That code is not right" in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


@pytest.mark.parametrize("code", ["", "x" * 65, "\x00", "<script>", "１２３４５６"])
def test_ugly_codes_are_refused_without_logging_in(client, ada_with_two_factor, code):
    password_step(client)
    response = send_code(client, code)
    assert response.status_code in (401, 422)
    assert "&lt;script&gt;" in response.get_data(as_text=True) or code != "<script>"
    assert client.get("/account/").status_code == 302


def test_a_code_works_once(client, auth, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    code = totp_code(secret, offset=1)
    password_step(client)
    assert send_code(client, code).status_code == 302
    auth.logout()
    password_step(client)
    response = send_code(client, code)
    assert response.status_code == 401
    assert client.get("/account/").status_code == 302


def test_a_code_of_the_set_up_step_cannot_log_in_again(client, auth, owner):
    secret = setup_secret(client)
    code = totp_code(secret)
    assert confirm_setup(client, code).status_code == 200
    auth.logout()
    password_step(client)
    assert send_code(client, code).status_code == 401


def test_a_recovery_code_works_once(client, auth, app, ada_with_two_factor):
    _, codes = ada_with_two_factor
    password_step(client)
    # Typed as people type them: capitals, no dashes, spaces.
    typed = " " + codes[0].replace("-", "").upper() + " "
    response = send_code(client, typed)
    assert response.status_code == 302
    assert "9 are left" in client.get("/").get_data(as_text=True)
    assert sum(used for _, used in stored(app)[1]) == 1
    auth.logout()
    password_step(client)
    assert send_code(client, codes[0]).status_code == 401
    assert send_code(client, codes[1]).status_code == 302


def test_the_log_in_keeps_remember_me_and_the_next_page(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    response = password_step(client, path="/login?next=/codes/", remember="y")
    assert response.headers["Location"] == "/login/two-factor"
    response = send_code(client, totp_code(secret, offset=1))
    assert response.headers["Location"] == "/codes/"
    assert client.get_cookie("remember_token") is not None


def test_a_pending_log_in_runs_out(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    password_step(client)
    with client.session_transaction() as session:
        session["pending_login"] = dict(session["pending_login"],
                                        at=session["pending_login"]["at"] - 301)
    response = send_code(client, totp_code(secret, offset=1))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account/").status_code == 302
    assert client.get("/login/two-factor").status_code == 302


def test_a_new_password_cancels_a_pending_log_in(app, client, ada_with_two_factor):
    """Someone who had the old password and is waiting at the code page (a stolen phone
    at hand, say) is sent back to the password once the owner resets it."""
    secret, _ = ada_with_two_factor
    password_step(client)
    with app.app_context():
        ada = db.session.scalar(select(User).where(User.email == "ada@example.com"))
        users.set_password(ada, "the owner's brand new passphrase")
        db.session.commit()
        db.session.remove()
    response = send_code(client, totp_code(secret, offset=1))
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account/").status_code == 302


def test_the_code_page_without_a_pending_log_in_sends_you_to_the_password(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


@pytest.mark.settings(RATELIMIT_TWO_FACTOR="3 per 15 minutes")
def test_too_many_wrong_codes_lock_the_account_out_from_any_address(app, client, auth,
                                                                    ada_with_two_factor):
    secret, codes = ada_with_two_factor
    password_step(client)
    assert [send_code(client, wrong_code(secret)).status_code for _ in range(2)] == [401, 401]
    # A second attacker at another address, with a pending log-in of its own, shares the count.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    password_step(other)
    assert send_code(other, wrong_code(secret)).status_code == 401
    response = send_code(other, totp_code(secret, offset=1))
    assert response.status_code == 429
    assert "Too many wrong codes" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 60
    # The lock-out ended that pending log-in; the right code or a recovery code does nothing now.
    assert send_code(other, totp_code(secret, offset=1)).headers["Location"] == "/login"
    assert send_code(client, codes[0]).status_code == 429
    password_step(client)
    assert send_code(client, totp_code(secret, offset=1)).status_code == 429
    assert client.get("/account/").status_code == 302


@pytest.mark.settings(RATELIMIT_TWO_FACTOR="3 per 15 minutes")
def test_a_right_code_clears_the_count_of_wrong_ones(client, auth, ada_with_two_factor):
    secret, codes = ada_with_two_factor
    password_step(client)
    assert [send_code(client, wrong_code(secret)).status_code for _ in range(2)] == [401, 401]
    assert send_code(client, totp_code(secret, offset=1)).status_code == 302
    auth.logout()
    password_step(client)
    assert [send_code(client, wrong_code(secret)).status_code for _ in range(2)] == [401, 401]
    assert send_code(client, codes[0]).status_code == 302


@pytest.mark.settings(RATELIMIT_TWO_FACTOR="100 per minute", RATELIMIT_AUTH="4 per minute")
def test_code_guesses_from_one_address_use_up_the_log_in_limit(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    password_step(client)
    statuses = [send_code(client, wrong_code(secret)).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


def test_turning_it_off_needs_the_password(client, auth, app, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    password_step(client)
    send_code(client, totp_code(secret, offset=1))
    assert client.get("/account/two-factor/disable").status_code == 200
    token = csrf_token(client, "/account/")
    response = client.post("/account/two-factor/disable",
                           data={"password": "not the password", "csrf_token": token})
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)
    response = client.post("/account/two-factor/disable", data={"csrf_token": token})
    assert response.status_code == 422
    assert stored(app)[0] == secret
    response = client.post("/account/two-factor/disable",
                           data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert stored(app) == (None, [])
    auth.logout()
    response = password_step(client)
    assert response.headers["Location"] == "/"


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, auth, app,
                                                                   ada_with_two_factor):
    secret, old = ada_with_two_factor
    password_step(client)
    send_code(client, totp_code(secret, offset=1))
    token = csrf_token(client, "/account/")
    response = client.post("/account/two-factor/recovery-codes",
                           data={"password": "not the password", "csrf_token": token})
    assert response.status_code == 400
    assert len(stored(app)[1]) == 10
    response = client.post("/account/two-factor/recovery-codes",
                           data={"password": PASSWORD, "csrf_token": token})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    new = recovery_codes(response)
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    password_step(client)
    assert send_code(client, old[0]).status_code == 401
    assert send_code(client, new[0]).status_code == 302


@pytest.mark.settings(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
def test_without_redis_to_count_guesses_no_code_is_taken(client, ada_with_two_factor):
    secret, _ = ada_with_two_factor
    password_step(client)
    response = send_code(client, totp_code(secret, offset=1))
    assert response.status_code == 503
    assert "unavailable for a moment" in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302
