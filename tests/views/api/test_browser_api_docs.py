"""In Chromium: /api/docs draws the API reference from /api/openapi.json with Swagger UI,
under the page's own policy, and no other page loads Swagger UI."""
import pytest
from playwright.sync_api import expect

from tests.support.browser import record_violations

pytestmark = pytest.mark.browser


def test_the_api_reference_lists_the_operations(app, chromium, live_server):
    context = chromium.new_context(base_url=live_server.url)
    violations = record_violations(context)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        assert page.goto("/api/docs").status == 200
        reference = page.locator("#api-reference")
        expect(reference.get_by_text("/api/qr-codes/{code_id}").first).to_be_visible()
        expect(reference.get_by_text("Scanlink API").first).to_be_visible()
        operations = reference.locator(".opblock").count()
        assert operations >= 20
        page.wait_for_timeout(300)
        assert violations == [] and errors == []

        page.goto("/login")
        assert "swagger" not in page.content().lower()
    finally:
        context.close()
