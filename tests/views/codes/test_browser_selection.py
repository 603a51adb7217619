"""In Chromium: select 3 codes from a search and pause, tag and export them; duplicate a code."""
import csv
import io

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.factories import make_api_user, make_code
from tests.support.browser import log_in
from webapp.extensions import db
from webapp.models import QrCode
from webapp.services.codes.organise import tags_of

pytestmark = pytest.mark.browser


def codes_by_title(app):
    with app.app_context():
        codes = db.session.scalars(select(QrCode)).all()
        tags = tags_of(code.id for code in codes)
        return {code.title: (code.id, code.active, tags[code.id]) for code in codes}


def check_three(page, ids):
    for code_id in ids:
        page.locator(f'.code-card[data-code-id="{code_id}"] .code-select').check()


def test_select_three_from_a_search_pause_tag_export_then_duplicate(app, page, run_jobs, tmp_path):
    with app.app_context():
        user, _ = make_api_user("ada@example.com")
        for n in range(4):
            make_code(user, f"shop-{n}", title=f"Shop window {n}", target_url=f"https://shop.example/{n}")
        make_code(user, "menu", title="Lunch menu")
    log_in(page, "ada@example.com")
    page.goto("/codes/")
    page.get_by_label("Search title, slug or target").fill("window")
    expect(page.locator(".code-card")).to_have_count(4)
    chosen = [codes_by_title(app)[f"Shop window {n}"][0] for n in (0, 1, 2)]

    check_three(page, chosen)
    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.get_by_text("Paused 3 codes.")).to_be_visible()
    assert "q=window" in page.url
    state = codes_by_title(app)
    assert [state[f"Shop window {n}"][1] for n in range(4)] == [False, False, False, True]
    assert state["Lunch menu"][1] is True

    check_three(page, chosen)
    page.get_by_label("Tags to add or remove").fill("launch, spring")
    page.get_by_role("button", name="Add tags").click()
    expect(page.get_by_text("Tagged 3 codes.")).to_be_visible()
    state = codes_by_title(app)
    assert [state[f"Shop window {n}"][2] for n in range(4)] == [["launch", "spring"]] * 3 + [[]]
    card = page.locator(f'.code-card[data-code-id="{chosen[0]}"]')
    expect(card.get_by_role("link", name="#launch")).to_be_visible()

    check_three(page, chosen)
    page.get_by_role("button", name="Export CSV").click()
    page.wait_for_url("**/jobs/")
    run_jobs()
    page.reload()
    with page.expect_download() as download_info:
        page.locator(".job").first.get_by_role("link", name="Download").click()
    path = tmp_path / "selected.csv"
    download_info.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert sorted(row["id"] for row in rows) == sorted(chosen)
    assert {row["tags"] for row in rows} == {"launch,spring"}

    page.goto("/codes/?q=lunch")
    page.locator(".code-card").get_by_role("button", name="Duplicate").click()
    expect(page.get_by_text("Duplicated: this is the copy")).to_be_visible()
    copy_id, active, _ = codes_by_title(app)["Lunch menu (copy)"]
    assert page.url.endswith(f"/codes/{copy_id}") and active is True
