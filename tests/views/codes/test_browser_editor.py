"""In Chromium, as a new user: create a code, style it with the live preview, download, edit, delete."""
import base64
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up
from tests.support.qrcodes import decode_svg

pytestmark = pytest.mark.browser


def preview_svg(page):
    src = page.locator("#preview-image").get_attribute("src")
    return base64.b64decode(src.split(",", 1)[1]).decode()


def test_create_recolour_preview_and_download_a_scannable_svg(page, tmp_path):
    sign_up(page)
    page.get_by_role("link", name="Create your first QR code").click()
    page.get_by_label("Title").fill("Window poster")
    page.get_by_label("Target web address").fill("example.com/summer")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Your code is saved, and it scans.")).to_be_visible()
    scan_url = re.search(r"http://127\.0\.0\.1:5000/s/[a-z0-9]+", page.content()).group(0)

    before = preview_svg(page)
    assert 'fill="#000000"' in before
    page.get_by_label("Module colour", exact=True).fill("#1d3fdc")
    expect(page.locator("#preview-image")).not_to_have_attribute("src", re.compile(re.escape(
        page.locator("#preview-image").get_attribute("src"))))
    after = preview_svg(page)
    assert 'fill="#1d3fdc"' in after and after != before
    expect(page.locator("#verdict")).to_contain_text("Scans")
    expect(page.locator("#unsaved")).to_contain_text("unsaved style changes")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved. The code still scans.")).to_be_visible()
    expect(page.locator("#unsaved")).not_to_contain_text("unsaved")

    with page.expect_download() as info:
        page.get_by_role("button", name="SVG").click()
    download = info.value
    assert download.suggested_filename == "window-poster.svg"
    path = tmp_path / "code.svg"
    download.save_as(path)
    svg = path.read_text()
    assert 'fill="#1d3fdc"' in svg
    assert decode_svg(svg) == [scan_url]


def test_unscannable_colours_are_flagged_live_and_refused_on_save(page):
    sign_up(page)
    page.goto("/codes/new")
    page.get_by_label("Target web address").fill("https://example.com")
    page.get_by_label("Module colour", exact=True).fill("#dddddd")
    expect(page.locator("#verdict")).to_contain_text("too close to the background")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_role("alert")).to_contain_text("too close to the background")
    page.get_by_label("Module colour", exact=True).fill("#222222")
    expect(page.locator("#verdict")).to_contain_text("Scans")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Your code is saved")).to_be_visible()


def test_edit_the_target_then_delete_the_code(page):
    sign_up(page)
    page.goto("/codes/new")
    page.get_by_label("Title").fill("Menu")
    page.get_by_label("Target web address").fill("https://example.com/spring")
    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Your code is saved")).to_be_visible()

    page.get_by_label("Target web address").fill("https://example.com/autumn")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("Target web address")).to_have_value("https://example.com/autumn")

    page.get_by_role("link", name="Codes", exact=True).click()
    expect(page.locator(".code-card")).to_have_count(1)
    expect(page.locator(".code-card img")).to_be_visible()  # loaded once it came into view
    expect(page.locator(".code-card")).to_contain_text("✓ Scannable")
    page.locator(".code-card").get_by_role("link", name="Menu", exact=True).click()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete code").click()
    expect(page.get_by_text("is deleted")).to_be_visible()
    expect(page.get_by_text("No codes yet")).to_be_visible()
