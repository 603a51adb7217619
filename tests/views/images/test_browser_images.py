"""The images page in Chromium: upload, watch the status turn ready, see a refusal explained."""
import pytest
from playwright.sync_api import expect

from tests.support import browser
from tests.support import images as samples

pytestmark = pytest.mark.browser


def log_in(page, auth):
    auth.signup(email="grace@example.com")
    browser.log_in(page, "grace@example.com")


def test_uploaded_image_turns_ready_without_a_reload(page, auth, run_jobs):
    log_in(page, auth)
    page.get_by_role("link", name="Images").click()
    expect(page.get_by_role("heading", name="Images", exact=True)).to_be_visible()
    page.get_by_label("Image file").set_input_files(files=[{
        "name": "coffee.png", "mimeType": "image/png",
        "buffer": samples.photo_bytes("coffee.png")}])
    page.get_by_text("Options").click()
    page.get_by_label("Largest width (px)").fill("300")
    page.get_by_role("button", name="Upload").click()

    card = page.locator(".image-card", has_text="coffee.png")
    expect(card.get_by_role("status")).to_have_text("Waiting for a worker…")
    assert run_jobs() == 1
    expect(card.get_by_role("status")).to_have_text("Ready")  # the HTMX poll picked it up
    expect(card).to_contain_text("600×400 PNG")
    expect(card).to_contain_text("300×200 WEBP")
    image = card.get_by_role("img", name="coffee.png")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 300
    page.reload()  # and it is there as a whole page too
    expect(page.locator(".image-card", has_text="coffee.png").get_by_role("status")).to_have_text("Ready")


def test_svg_upload_is_refused_with_a_message(page, auth):
    log_in(page, auth)
    page.goto("/images/")
    page.get_by_label("Image file").set_input_files(files=[{
        "name": "logo.svg", "mimeType": "image/svg+xml", "buffer": samples.SVG}])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("SVG files are not accepted")
    expect(page.get_by_text("No images yet")).to_be_visible()
