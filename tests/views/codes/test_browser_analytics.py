"""The analytics page in Chromium: the chart is drawn and the range switches without a reload."""
import os
import random
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.factories import make_code, make_user
from tests.support.browser import log_in
from webapp.extensions import db
from webapp.services.scans import recording

pytestmark = pytest.mark.browser

AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
    "Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 "
    "Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
]


def test_analytics_page_draws_the_chart_and_switches_range(app, auth, page):
    auth.signup(email="grace@example.com")
    rng = random.Random(4)
    now = datetime.now(timezone.utc)
    with app.app_context():
        code = make_code(make_user("grace@example.com"), title="Spring window", slug="spring")
        code_id = code.id
        total_week = 0
        for days_ago in range(40):
            for _ in range(rng.randint(0, 6) + (6 if days_ago < 10 else 0)):
                agent = rng.choice(AGENTS)
                at = now - timedelta(days=days_ago, minutes=rng.randint(0, 600))
                # "7 days" is today and the six UTC days before it
                total_week += (now.date() - at.date()).days < 7 and "Googlebot" not in agent
                recording.record_scan(code_id, user_agent=agent, ip=f"192.0.2.{rng.randint(1, 40)}",
                                  country=rng.choice(["FR", "DE", "US", ""]),
                                  referrer=rng.choice(["", "", "https://instagram.com/x"]), at=at)
        db.session.commit()

    log_in(page, "grace@example.com")
    page.goto(f"/codes/{code_id}/analytics")
    expect(page.get_by_role("heading", name="Analytics: Spring window")).to_be_visible()
    expect(page.locator("svg.day-chart rect.people").first).to_be_visible()
    assert page.locator("svg.day-chart g.day").count() == 30
    if os.environ.get("SCANLINK_SCREENSHOTS"):
        page.set_viewport_size({"width": 1200, "height": 1400})
        page.screenshot(path=os.path.join(os.environ["SCANLINK_SCREENSHOTS"], "analytics.png"), full_page=True)

    page.get_by_role("button", name="7 days").click()
    expect(page).to_have_url(f"/codes/{code_id}/analytics?days=7")
    expect(page.locator("svg.day-chart g.day")).to_have_count(7)
    expect(page.locator("[data-stat=total]")).to_have_text(str(total_week))
    expect(page.get_by_role("heading", name="Analytics: Spring window")).to_have_count(1)

    page.get_by_label("From", exact=True).fill((now - timedelta(days=2)).date().isoformat())
    page.get_by_label("To", exact=True).fill(now.date().isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page.locator("svg.day-chart g.day")).to_have_count(3)
