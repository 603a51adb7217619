"""The pages that re-check the current password (changing it, turning two-factor on or
off, new recovery codes) limit wrong guesses: per client address, and per user from any
address, so a stolen session cookie buys no unlimited guessing at the password."""
import pytest

from tests.support.auth import PASSWORD, AuthActions, csrf_token
from tests.support.two_factor import confirm_setup, enable, setup_secret, totp_code

NEW_PASSWORD = "a much better passphrase"
WRONG = "not the password at all"
ELSEWHERE = "198.51.100.7"


def change_password(client, current):
    return client.post("/account/password", data={
        "current_password": current, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
        "csrf_token": csrf_token(client, "/account/")})


def post_password(client, path, password):
    return client.post(path, data={"password": password,
                                   "csrf_token": csrf_token(client, "/account/")})


def thief(app, client, address=ELSEWHERE):
    """Another browser, at another address, holding a copy of the client's session cookie."""
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = address
    other.set_cookie("session", client.get_cookie("session").value)
    assert other.get("/account/").status_code == 200
    return other


def can_log_in_with(app, password):
    fresh = AuthActions(app.test_client())
    return fresh.login(password=password).status_code == 302


@pytest.mark.settings(RATELIMIT_AUTH="3 per minute", RATELIMIT_PASSWORD_CHECK="100 per minute")
def test_wrong_current_passwords_from_one_address_lead_to_429(app, client, owner):
    assert [change_password(client, WRONG).status_code for _ in range(3)] == [400, 400, 400]
    response = change_password(client, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert can_log_in_with(app, PASSWORD) and not can_log_in_with(app, NEW_PASSWORD)


@pytest.mark.settings(RATELIMIT_AUTH="100 per minute", RATELIMIT_PASSWORD_CHECK="3 per 15 minutes")
def test_wrong_current_passwords_count_per_user_from_any_address(app, client, owner):
    stolen = thief(app, client)
    assert [change_password(client, WRONG).status_code for _ in range(2)] == [400, 400]
    assert change_password(stolen, WRONG).status_code == 400
    assert change_password(stolen, PASSWORD).status_code == 429
    assert change_password(client, PASSWORD).status_code == 429
    assert can_log_in_with(app, PASSWORD) and not can_log_in_with(app, NEW_PASSWORD)
    # The count is Ada's: another user, at the same address, changes hers.
    grace = AuthActions(app.test_client())
    grace.signup(email="grace@example.com")
    assert change_password(grace.client, PASSWORD).status_code == 302


@pytest.mark.settings(RATELIMIT_AUTH="100 per minute", RATELIMIT_PASSWORD_CHECK="3 per 15 minutes")
def test_every_page_that_checks_the_password_shares_the_count(app, client, owner):
    enable(client)
    assert post_password(client, "/account/two-factor/disable", WRONG).status_code == 400
    assert post_password(client, "/account/two-factor/recovery-codes", WRONG).status_code == 400
    assert change_password(client, WRONG).status_code == 400
    assert post_password(client, "/account/two-factor/disable", PASSWORD).status_code == 429
    assert post_password(client, "/account/two-factor/recovery-codes",
                         PASSWORD).status_code == 429
    assert change_password(client, PASSWORD).status_code == 429
    assert client.get("/account/").get_data(as_text=True).count("<strong>On.</strong>") == 1


@pytest.mark.settings(RATELIMIT_AUTH="100 per minute", RATELIMIT_PASSWORD_CHECK="3 per 15 minutes")
def test_wrong_passwords_at_the_two_factor_set_up_are_limited_too(app, client, owner):
    secret = setup_secret(client)
    statuses = [confirm_setup(client, totp_code(secret), WRONG).status_code for _ in range(3)]
    assert statuses == [400, 400, 400]
    assert confirm_setup(client, totp_code(secret)).status_code == 429
    assert "Set up two-factor" in client.get("/account/").get_data(as_text=True)


@pytest.mark.settings(RATELIMIT_AUTH="3 per minute", RATELIMIT_PASSWORD_CHECK="3 per 15 minutes")
def test_right_passwords_use_up_nothing(app, client, owner):
    enable(client)
    for _ in range(4):
        assert post_password(client, "/account/two-factor/recovery-codes",
                             PASSWORD).status_code == 200
