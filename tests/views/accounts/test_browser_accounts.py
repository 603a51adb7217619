import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_sign_up_land_on_dashboard_log_out(page):
    page.goto("/")
    page.get_by_role("button", name="Sign up").click()
    page.get_by_label("E-mail").fill("grace@example.com")
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
