"""Two-factor log-in in Chromium: set it up from the QR code on the page, then log in with a
code, and with a recovery code."""
import pyotp
import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up
from tests.support.qrcodes import decode_png
from tests.support.two_factor import totp_code

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


def log_in_with_password(page):
    page.get_by_role("button", name="Log out", exact=True).click()
    page.goto("/login")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-factor log-in")).to_be_visible()


def test_set_up_from_the_page_then_log_in_with_a_code_and_a_recovery_code(page):
    sign_up(page, password=PASSWORD)
    page.get_by_role("link", name="Account").click()
    page.get_by_role("button", name="Set up two-factor").click()
    expect(page.get_by_role("heading", name="Set up two-factor log-in")).to_be_visible()

    # What a phone's camera would read off the screen: the otpauth URI with the key shown.
    qr = page.get_by_alt_text("QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    uri = decode_png(qr.screenshot())[0]
    secret = page.locator("#two-factor-secret").inner_text().replace(" ", "")
    assert uri == f"otpauth://totp/Scanlink:grace%40example.com?secret={secret}&issuer=Scanlink"
    assert pyotp.parse_uri(uri).secret == secret

    # The password is asked too: a stolen session alone cannot turn it on.
    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_label("Current password").fill("not the password")
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_text("Your current password is not right")).to_be_visible()
    assert page.locator("#two-factor-secret").inner_text().replace(" ", "") == secret

    page.get_by_label("Code").fill("000000" if totp_code(secret) != "000000" else "111111")
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_text("That code is not right")).to_be_visible()

    page.get_by_label("Code").fill(totp_code(secret))
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-factor").click()
    expect(page.get_by_role("heading", name="Two-factor log-in is on")).to_be_visible()
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("button", name="I have saved them").click()
    expect(page.get_by_text("10 of 10 recovery codes left")).to_be_visible()

    log_in_with_password(page)
    page.goto("/account/")  # nothing opens before the code
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/login/two-factor")
    page.get_by_label("Code").fill(totp_code(secret, offset=1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    log_in_with_password(page)
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("You used a recovery code; 9 are left.")).to_be_visible()
