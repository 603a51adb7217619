"""In Chromium: the code editor's feedback after a refused save, and a save sent while a
preview is on its way."""
import re

import pytest
from playwright.sync_api import expect

from tests.support import site_pages
from tests.support.browser import log_in

pytestmark = pytest.mark.browser


def test_a_fixed_save_clears_the_refusal(app, page):
    site = site_pages.seed(app)
    log_in(page, site.email)
    page.goto(f"/codes/{site.code_id}")
    target = page.get_by_label("Target web address")
    target.fill("not a web address")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".flash-error")).to_be_visible()
    expect(page.locator(".field-error").first).to_be_visible()

    page.get_by_label("Target web address").fill("https://example.com/fixed")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.locator(".flash-error")).to_have_count(0)
    expect(page.locator(".field-error")).to_have_count(0)
    expect(page.get_by_label("Target web address")).to_have_value("https://example.com/fixed")


def test_an_edited_field_loses_its_error_and_the_banner_goes_with_the_last(app, page):
    site = site_pages.seed(app)
    log_in(page, site.email)
    page.goto(f"/codes/{site.code_id}")
    page.get_by_label("Target web address").fill("not a web address")
    page.get_by_role("button", name="Save changes").click()
    banner, note = page.locator("[data-refusal]"), page.locator("#target_url-error")
    expect(banner).to_be_visible()
    expect(note).to_be_visible()
    page.get_by_label("Target web address").fill("https://example.com/fixed")
    expect(note).to_be_hidden()
    expect(banner).to_be_hidden()
    expect(page.get_by_label("Target web address")).not_to_have_attribute("aria-invalid", "true")


def test_saving_while_a_preview_loads_waits_for_it(app, page):
    """The preview's answer is held back until Save is clicked: leaving the page then would
    cut its request, which htmx logs as a console error (htmx:sendAbort). The save is sent
    once the preview is answered."""
    site = site_pages.seed(app)
    errors, held, saves = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: saves.append(r.url) if r.method == "POST"
            and r.url.endswith(f"/codes/{site.code_id}") else None)
    log_in(page, site.email)
    page.goto(f"/codes/{site.code_id}")
    page.route(re.compile(r"/codes/preview$"), lambda route: held.append(route))
    page.get_by_label("Module colour", exact=True).fill("#7a1d1d")
    page.wait_for_function("() => document.querySelector('#code-form').classList.contains('htmx-request')")
    for _ in range(100):  # the route's handler runs when the driver next hears from it
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_timeout(300)
    assert saves == [] and errors == []
    held[0].continue_()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.wait_for_timeout(300)
    assert len(saves) == 1 and errors == []
