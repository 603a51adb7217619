"""In Chromium: no page breaks its Content-Security-Policy, and htmx works under it.

Every document of the walk (tests/support/site_pages.py) is opened as a visitor, an
owner and an administrator, with a listener, added before any script of the page runs,
that reports each `securitypolicyviolation` event; console errors and uncaught
exceptions are recorded too. Then the htmx parts are worked: the editor's live preview,
a preset applied, a form saved, a delete confirmed, a CSV upload that empties its form.
On PostgreSQL, the pages of an outage (the scan path's static one, and the site's) too.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_code, make_user
from tests.support import site_pages
from tests.support.auth import PASSWORD
from tests.support.browser import log_in, record_violations
from tests.support.faults import FAST_FAILURE, database_proxy, through_database_proxy
from webapp.extensions import db

pytestmark = pytest.mark.browser

# The browser's own line about an error page it was sent to (a 404 page is still a page).
OWN_STATUS = re.compile(r"^Failed to load resource: the server responded with a status of [45]\d\d")
# rq-dashboard's template links a /static/favicon.ico that Scanlink does not have.
DASHBOARD_FAVICON = "/static/favicon.ico"
# htmx logs a request it gave up as an error: a preview replaced by a newer one
# (hx-sync "this:replace"), or one cut short by leaving the page. Its afterRequest line
# comes with every failure; a real one also logs htmx:sendError, :timeout or :responseError.
HTMX_ABORT = re.compile(r"^htmx:(sendAbort|afterRequest), ")


class Watched:
    """A browser context whose pages report policy violations, console errors and
    uncaught exceptions."""

    def __init__(self, chromium, base_url):
        self.errors = []
        self.context = chromium.new_context(base_url=base_url)
        self.context.set_default_timeout(15000)
        self.violations = record_violations(self.context)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"{self.page.url}: {error}"))

    def _console(self, message):
        if message.type != "error":
            return
        if HTMX_ABORT.match(message.text):
            return
        source = message.location.get("url", "")
        if OWN_STATUS.match(message.text) and (
                source == self.page.url
                or "/admin/rq/" in self.page.url and source.endswith(DASHBOARD_FAVICON)):
            return
        self.errors.append(f"{self.page.url}: {message.text} ({message.location.get('url')})")

    def open_every_document(self, urls):
        """Opens each URL that answers with a document; returns {url: status} of those."""
        opened = {}
        for url in urls:
            answer = self.page.request.get(url, max_redirects=0)
            if site_pages.is_document(answer.headers.get("content-type", ""), answer.body()):
                opened[url] = self.page.goto(url).status
            answer.dispose()
        self.page.wait_for_timeout(300)  # reports still on their way
        return opened

    def close(self):
        # Away from the page first, so that no poll of a job card is still on its way to a
        # server that is being stopped (its database connection would outlive the test).
        self.page.goto("about:blank")
        self.page.wait_for_timeout(300)
        self.context.close()


@pytest.fixture
def browser(chromium, live_server):
    watched = Watched(chromium, live_server.url)
    yield watched
    watched.close()


@pytest.mark.parametrize("who", ["visitor", "owner", "admin"])
def test_no_page_breaks_the_policy(app, browser, who):
    site = site_pages.seed(app, "grace@example.com" if who == "admin" else "ada@example.com",
                           is_admin=who == "admin")
    if who != "visitor":
        log_in(browser.page, site.email)
    opened = browser.open_every_document(site_pages.urls(app, site))
    assert browser.violations == []
    assert browser.errors == []
    assert opened["/login" if who == "visitor" else "/"] == 200
    assert opened["/no-such-page"] == 404 and opened[f"/s/{site.paused_slug}"] == 410
    assert opened[f"/qr/{site.logo_slug}.svg"] == 200
    if who != "visitor":
        assert opened[f"/codes/{site.code_id}/analytics"] == 200
        assert opened[f"/webhooks/{site.endpoint_id}"] == 200
    if who == "admin":
        assert opened["/admin/status/"] == 200 and opened["/admin/rq/0/view/workers"] == 200
        assert opened["/admin/users/"] == 200


def preview_src(page):
    return page.locator("#preview-image").get_attribute("src")


def test_htmx_works_under_the_policy(app, browser, tmp_path):
    site = site_pages.seed(app)
    page = browser.page
    log_in(page, site.email)
    previews = []
    page.on("request", lambda request: previews.append(request.url)
            if request.url.endswith("/codes/preview") else None)

    # The live preview: an htmx POST with the CSRF header from hx-headers.
    page.goto(f"/codes/{site.code_id}")
    before = preview_src(page)
    page.get_by_label("Module colour", exact=True).fill("#7a1d1d")
    expect(page.locator("#preview-image")).not_to_have_attribute("src", before)
    expect(page.locator("#unsaved")).to_contain_text("unsaved style changes")

    # Typing a preset's name, and leaving the field, asks for no preview (data-no-preview).
    page.wait_for_timeout(700)
    asked = len(previews)
    page.get_by_label("Preset name").fill("Deep red")
    page.get_by_label("Preset name").blur()
    page.wait_for_timeout(700)
    assert len(previews) == asked
    page.get_by_role("button", name="Save style").click()
    expect(page.locator("#presets").get_by_role("link", name="Deep red")).to_be_visible()

    # A preset applied: the style fields swap in, then the preview follows (data-then-change).
    page.locator("#presets").get_by_role("link", name="Brand blue").click()
    expect(page.get_by_label("Module colour", exact=True)).to_have_value("#1d3fdc")
    expect(page.locator("#preview-image")).to_have_attribute("src", re.compile("^data:image/svg"))
    page.wait_for_function(
        "() => atob(document.querySelector('#preview-image').src.split(',')[1]).includes('#1d3fdc')")

    # The logo size shows beside its slider (data-shows-in).
    page.get_by_text("Logo and frame").click()
    page.get_by_label("Logo in the centre").select_option(index=1)
    page.locator("input[name=logo_size]").fill("22")
    expect(page.locator("#logo-size-out")).to_have_text("22")

    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    # Delete asks first (data-confirm): no keeps the code, yes deletes it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete code").click()
    expect(page.get_by_role("button", name="Delete code")).to_be_visible()
    assert page.url.endswith(f"/codes/{site.code_id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete code").click()
    expect(page).to_have_url(re.compile(r"/codes/$"))

    # A CSV upload answered 202 empties its form (data-reset-on).
    upload = tmp_path / "codes.csv"
    upload.write_text("target_url,kind,title\nhttps://shop.example.com/a,dynamic,A\n")
    page.goto("/codes/bulk/")
    create = page.locator("#bulk-create")
    create.get_by_label("CSV file").set_input_files(upload)
    create.get_by_role("button", name="Upload and create").click()
    expect(page.locator("#bulk-jobs .job").first).to_be_visible()
    expect(create.get_by_label("CSV file")).to_have_value("")

    browser.page.wait_for_timeout(300)
    assert browser.violations == []
    assert browser.errors == []


def test_share_bars_are_as_wide_as_their_share(app, browser):
    site = site_pages.seed(app)
    log_in(browser.page, site.email)
    page = browser.page
    page.goto(f"/codes/{site.code_id}/analytics")
    # A row that is not the whole breakdown (the seeded scans come from several devices).
    row = page.locator("[data-breakdown] tbody tr").filter(has_not_text="100").first
    share = float(row.locator("td").last.inner_text().rstrip("%"))
    cell = row.locator("th").bounding_box()
    bar = row.locator(".share-bar rect").bounding_box()
    assert 0 < share < 100
    assert bar["width"] == pytest.approx(cell["width"] * share / 100, rel=0.05)
    assert 0 < bar["height"] < cell["height"]
    assert browser.violations == [] and browser.errors == []


@pytest.fixture
def database_cut(database, db_kind):
    if db_kind != "postgresql":
        pytest.skip("cutting the database's connections needs PostgreSQL")
    proxy = database_proxy(database)
    yield proxy
    proxy.stop()


@pytest.fixture
def through_the_cut(database_cut, database):
    return through_database_proxy(database, database_cut)


@pytest.mark.settings(FAST_FAILURE, "through_the_cut")
def test_the_outage_pages_keep_to_their_policy(app, browser, database_cut):
    """The scan path's static 503 allows its one style block by hash; the site's 503 page
    takes its styles from notice.css, which is served without the database."""
    with app.app_context():
        slug = make_code(make_user("ada@example.com", password=PASSWORD)).slug
        db.session.remove()
    page = browser.page
    log_in(page)
    page.goto("/account/")  # no code previews still loading when the database goes
    page.wait_for_load_state("networkidle")
    database_cut.cut()

    assert page.goto(f"/s/{slug}").status == 503
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "512px"  # 32rem
    assert page.goto("/").status == 503
    expect(page.get_by_role("heading", name="Temporarily unavailable")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.status')).fontSize") == "48px"
    page.wait_for_timeout(300)
    assert browser.violations == []
    assert browser.errors == []
