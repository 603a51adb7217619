"""/admin/users in Chromium: the nav link, a search, Disable and Enable."""
import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.support import browser
from tests.support.auth import PASSWORD
from webapp.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_an_administrator_finds_disables_and_enables_a_user(page, app):
    with app.app_context():
        make_user("root@example.com", password=PASSWORD, is_admin=True)
        make_user("bob@example.com")
        make_user("carol@example.com")
        db.session.commit()
    browser.log_in(page, "root@example.com")
    page.get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()

    page.get_by_label("E-mail address contains").fill("bob")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="carol@example.com")).to_have_count(0)
    page.get_by_role("button", name="Disable bob@example.com").click()
    expect(page.get_by_text("bob@example.com is disabled")).to_be_visible()
    expect(page.get_by_text("disabled since")).to_be_visible()
    expect(page.get_by_label("E-mail address contains")).to_have_value("bob")  # the search is kept

    page.get_by_role("button", name="Enable bob@example.com").click()
    expect(page.get_by_text("bob@example.com can log in again.")).to_be_visible()
    expect(page.get_by_role("button", name="Disable bob@example.com")).to_be_visible()
