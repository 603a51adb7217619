"""The webhook pages in real Chromium: add an endpoint, test it, filter the log, redeliver."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up
from tests.support.receiver import Receiver
from tests.support.webhooks import WEBHOOK_SETTINGS
from workers.webhooks import drain_deliveries

pytestmark = [pytest.mark.browser, pytest.mark.settings(WEBHOOK_SETTINGS)]


def test_add_an_endpoint_send_a_test_event_filter_and_redeliver(page):
    with Receiver() as receiver:
        sign_up(page)
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks")).to_be_visible()

        page.get_by_label("Endpoint URL").fill("http://10.0.0.7/hook")
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("is a private network address")).to_be_visible()

        page.get_by_label("Endpoint URL").fill(receiver.url())
        page.get_by_label("A code is created").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_role("textbox", name="Signing secret")).to_be_visible()
        assert page.get_by_role("textbox", name="Signing secret").input_value().startswith("whsec_")

        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        drain_deliveries()
        assert receiver.requests[0].json()["type"] == "webhook.test"

        page.reload()
        page.get_by_role("link", name="Failed").click()  # htmx swaps the log only
        expect(page.get_by_text("No failed deliveries.")).to_be_visible()
        expect(page).to_have_url(re.compile(r"status=failed"))
        page.get_by_role("link", name="Delivered").click()
        row = page.locator("table.deliveries tbody tr")
        expect(row).to_have_count(1)
        expect(row.get_by_text("webhook.test")).to_be_visible()
        expect(page).to_have_url(re.compile(r"status=delivered"))
        page.screenshot(path="/tmp/wt6-webhook-detail.png", full_page=True)

        row.get_by_role("button", name="Redeliver").click()
        expect(page.get_by_text("Queued to be sent again.")).to_be_visible()
        drain_deliveries()
        assert receiver.event_ids()[0] == receiver.event_ids()[1]
