"""In Chromium: a long list scrolls to its end, previews load only in view, the dashboard is light."""
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import request, request_finished
from playwright.sync_api import expect

from scripts.copy_assets import MIN_BYTES
from tests.factories import make_api_user, seed_codes
from tests.support.browser import log_in

pytestmark = pytest.mark.browser
BUDGET = 60 * 1024  # JavaScript and CSS of the dashboard, compressed, as transferred
IN_VIEW = """strict => [...document.querySelectorAll('.code-thumb')].filter(el => {
  const r = el.getBoundingClientRect();
  return strict ? r.top < innerHeight && r.bottom > 0 : r.top <= innerHeight && r.bottom >= 0;
}).length"""
ALL_LOADED = """() => { const imgs = [...document.querySelectorAll('.code-thumb img')];
  return imgs.length > 0 && imgs.every(i => i.complete); }"""


def seeded_user(app, count):
    with app.app_context():
        user, _ = make_api_user("scroll@example.com")
        return seed_codes(user.id, count)


def card_ids(page):
    return page.eval_on_selector_all(".code-card", "cards => cards.map(c => c.dataset.codeId)")


@pytest.mark.slow
def test_scrolling_a_list_of_500_codes_to_the_end_shows_every_one(app, page):
    ids = seeded_user(app, 500)
    log_in(page, "scroll@example.com")
    page.goto("/codes/")
    cards = page.locator(".code-card")
    expect(cards).to_have_count(48)
    while page.locator(".load-more").count():
        before = cards.count()
        page.locator(".load-more").scroll_into_view_if_needed()
        page.wait_for_function("n => document.querySelectorAll('.code-card').length > n", arg=before)
    assert card_ids(page) == ids[::-1]
    assert page.locator(".load-more").count() == 0


def test_only_the_previews_in_view_are_requested(app, page):
    seeded_user(app, 100)
    statuses = []

    def record(sender, response, **extra):
        if request.path.endswith("/image.svg"):
            statuses.append((request.full_path, response.status_code))

    request_finished.connect(record, app)
    log_in(page, "scroll@example.com")
    page.wait_for_load_state("networkidle")  # the dashboard's own previews are done
    previews = []
    page.on("request", lambda r: previews.append(r.url) if "/image.svg" in r.url else None)
    page.goto("/codes/")
    page.wait_for_load_state("networkidle")
    strict, loose = page.evaluate(IN_VIEW, True), page.evaluate(IN_VIEW, False)
    assert 0 < strict <= len(previews) <= loose < 48, (len(previews), strict, loose)
    shown = page.eval_on_selector_all(".code-thumb img", "imgs => imgs.map(i => i.src)")
    assert sorted(shown) == sorted(previews)  # each requested preview is a card in view

    page.mouse.wheel(0, 700)
    page.wait_for_function("n => document.querySelectorAll('.code-thumb img').length > n",
                           arg=len(previews))
    page.wait_for_function(ALL_LOADED)
    scrolled = len(previews)
    assert len(set(previews)) == scrolled < 48

    # The image endpoint is cacheable: coming back, the browser revalidates what it has (304).
    loaded = {path for path, _ in statuses}
    statuses.clear()
    page.reload()
    page.wait_for_function(ALL_LOADED)
    again = [status for path, status in statuses if path in loaded]
    assert again and set(again) == {304}, statuses


def test_the_dashboard_with_50_codes_ships_at_most_60_kb_of_js_and_css(app, page):
    seeded_user(app, 50)
    log_in(page, "scroll@example.com")
    cdp = page.context.new_cdp_session(page)
    seen, sizes = {}, {}
    cdp.on("Network.responseReceived", lambda e: seen.__setitem__(e["requestId"], e))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # as on a first visit
    page.goto("/")
    page.wait_for_load_state("networkidle")
    expect(page.locator(".code-card")).to_have_count(50)
    assets = {rid: e for rid, e in seen.items() if e["type"] in ("Script", "Stylesheet")}
    scripts = sorted(e["response"]["url"].split("/static/")[1].split("?")[0]
                     for e in assets.values() if e["type"] == "Script")
    # no QR library, no framework: our forms, the folding menu, the lazy previews, and htmx
    assert scripts == ["js/forms.js", "js/nav.js", "js/previews.js", "vendor/htmx.min.js"]
    for rid, event in assets.items():
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        if int(headers.get("content-length", MIN_BYTES)) < MIN_BYTES:
            continue  # too small to be worth compressing (scripts/copy_assets.py)
        assert headers.get("content-encoding") in ("br", "gzip"), event["response"]["url"]
    transferred = sum(sizes[rid] for rid in assets)
    assert transferred <= BUDGET, f"{transferred} bytes of JS and CSS"


def test_typing_a_search_narrows_the_list_in_place(app, page):
    seeded_user(app, 60)  # titles "Code 0" … "Code 59"
    log_in(page, "scroll@example.com")
    page.goto("/codes/")
    expect(page.locator(".code-card")).to_have_count(48)
    page.get_by_label("Search title, slug or target").fill("code 5")
    expect(page.locator(".code-card")).to_have_count(11)  # Code 5 and Code 50 … 59
    # The address shows the search (and only what is set): reload it or share it.
    assert parse_qs(urlsplit(page.url).query) == {"q": ["code 5"]}
    page.get_by_label("Status").select_option("false")
    expect(page.get_by_text("No codes match")).to_be_visible()
    page.reload()
    expect(page.get_by_text("No codes match")).to_be_visible()
    assert page.get_by_label("Search title, slug or target").input_value() == "code 5"
