"""In Chromium: every page fits a phone and a laptop, and axe-core finds nothing serious.

Every HTML page of the walk (tests/support/site_pages.py, built from the url_map) is
opened as a visitor, and as the owner (also an administrator, for the admin pages), an
editor and a viewer of the owner's workspace. Each page is looked at 390×844, 360×780
and 1280×800: no horizontal scroll (`scrollWidth <= innerWidth`), no console error, no
failed request (a page's own 4xx answer, a 404 page say, is what was asked for). axe-core
(tests/a11y/package.json; `npm ci --prefix tests/a11y`) runs on each page at both widths;
no serious or critical violation is allowed.

Screenshots of both widths are kept in `test-artifacts/layout/<who>/` at the top of the
checkout (ignored by git), one PNG per page and width, for a person to look through, with
`problems.txt`, what the walk found.
"""
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.factories import make_user
from tests.support import site_pages
from tests.support.auth import PASSWORD
from tests.support.browser import log_in
from tests.support.teams import join
from tests.views.test_browser_content_policy import Watched
from webapp.extensions import db

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "tests/a11y/node_modules/axe-core/axe.min.js"
ARTIFACTS = ROOT / "test-artifacts/layout"
WIDTHS = {"phone": (390, 844), "laptop": (1280, 800)}
NARROWEST = (360, 780)
# rq-dashboard's pages are its own templates (Bootstrap), not Scanlink's layout.
NOT_OURS = re.compile(r"^/admin/rq/")
# What sticks out past the right edge: the outermost such elements, to say what to fix.
STICKING_OUT = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.checkVisibility() && e.getBoundingClientRect().right > innerWidth + 1
               && !(e.parentElement && e.parentElement.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
                   + (e.className && e.className.baseVal === undefined ? "." + e.className.trim().replace(/ +/g, ".") : ""))"""
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id}: ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
}"""


@pytest.fixture(scope="module")
def axe_source():
    # Layout and accessibility do not depend on the database: the SQLite pass walks it all.
    if os.environ.get("SCANLINK_TEST_DB") == "postgresql":
        pytest.skip("the page walk runs on the SQLite pass")
    if not AXE.exists():
        pytest.skip(f"{AXE} is missing: npm ci --prefix tests/a11y")
    return AXE.read_text()


def _seed(app):
    """Ada's site (she is also an administrator); Grace edits and Vic views her workspace."""
    site = site_pages.seed(app, "ada@example.com", is_admin=True)
    with app.app_context():
        for email, role in (("grace@example.com", "editor"), ("vic@example.com", "viewer")):
            join(make_user(email, password=PASSWORD), site.workspace_id, role)
        db.session.commit()
        db.session.remove()
    return site


class Walker(Watched):
    """A watched browser context that also records failed requests."""

    def __init__(self, chromium, base_url):
        super().__init__(chromium, base_url)
        self.page.on("requestfailed", lambda request: self.errors.append(
            f"{self.page.url}: {request.url} failed ({request.failure})"))
        self.page.on("response", self._response)

    def _response(self, response):
        # A page's own status is what the walk asked for; its parts must all load.
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{self.page.url}: {response.url} answered {response.status}")

    def overflow(self):
        return self.page.evaluate("document.documentElement.scrollWidth - innerWidth")


def _html_pages(walker, urls):
    """The URLs that answer with a whole HTML page, each final address once."""
    pages, seen = [], set()
    for url in urls:
        if NOT_OURS.match(url):
            continue
        answer = walker.page.request.get(url)
        body, kind = answer.body(), answer.headers.get("content-type", "")
        final = urlsplit(answer.url)
        answer.dispose()
        if not kind.startswith("text/html") or not site_pages.is_document(kind, body):
            continue
        key = final.path + ("?" + final.query if final.query else "")
        if key not in seen:
            seen.add(key)
            pages.append(url)
    return pages


def _artifacts(who):
    folder = ARTIFACTS / who
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shot_name(url):
    return re.sub(r"[^A-Za-z0-9]+", "_", url).strip("_") or "root"


def walk(walker, who, urls, axe_source):
    problems = []
    page = walker.page
    folder = _artifacts(who)
    for url in _html_pages(walker, urls):
        page.set_viewport_size(dict(zip(("width", "height"), WIDTHS["phone"])))
        page.goto(url)
        page.wait_for_load_state("networkidle")
        for name, (width, height) in [("narrowest", NARROWEST), *WIDTHS.items()]:
            page.set_viewport_size({"width": width, "height": height})
            if (extra := walker.overflow()) > 0:
                culprits = ", ".join(page.evaluate(STICKING_OUT))
                problems.append(f"{who} {url} at {width}px: {extra}px of horizontal scroll ({culprits})")
            if name == "narrowest":
                continue
            page.screenshot(path=str(folder / f"{_shot_name(url)}-{name}.png"), full_page=True)
            # axe is evaluated, not added as a script tag: the policy refuses inline scripts.
            if not page.evaluate("typeof axe !== 'undefined'"):
                page.evaluate(axe_source)
            problems += [f"{who} {url} at {width}px: {v}" for v in page.evaluate(AXE_RUN)]
    page.wait_for_timeout(300)
    problems += walker.errors
    (folder / "problems.txt").write_text("\n".join(problems) + "\n")
    return problems


@pytest.mark.parametrize("who", ["visitor", "owner", "editor", "viewer"])
def test_every_page_fits_and_passes_axe(app, chromium, live_server, axe_source, who):
    site = _seed(app)
    walker = Walker(chromium, live_server.url)
    try:
        if who != "visitor":
            email = {"owner": site.email, "editor": "grace@example.com",
                     "viewer": "vic@example.com"}[who]
            log_in(walker.page, email)
            if who != "owner":
                walker.page.get_by_label("Current workspace").click()
                walker.page.get_by_role("button", name=re.compile(r"^ada ")).click()
        problems = walk(walker, who, site_pages.urls(app, site), axe_source)
    finally:
        walker.close()
    assert walker.violations == []
    assert problems == [], "\n".join(problems)


def test_the_menu_folds_on_phones_and_opens_on_laptops(app, page):
    site_pages.seed(app)
    log_in(page)
    codes = page.get_by_role("link", name="Codes", exact=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/account/")
    expect(codes).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    expect(codes).to_be_visible()
    page.screenshot(path=str(_artifacts("menu") / "open-phone.png"))
    codes.click()
    expect(page).to_have_url(re.compile(r"/codes/$"))

    page.set_viewport_size({"width": 1280, "height": 800})
    expect(codes).to_be_visible()
    expect(page.get_by_text("Menu", exact=True)).to_be_hidden()
    # The row of links stays on the brand's line.
    brand, menu = (page.locator(s).bounding_box() for s in (".brand", ".site-menu"))
    assert menu["y"] < brand["y"] + brand["height"]
