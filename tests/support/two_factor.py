"""Two-factor log-in through the real pages: set-up, the codes an app would show, log-in."""
import html
import re
import time

import pyotp

from tests.support.auth import PASSWORD, csrf_token

_SECRET = re.compile(r'id="two-factor-secret">([^<]+)<')
_CODES = re.compile(r"<li><code>([^<]+)</code></li>")


def totp_code(secret, offset=0):
    """The code an authenticator app shows for `secret`, `offset` time steps from now."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=offset)


def wrong_code(secret):
    """Six digits that are no code of the window around now."""
    window = {totp_code(secret, offset) for offset in (-2, -1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in window)


def setup_secret(client):
    """The secret the set-up page shows (spaces dropped)."""
    page = client.get("/account/two-factor/setup").get_data(as_text=True)
    match = _SECRET.search(page)
    assert match, "no secret on the set-up page"
    return match.group(1).replace(" ", "")


def recovery_codes(response):
    return [html.unescape(code) for code in _CODES.findall(response.get_data(as_text=True))]


def confirm_setup(client, code, password=PASSWORD):
    """Sends the set-up form: the first code, and the current password it asks for too."""
    data = {"code": code, "csrf_token": csrf_token(client, "/account/")}
    if password is not None:
        data["password"] = password
    return client.post("/account/two-factor/setup", data=data)


def enable(client, password=PASSWORD):
    """Turns two-factor on for the logged-in client: (secret, recovery codes)."""
    secret = setup_secret(client)
    response = confirm_setup(client, totp_code(secret), password)
    assert response.status_code == 200, response.get_data(as_text=True)
    return secret, recovery_codes(response)


def send_code(client, code):
    return client.post("/login/two-factor", data={
        "code": code, "csrf_token": csrf_token(client, "/login")})


def password_step(client, email="ada@example.com", password=PASSWORD, path="/login", **extra):
    return client.post(path, data={"email": email, "password": password,
                                   "csrf_token": csrf_token(client, "/login"), **extra})
