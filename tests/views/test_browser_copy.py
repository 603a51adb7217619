"""In Chromium: the copy buttons put their link, key or secret on the clipboard and say so.

The context may read and write the clipboard (127.0.0.1 is a secure context). The
fallback is driven by a Clipboard API that refuses, as it does on plain http."""
import re

import pytest
from playwright.sync_api import expect

from tests.support import site_pages
from tests.support.browser import log_in

pytestmark = pytest.mark.browser

REFUSING_CLIPBOARD = """() => {
  navigator.clipboard.writeText = () => Promise.reject(new DOMException("refused", "NotAllowedError"));
}"""


@pytest.fixture
def clipboard_page(page, live_server):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    return page


def clipboard(page):
    return page.evaluate("navigator.clipboard.readText()")


def test_the_scan_link_is_copied_from_the_code_page(app, clipboard_page):
    page = clipboard_page
    site = site_pages.seed(app)
    log_in(page, site.email)
    page.goto(f"/codes/{site.code_id}")
    button = page.get_by_role("button", name="Copy the scan link")
    button.click()
    expect(button).to_have_text("Copied")
    expect(page.locator(".copy-status").first).to_have_text("Copied")
    assert re.fullmatch(rf"https?://[^/]+/s/{re.escape(site.slug)}", clipboard(page))
    expect(button).to_have_text("Copy", timeout=5000)


def test_copy_falls_back_when_the_clipboard_api_refuses(app, clipboard_page):
    page = clipboard_page
    site = site_pages.seed(app)
    log_in(page, site.email)
    page.goto(f"/webhooks/{site.endpoint_id}")
    secret = page.get_by_label("Signing secret", exact=True).input_value()
    page.evaluate(REFUSING_CLIPBOARD)
    page.get_by_text("Show the secret").click()
    page.get_by_role("button", name="Copy the signing secret").click()
    expect(page.get_by_role("button", name="Copy the signing secret")).to_have_text("Copied")
    assert clipboard(page) == secret and secret.startswith("whsec_")


def test_the_new_api_key_and_an_image_address_have_copy_buttons(app, clipboard_page):
    page = clipboard_page
    site = site_pages.seed(app)
    log_in(page, site.email)
    page.goto("/account/")
    page.get_by_label("Key name").fill("shop sync")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("New API key", exact=True).input_value()
    page.get_by_role("button", name="Copy the new API key").click()
    assert clipboard(page) == key

    page.goto("/images/")
    address = page.locator(".image-url").first.input_value()
    page.get_by_role("button", name=re.compile("^Copy the address of")).first.click()
    assert clipboard(page) == address
