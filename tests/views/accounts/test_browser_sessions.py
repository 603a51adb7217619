"""Sessions that end, in real Chromium: two browsers (two contexts, each with its own
cookie jar) logged in to one account."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.auth import PASSWORD
from tests.support.browser import log_in

pytestmark = pytest.mark.browser

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def second_browser(chromium, live_server):
    """Another browser for the same site: its own cookies, an iPhone's user agent."""
    contexts = []

    def open_page(cookies=(), user_agent=IPHONE):
        context = chromium.new_context(base_url=live_server.url, user_agent=user_agent)
        context.set_default_timeout(15000)
        context.add_cookies(list(cookies))
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in_remembered(page):
    page.goto("/login")
    page.get_by_label("E-mail").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me logged in").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def shows_account(page):
    page.goto("/account/")
    if re.search(r"/login\?next=", page.url):
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        return False
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    return True


def test_a_password_change_logs_the_other_browser_out_cookies_and_all(page, auth,
                                                                       second_browser):
    auth.signup()
    auth.logout()
    log_in(page)
    b = second_browser()
    log_in_remembered(b)
    remember = [c for c in b.context.cookies() if c["name"] == "remember_token"]
    assert remember, "no remember-me cookie was set"
    # B's remember-me cookie alone opens the account (a browser restarted the next day).
    assert shows_account(second_browser(cookies=remember))

    page.goto("/account/")
    sessions = page.locator("#sessions tbody tr")
    expect(sessions).to_have_count(2)
    expect(sessions.filter(has_text="Mobile Safari on iOS")).to_have_count(1)
    expect(sessions.filter(has_text="this browser")).to_have_count(1)
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed.")).to_be_visible()

    expect(page.locator("#sessions tbody tr")).to_have_count(1)
    assert shows_account(page)  # A stays in
    assert not shows_account(b)
    assert not shows_account(second_browser(cookies=remember))


def test_end_the_other_browser_then_log_out_everywhere(page, auth, second_browser):
    auth.signup()
    auth.logout()
    log_in(page)
    b = second_browser()
    log_in(b)
    c = second_browser(user_agent=None)
    log_in(c)

    page.goto("/account/")
    page.get_by_role("button", name="End session: Mobile Safari on iOS").click()
    expect(page.get_by_text("That session is ended")).to_be_visible()
    expect(page.locator("#sessions tbody tr")).to_have_count(2)
    assert not shows_account(b)
    assert shows_account(c)

    page.goto("/account/")
    page.get_by_role("button", name="Log out everywhere").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert not shows_account(page)
    assert not shows_account(c)
