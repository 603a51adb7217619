"""/admin/users: the list (search, keyset pages), disabling and enabling, and what a
disabled account can no longer do (sessions, API keys, log-in by password or mailed link)."""
import re

import pytest
from sqlalchemy import select

from tests.factories import api_key_headers, make_code, make_user
from tests.support.auth import PASSWORD, AuthActions, csrf_token
from tests.support.two_factor import enable, password_step, send_code, totp_code
from webapp.extensions import db
from webapp.models import User, UserSession
from webapp.services.accounts import admin_users, password_reset

ROOT = "root@example.com"
BOB = "bob@example.com"


@pytest.fixture
def admin(app, client):
    """The client, logged in as an instance administrator."""
    with app.app_context():
        make_user(ROOT, password=PASSWORD, is_admin=True)
        db.session.commit()
    assert AuthActions(client).login(ROOT).status_code == 302
    return client


@pytest.fixture
def bob(app):
    """(another browser logged in as Bob, his user id, his API key's headers)."""
    with app.app_context():
        user = make_user(BOB, password=PASSWORD)
        headers = api_key_headers(user)
        db.session.commit()
        user_id = user.id
    browser = app.test_client()
    assert AuthActions(browser).login(BOB).status_code == 302
    return browser, user_id, headers


def post(client, path, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/admin/users/"), **data})


def emails_on(html):
    return re.findall(r'<tr id="user-\d+">\s*<td[^>]*>([^<]+)</td>', html)


def older_link(html):
    match = re.search(r'href="(/admin/users/\?[^"]*before=\d+[^"]*)" rel="next"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def test_the_list_pages_through_every_user_newest_first_without_repeats(app, admin):
    with app.app_context():
        for n in range(120):
            make_user(f"user{n:03}@example.com")
        db.session.commit()
    seen, path, pages = [], "/admin/users/", 0
    while path:
        html = admin.get(path).get_data(as_text=True)
        found = emails_on(html)
        assert len(found) <= admin_users.PAGE_SIZE
        seen += found
        path, pages = older_link(html), pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 121
    assert seen[0] == "user119@example.com" and seen[-1] == ROOT


def test_the_list_shows_admin_status_and_workspaces(app, admin, bob):
    html = admin.get("/admin/users/").get_data(as_text=True)
    row = re.search(r'<tr id="user-%d">(.*?)</tr>' % bob[1], html, re.S).group(1)
    assert BOB in row and '<td data-label="Administrator">no</td>' in row and "active" in row
    assert '<td data-label="Workspaces">1</td>' in row
    assert "Disable bob@example.com" in row
    assert 'href="/admin/users/"' in html  # the nav link


def test_search_is_a_literal_part_of_the_address(app, admin):
    with app.app_context():
        for email in ("per%cent@example.com", "percent@example.com", "under_score@example.com",
                      "underxscore@example.com"):
            make_user(email)
        db.session.commit()
    assert emails_on(admin.get("/admin/users/?q=%25").get_data(as_text=True)) == ["per%cent@example.com"]
    assert emails_on(admin.get("/admin/users/?q=R_S").get_data(as_text=True)) == ["under_score@example.com"]
    assert emails_on(admin.get("/admin/users/?q=PERCENT").get_data(as_text=True)) == ["percent@example.com"]
    html = admin.get("/admin/users/?q=nobody%00").get_data(as_text=True)
    assert emails_on(html) == [] and "No account" in html
    assert admin.get("/admin/users/?before=junk").status_code == 200


def test_disabling_ends_sessions_keys_and_log_in_at_once(app, admin, bob):
    browser, bob_id, headers = bob
    assert browser.get("/codes/").status_code == 200
    assert browser.get("/api/me", headers=headers).status_code == 200

    response = post(admin, f"/admin/users/{bob_id}/disable")
    assert response.status_code == 302
    assert "is disabled; 1 browser session" in admin.get("/admin/users/").get_data(as_text=True)

    response = browser.get("/codes/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert browser.get("/api/me", headers=headers).status_code == 401
    with app.app_context():
        assert db.session.scalars(select(UserSession).where(UserSession.user_id == bob_id)).all() == []

    response = AuthActions(browser).login(BOB)
    assert response.status_code == 403
    assert "This account is disabled" in response.get_data(as_text=True)
    # A wrong password says nothing about the account.
    wrong = AuthActions(browser).login(BOB, "not the password at all")
    assert wrong.status_code == 401 and "disabled" not in wrong.get_data(as_text=True)

    assert post(admin, f"/admin/users/{bob_id}/enable").status_code == 302
    assert AuthActions(browser).login(BOB).status_code == 302
    assert browser.get("/codes/").status_code == 200
    assert browser.get("/api/me", headers=headers).status_code == 200


def test_a_password_reset_link_does_not_let_a_disabled_user_in(app, admin, bob):
    browser, bob_id, _ = bob
    with app.app_context():
        path = f"/reset-password/{password_reset.reset_token(db.session.get(User, bob_id))}"
    post(admin, f"/admin/users/{bob_id}/disable")
    fresh = app.test_client()
    new_password = "a brand new passphrase"
    response = fresh.post(path, data={"password": new_password, "confirm": new_password,
                                      "csrf_token": csrf_token(fresh, path)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert fresh.get("/codes/").status_code == 302
    response = AuthActions(fresh).login(BOB, new_password)
    assert response.status_code == 403 and "This account is disabled" in response.get_data(as_text=True)


def test_a_sign_up_link_for_a_disabled_address_logs_nobody_in(app, admin, bob):
    browser, bob_id, _ = bob
    post(admin, f"/admin/users/{bob_id}/disable")
    fresh = app.test_client()
    AuthActions(fresh).signup(BOB)
    assert fresh.get("/codes/").status_code == 302


def test_disabled_between_password_and_code_the_code_does_not_log_in(app, admin, bob):
    browser, bob_id, _ = bob
    secret, _ = enable(browser)
    AuthActions(browser).logout()
    response = password_step(browser, BOB)
    assert response.headers["Location"] == "/login/two-factor"
    post(admin, f"/admin/users/{bob_id}/disable")
    response = send_code(browser, totp_code(secret, offset=1))  # the set-up used this step
    assert response.status_code == 403 and "This account is disabled" in response.get_data(as_text=True)
    assert browser.get("/codes/").status_code == 302


def test_an_administrator_cannot_disable_themself(app, admin):
    with app.app_context():
        root_id = db.session.scalar(select(User.id).where(User.email == ROOT))
    response = post(admin, f"/admin/users/{root_id}/disable")
    assert response.status_code == 422
    assert "cannot disable your own account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, root_id).disabled_at is None
    assert admin.get("/admin/users/").status_code == 200


def test_an_unknown_user_is_404(admin):
    assert post(admin, "/admin/users/99999/disable").status_code == 404


def test_others_are_refused(app, client, bob):
    browser, bob_id, _ = bob
    assert client.get("/admin/users/").status_code == 302  # not logged in: the log-in page
    assert browser.get("/admin/users/").status_code == 403
    token = csrf_token(browser, "/codes/")
    assert browser.post(f"/admin/users/{bob_id}/enable", data={"csrf_token": token}).status_code == 403


def test_a_form_without_csrf_is_refused(app, admin, bob):
    assert admin.post(f"/admin/users/{bob[1]}/disable").status_code == 400
    with app.app_context():
        assert db.session.get(User, bob[1]).disabled_at is None


def test_an_administrator_gets_no_access_to_others_workspaces(app, admin, bob):
    with app.app_context():
        code = make_code(db.session.get(User, bob[1]), slug="bobs")
        code_id = code.id
    assert admin.get(f"/codes/{code_id}").status_code == 404
    assert bob[0].get(f"/codes/{code_id}").status_code == 200
    with app.app_context():
        headers = api_key_headers(db.session.scalar(select(User).where(User.email == ROOT)))
        db.session.commit()
    assert admin.get(f"/api/qr-codes/{code_id}", headers=headers).status_code == 404
    assert admin.get(f"/api/qr-codes/{code_id}", headers=bob[2]).status_code == 200


def test_the_command_line_disables_and_enables(app, runner, bob):
    browser, bob_id, headers = bob
    result = runner.invoke(args=["users", "disable", BOB])
    assert result.exit_code == 0 and "Disabled bob@example.com; 1 browser session" in result.output
    assert browser.get("/api/me", headers=headers).status_code == 401
    assert browser.get("/codes/").status_code == 302
    result = runner.invoke(args=["users", "enable", BOB])
    assert result.exit_code == 0
    assert browser.get("/api/me", headers=headers).status_code == 200
    result = runner.invoke(args=["users", "disable", "ghost@example.com"])
    assert result.exit_code != 0 and "No user" in result.output
