"""On a phone the long tables stack their rows as cards and hide their headings: each cell
then says which column it was, from its `data-label`, shown before it."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support import site_pages
from tests.support.browser import log_in

ROOT = Path(__file__).resolve().parents[2]
STACKED = re.compile(r'<table[^>]*class="[^"]*\b(?:stack|deliveries)\b[^"]*"[^>]*>(.*?)</table>', re.S)

# Each cell, the text shown before it and its column's heading (a blank heading gives none).
LABELS = """() => [...document.querySelectorAll("table.stack, table.deliveries")].flatMap((table) => {
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  return [...table.querySelectorAll("tbody tr")].flatMap((row) => [...row.cells].map((cell, i) => ({
    shown: getComputedStyle(cell, "::before").content, display: getComputedStyle(cell).display,
    heading: cell.closest("table").querySelector("thead th:nth-child(" + (i + 1) + ") .visually-hidden")
      ? "" : headings[i], label: cell.dataset.label || ""})));
})"""


def test_every_cell_of_a_stacked_table_is_labelled_with_its_heading():
    """Templates: a cell of a table that stacks has the heading of its column as data-label
    (the actions column, its heading only for screen readers, has none)."""
    tables = 0
    for path in (ROOT / "templates").rglob("*.html"):
        for table in STACKED.findall(path.read_text(encoding="utf-8")):
            tables += 1
            head, body = table.split("</thead>", 1)
            headings = [None if "visually-hidden" in th else re.sub(r"<[^>]+>", "", th).strip()
                        for th in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
            cells = re.findall(r"<td\b[^>]*>", body)
            assert len(cells) % len(headings) == 0, path
            for n, cell in enumerate(cells):
                heading = headings[n % len(headings)]
                label = re.search(r'data-label="([^"]*)"', cell)
                assert (label.group(1) if label else None) == (heading or None), (path, cell)
    assert tables >= 9


@pytest.mark.browser
@pytest.mark.parametrize("width", [390])
def test_a_stacked_cell_shows_its_heading_on_a_phone(app, page, width):
    site = site_pages.seed(app)
    log_in(page)
    page.set_viewport_size({"width": width, "height": 844})
    for path in ("/workspace", "/audit-log/", f"/webhooks/{site.endpoint_id}", "/webhooks/",
                 "/account/"):
        page.goto(path)
        cells = page.evaluate(LABELS)
        assert cells, path
        for cell in cells:
            assert cell["display"] == "block", (path, cell)  # stacked
            assert cell["label"] == cell["heading"], (path, cell)
            assert cell["shown"] == (f'"{cell["heading"]}"' if cell["heading"] else "none"), (path, cell)
    page.goto("/workspace")
    member = page.locator("#members tbody tr").first
    expect(member.locator("td").first).to_contain_text("ada@example.com")
    email = member.locator("td").first.bounding_box()
    role = member.locator("td").nth(1).bounding_box()
    assert role["y"] >= email["y"] + email["height"] - 1  # one above the other, not side by side


@pytest.mark.browser
def test_wide_screens_keep_the_headings_in_the_table_head(app, page):
    site_pages.seed(app)
    log_in(page)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/workspace")
    expect(page.locator("#members thead")).to_be_visible()
    assert page.evaluate(LABELS)[0]["shown"] == "none"
