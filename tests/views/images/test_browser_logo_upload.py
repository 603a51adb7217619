"""In Chromium: a logo uploaded inside the code editor, optimised by a real RQ worker,
chosen by itself once ready and drawn in the preview; the saved code decodes. And an image
deleted from the images page, refused while a code uses it."""
import base64
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support import images as samples
from tests.support.browser import sign_up
from tests.support.qrcodes import decode_png, decode_svg
from webapp.extensions import db
from webapp.models import ImageAsset, QrCode

pytestmark = pytest.mark.browser


def preview_svg(page):
    src = page.locator("#preview-image").get_attribute("src")
    return base64.b64decode(src.split(",", 1)[1]).decode()


def preview_has_logo(page):
    page.wait_for_function("""() => {
        const img = document.querySelector('#preview-image');
        return img && atob(img.src.split(',')[1]).includes('<image ');
    }""")


def test_a_logo_uploaded_in_the_editor_is_previewed_saved_and_the_code_decodes(app, page, run_jobs):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_up(page)
    page.goto("/codes/new")
    page.get_by_label("Title").fill("Logo poster")
    page.get_by_label("Target web address").fill("https://example.com/logo")
    page.get_by_text("Logo and frame").click()
    expect(page.locator("#preview-image")).to_be_visible()
    assert "<image " not in preview_svg(page)

    page.get_by_label("Or upload a logo").set_input_files(files=[{
        "name": "coffee.png", "mimeType": "image/png", "buffer": samples.photo_bytes("coffee.png")}])
    expect(page.locator("#logo-status")).to_contain_text("coffee.png: uploaded, waiting for a worker")
    assert page.locator("#logo").input_value() == ""
    assert run_jobs() == 1
    expect(page.locator("#logo-status")).to_contain_text("coffee.png is ready and chosen as the logo")
    with app.app_context():
        logo_id = db.session.scalars(select(ImageAsset.id)).one()
    expect(page.locator("#logo")).to_have_value(logo_id)
    expect(page.locator("#logo option:checked")).to_have_text(re.compile(r"^coffee\.png \(\d+×\d+\)$"))
    preview_has_logo(page)
    expect(page.locator("#verdict")).to_contain_text("Scans")

    page.get_by_role("button", name="Create code").click()
    expect(page.get_by_text("Your code is saved, and it scans.")).to_be_visible()
    with app.app_context():
        code = db.session.scalars(select(QrCode)).one()
        assert code.style["logo"] == logo_id
    scan_url = f"http://127.0.0.1:5000/s/{code.slug}"
    svg = page.request.get(f"/api/qr-codes/{code.id}/image.svg")
    assert "<image " in svg.text() and decode_svg(svg.body()) == [scan_url]
    png = page.request.get(f"/api/qr-codes/{code.id}/image.png?scale=12")
    assert decode_png(png.body()) == [scan_url]
    assert errors == []

    # On the images page: refused while the code uses it, named; gone once it does not.
    page.goto("/images/")
    card = page.locator(".image-card", has_text="coffee.png")
    expect(card.get_by_role("img", name="coffee.png")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete coffee.png").click()
    expect(page.locator("#delete-error")).to_contain_text(f"1 code uses it as the logo: “Logo poster” ({code.slug})")
    expect(card).to_be_visible()
    page.goto(f"/codes/{code.id}")  # "Logo and frame" is open: the code has a logo
    page.locator("#logo").select_option("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    page.goto("/images/")
    page.locator(".image-card", has_text="coffee.png").get_by_role("button", name="Delete coffee.png").click()
    expect(page.get_by_text("No images yet")).to_be_visible()
