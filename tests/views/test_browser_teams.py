"""In Chromium, two people: the owner invites a colleague as editor, the colleague accepts
and makes a code, the owner sees it and its audit entry, demotes them to viewer, and their edit button and
their API key's right to change codes are gone."""
import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import sign_up
from webapp.extensions import db
from webapp.services.accounts import api_keys, users

pytestmark = pytest.mark.browser


def test_invite_accept_create_then_demote_to_viewer(app, chromium, live_server, page):
    sign_up(page, "ada@example.com")
    page.locator("summary[aria-label='Current workspace']").click()
    page.get_by_role("link", name="New workspace").click()
    page.get_by_label("Name").fill("Agency")
    page.get_by_role("button", name="Create workspace").click()
    expect(page.get_by_role("heading", name="Agency")).to_be_visible()

    page.get_by_label("E-mail").fill("grace@example.com")
    page.get_by_label("Role", exact=True).select_option("editor")
    page.get_by_role("button", name="Invite").click()
    link = page.get_by_role("textbox", name="Invitation link").input_value()
    path = link[link.index("/invitations/"):]

    colleague = chromium.new_context(base_url=live_server.url).new_page()
    colleague.set_default_timeout(15000)
    sign_up(colleague, "grace@example.com")
    colleague.goto(path)
    colleague.get_by_role("button", name="Accept the invitation").click()
    expect(colleague.get_by_text("Welcome to “Agency”.")).to_be_visible()
    colleague.goto("/codes/new")
    colleague.get_by_label("Title").fill("Autumn menu")
    colleague.get_by_label("Target web address").fill("example.com/autumn")
    colleague.get_by_role("button", name="Create code").click()
    expect(colleague.get_by_text("Your code is saved, and it scans.")).to_be_visible()
    code_id = re.search(r"/codes/([0-9a-z]{26})", colleague.url).group(1)
    colleague.get_by_label("Title").fill("Autumn menu (v2)")
    colleague.get_by_role("button", name="Save changes").click()
    expect(colleague.get_by_text("Saved. The code still scans.")).to_be_visible()

    page.goto("/codes/")
    expect(page.get_by_role("link", name="Autumn menu (v2)").first).to_be_visible()
    page.get_by_role("link", name="Audit log").click()
    edit = page.locator("tr", has_text="code.updated").first
    expect(edit).to_contain_text("grace@example.com")
    expect(edit).to_contain_text("via browser")
    expect(edit).to_contain_text("Autumn menu (v2)")

    with app.app_context():
        grace = users.find_user_by_email("grace@example.com")
        grace_id = grace.id
        _, raw = api_keys.create_api_key(grace, "sync", workspace_id=_agency_id(page))
        db.session.commit()
    page.goto("/workspace")
    page.get_by_label("Role of grace@example.com").select_option("viewer")
    page.locator(f"form[action='/workspace/members/{grace_id}'] button").click()
    expect(page.get_by_text("The role is changed.")).to_be_visible()

    colleague.goto(f"/codes/{code_id}")
    expect(colleague.get_by_role("heading", name="Autumn menu (v2)")).to_be_visible()
    expect(colleague.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(colleague.get_by_role("button", name="Delete code")).to_have_count(0)
    response = app.test_client().patch(f"/api/qr-codes/{code_id}", json={"title": "Mine"},
                                       headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    colleague.context.close()


def _agency_id(page):
    """The id in the switcher's form of the workspace named Agency."""
    action = page.locator("form[action$='/switch']", has_text="Agency").first.get_attribute("action")
    return int(re.search(r"/workspaces/(\d+)/switch", action).group(1))
