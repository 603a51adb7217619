"""Sign-up by a mailed link: the form tells nobody which addresses have accounts, and the
password is chosen only by whoever reads the address's mail."""
import re
import time

import pytest
from sqlalchemy import func, select

from tests.support.auth import PASSWORD, csrf_token, user_id
from webapp.extensions import db
from webapp.models import User

pytestmark = pytest.mark.settings("smtp_settings")


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def choose(client, path, password=PASSWORD, confirm=None):
    token = csrf_token(client, path)
    return client.post(path, data={"password": password, "confirm": confirm or password,
                                   "csrf_token": token})


def normalised(html, email):
    html = re.sub(r'name="csrf_token" (?:type="hidden" )?value="[^"]+"', "CSRF", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html).replace(email, "EMAIL")


def signup_link(mail_server, email):
    [message] = mail_server.to(email)
    assert message.subject == "Finish creating your Scanlink account"
    return message.path_of("/signup/")


def test_the_first_form_asks_only_for_the_address(client):
    html = client.get("/signup").get_data(as_text=True)
    assert 'type="email"' in html and 'type="password"' not in html


def test_a_taken_address_gets_the_same_page_as_a_new_one_and_its_owner_a_warning(
        app, client, auth, mail_server, run_jobs):
    auth.signup()
    auth.logout()

    taken = auth.ask_for_signup_link("ada@example.com")
    new = auth.ask_for_signup_link("grace@example.com")

    assert taken.status_code == new.status_code == 200
    assert "Check your e-mail" in new.get_data(as_text=True)
    assert normalised(taken.get_data(as_text=True), "ada@example.com") == \
        normalised(new.get_data(as_text=True), "grace@example.com")
    assert mail_server.messages == [] and user_count(app) == 1

    run_jobs()

    [warning] = mail_server.to("ada@example.com")
    assert warning.subject == "Someone tried to sign up with your address"
    base = app.config["PUBLIC_BASE_URL"]
    assert warning.links() == [f"{base}/login", f"{base}/forgot-password"]
    assert "/signup/" not in warning.body
    signup_link(mail_server, "grace@example.com")
    assert user_count(app) == 1  # nothing is created before the link is used


def test_the_link_creates_the_account_and_logs_in_once(app, client, auth, mail_server, run_jobs):
    auth.ask_for_signup_link("Grace@Example.com")
    run_jobs()
    path = signup_link(mail_server, "grace@example.com")
    assert "within 24 hours" in mail_server.messages[0].body

    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    assert 'value="grace@example.com"' in page.get_data(as_text=True)
    response = choose(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/account/").status_code == 200
    assert user_id(app, "grace@example.com") is not None

    auth.logout()
    again = client.get(path)
    assert again.status_code == 409
    assert "has an account already" in again.get_data(as_text=True)
    assert choose_on_a_page_without_form(client, path).status_code == 409
    assert user_count(app) == 1


def choose_on_a_page_without_form(client, path):
    token = csrf_token(client, "/signup")
    return client.post(path, data={"password": "another passphrase", "confirm": "another passphrase",
                                   "csrf_token": token})


def test_weak_or_mismatched_passwords_create_nothing(app, client, auth, mail_server, run_jobs):
    auth.ask_for_signup_link("grace@example.com")
    run_jobs()
    path = signup_link(mail_server, "grace@example.com")
    short = choose(client, path, password="short")
    assert short.status_code == 400 and "at least 10 characters" in short.get_data(as_text=True)
    differ = choose(client, path, confirm=PASSWORD + "x")
    assert differ.status_code == 422 and "The passwords differ." in differ.get_data(as_text=True)
    assert user_count(app) == 0


@pytest.mark.settings(SIGNUP_LINK_SECONDS=1)
def test_an_expired_or_forged_link_creates_nothing(app, client, auth, mail_server, run_jobs):
    auth.ask_for_signup_link("grace@example.com")
    run_jobs()
    path = signup_link(mail_server, "grace@example.com")
    forged = path.replace("/signup/", "/signup/x")
    assert client.get(forged).status_code == 400
    time.sleep(2.2)
    response = choose_on_a_page_without_form(client, path)
    assert response.status_code == 410
    text = response.get_data(as_text=True)
    assert "expired" in text and 'href="/signup"' in text
    assert user_count(app) == 0


def test_a_logged_in_user_is_sent_to_the_dashboard(client, auth):
    auth.signup()
    assert client.get("/signup").headers["Location"] == "/"


@pytest.mark.settings(RATELIMIT_AUTH="2 per minute")
def test_asking_for_sign_up_links_is_rate_limited(auth, run_jobs):
    statuses = [auth.ask_for_signup_link(f"p{i}@example.com").status_code for i in range(4)]
    assert statuses == [200, 200, 429, 429]
