"""Smart redirects in Chromium: build rules in the editor, test them, save, scan as an
iPhone and as an Android phone, and see both on the analytics page."""
import os

import pytest
from playwright.sync_api import expect

from tests.factories import make_code, make_user
from tests.support.browser import log_in
from webapp.extensions import db

pytestmark = pytest.mark.browser

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0.0.0 Mobile Safari/537.36")


def scan_as(chromium, live_server, user_agent, slug):
    context = chromium.new_context(base_url=live_server.url, user_agent=user_agent)
    try:
        page = context.new_page()
        page.goto(f"/s/{slug}")
        return page.url
    finally:
        context.close()


def test_build_test_save_and_scan_rules(app, auth, page, chromium, live_server):
    auth.signup(email="grace@example.com")
    with app.app_context():
        code_id = make_code(make_user("grace@example.com"), slug="app-link", title="App link",
                            target_url=f"{live_server.url}/fallback").id
        db.session.remove()
    log_in(page, "grace@example.com")
    page.goto(f"/codes/{code_id}")
    section = page.locator("#redirect-rules")
    section.get_by_role("button", name="Add a rule").click()
    expect(section.locator("li.rule")).to_have_count(1)
    section.locator("li.rule").nth(0).get_by_label("iPhone/iPad").check()
    section.locator("input[name=rule-0-target_url]").fill(f"{live_server.url}/ios")
    section.get_by_role("button", name="Add a rule").click()
    expect(section.locator("li.rule")).to_have_count(2)
    expect(section.locator("input[name=rule-0-target_url]")).to_have_value(f"{live_server.url}/ios")
    section.locator("li.rule").nth(1).get_by_label("Android").check()
    section.locator("input[name=rule-1-target_url]").fill(f"{live_server.url}/android")
    section.locator("input[name=utm-source]").fill("poster")
    expect(section.locator("#utm-preview")).to_contain_text("/fallback?utm_source=poster")

    section.locator("select[name=test-device]").select_option("android")
    section.get_by_role("button", name="Test", exact=True).click()
    expect(section.locator("#test-answer [data-served]")).to_have_attribute("data-served", "rule:2")
    section.locator("select[name=test-device]").select_option("ios")
    section.get_by_role("button", name="Test", exact=True).click()
    expect(section.locator("#test-answer [data-served]")).to_have_attribute("data-served", "rule:1")
    if os.environ.get("SCANLINK_SCREENSHOTS"):
        page.set_viewport_size({"width": 1200, "height": 1400})
        section.screenshot(path=os.path.join(os.environ["SCANLINK_SCREENSHOTS"], "rules.png"))

    section.get_by_role("button", name="Save redirect").click()
    expect(page.locator("#rules-message")).to_contain_text("Saved")

    assert scan_as(chromium, live_server, IPHONE, "app-link") == f"{live_server.url}/ios?utm_source=poster"
    assert scan_as(chromium, live_server, ANDROID, "app-link") == (
        f"{live_server.url}/android?utm_source=poster")

    page.goto(f"/codes/{code_id}/analytics")
    served = page.locator("[data-breakdown=by_target]")
    expect(served.locator("[data-target='rule:1'] td").first).to_have_text("1")
    expect(served.locator("[data-target='rule:2'] td").first).to_have_text("1")
