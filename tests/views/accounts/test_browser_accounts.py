import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


@pytest.mark.settings("smtp_settings")
def test_sign_up_by_the_mailed_link_land_on_dashboard_log_out(page, mail_server, run_jobs):
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    run_jobs()
    [message] = mail_server.to("grace@example.com")
    page.goto(message.path_of("/signup/"))
    expect(page.get_by_label("E-mail")).to_have_value("grace@example.com")
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Repeat password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Welcome to Scanlink.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/account/")
    expect(page).to_have_url("/login?next=/account/")


def test_wrong_password_shows_a_message(page, auth):
    auth.signup(email="grace@example.com")
    page.goto("/login")
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()


@pytest.mark.settings("smtp_settings")
def test_forgot_password_by_the_mailed_link_then_log_in(page, auth, mail_server, run_jobs):
    auth.signup(email="grace@example.com")
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_role("button", name="Send me the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()

    run_jobs()
    [message] = mail_server.to("grace@example.com")
    page.goto(message.path_of("/reset-password/"))
    page.get_by_label("Password", exact=True).fill("my new long passphrase")
    page.get_by_label("Repeat password").fill("my new long passphrase")
    page.get_by_role("button", name="Set the new password").click()

    expect(page.get_by_text("Your password is changed.")).to_be_visible()
    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Password").fill("my new long passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
