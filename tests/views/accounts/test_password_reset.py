"""A forgotten password: the mail arrives over real SMTP, its link works once and expires,
and the form answers the same whether the address has an account or not."""
import re
import time
import unicodedata

import pytest
from sqlalchemy import func, select

from tests.support.auth import PASSWORD, csrf_token
from webapp.extensions import db
from webapp.models import BackgroundJob, User

pytestmark = pytest.mark.settings("smtp_settings")

NEW_PASSWORD = "a brand new passphrase"


def ask_for_reset(client, email):
    token = csrf_token(client, "/forgot-password")
    return client.post("/forgot-password", data={"email": email, "csrf_token": token})


def choose(client, path, password=NEW_PASSWORD, confirm=None):
    token = csrf_token(client, "/forgot-password")  # a used link's page has no form
    return client.post(path, data={"password": password, "confirm": confirm or password,
                                   "csrf_token": token})


def password_hash(app, email="ada@example.com"):
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.email == email))
        db.session.remove()
    return value


def reset_path(mail_server, email="ada@example.com"):
    [message] = mail_server.to(email)
    return message.path_of("/reset-password/")


@pytest.fixture
def ada(auth):
    auth.signup()
    auth.logout()


def test_the_mailed_link_sets_a_new_password_once_and_does_not_log_in(app, client, auth, ada,
                                                                      mail_server, run_jobs):
    response = ask_for_reset(client, "  ADA@example.com ")
    assert response.status_code == 200
    assert "Check your e-mail" in response.get_data(as_text=True)
    assert mail_server.messages == []  # never sent from the request

    run_jobs()

    [message] = mail_server.to("ada@example.com")
    assert message.subject == "Reset your Scanlink password"
    assert message.message["From"] == "Scanlink <scanlink@example.com>"
    assert message.mail_from == "scanlink@example.com"
    assert "within 60 minutes" in message.body
    [link] = message.links()
    assert link.startswith(app.config["PUBLIC_BASE_URL"] + "/reset-password/")
    path = reset_path(mail_server)

    page = client.get(path)
    assert page.status_code == 200 and "Choose a new password" in page.get_data(as_text=True)
    # The token in the URL goes to no other site, and no cache keeps the page.
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"

    response = choose(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/account/").status_code == 302  # not logged in by the link
    assert auth.login(password=PASSWORD).status_code == 401
    assert auth.login(password=NEW_PASSWORD).status_code == 302
    auth.logout()

    changed = password_hash(app)
    again = choose(client, path, password="yet another passphrase")
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "used already" in text and 'href="/forgot-password"' in text
    assert password_hash(app) == changed


@pytest.mark.settings(PASSWORD_RESET_SECONDS=1)
def test_an_expired_link_is_refused_and_changes_nothing(app, client, ada, mail_server, run_jobs):
    ask_for_reset(client, "ada@example.com")
    run_jobs()
    path = reset_path(mail_server)
    before = password_hash(app)
    assert client.get(path).status_code == 200
    time.sleep(2.2)  # the token's clock counts whole seconds

    response = choose(client, path)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert client.get(path).status_code == 410
    assert password_hash(app) == before


def test_a_tampered_or_garbage_link_is_a_400(app, client, ada, mail_server, run_jobs):
    ask_for_reset(client, "ada@example.com")
    run_jobs()
    path = reset_path(mail_server)
    before = password_hash(app)
    forged = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for bad in (forged, "/reset-password/x", "/reset-password/" + "a" * 5000,
                "/reset-password/%00%ff", "/reset-password/e30.x.y"):
        assert client.get(bad).status_code == 400, bad
    token = csrf_token(client, "/forgot-password")
    response = client.post(forged, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                         "csrf_token": token})
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)
    assert password_hash(app) == before


def test_a_weak_or_mismatched_password_is_refused_and_the_link_still_works(app, client, auth, ada,
                                                                             mail_server, run_jobs):
    ask_for_reset(client, "ada@example.com")
    run_jobs()
    path = reset_path(mail_server)
    before = password_hash(app)

    short = choose(client, path, password="short")
    assert short.status_code == 400
    assert "at least 10 characters" in short.get_data(as_text=True)
    differ = choose(client, path, confirm=NEW_PASSWORD + "x")
    assert differ.status_code == 422
    assert "The passwords differ." in differ.get_data(as_text=True)
    assert password_hash(app) == before

    assert choose(client, path).status_code == 302
    assert auth.login(password=NEW_PASSWORD).status_code == 302


def normalised(html, email):
    html = re.sub(r'name="csrf_token" (?:type="hidden" )?value="[^"]+"', "CSRF", html)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "CSRF", html).replace(email, "EMAIL")


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, ada, mail_server, run_jobs):
    known = ask_for_reset(client, "ada@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 200
    assert normalised(known.get_data(as_text=True), "ada@example.com") == \
        normalised(unknown.get_data(as_text=True), "nobody@example.com")
    with app.app_context():  # the same work: a mail job either way
        assert db.session.scalar(select(func.count()).select_from(BackgroundJob)
                                 .where(BackgroundJob.type == "mail.account")) == 2

    run_jobs()
    assert mail_server.to("nobody@example.com") == []
    assert len(mail_server.messages) == 1


def test_a_bad_address_is_a_422_and_queues_nothing(app, client):
    for bad in ("not-an-email", "", "a@b", "x" * 300 + "@example.com", "ada@example.com\r\nBcc: x@y.z"):
        response = ask_for_reset(client, bad)
        assert response.status_code == 422, bad
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(BackgroundJob)) == 0


@pytest.mark.settings(RATELIMIT_AUTH="3 per minute")
def test_asking_for_links_is_rate_limited(client, mail_server, run_jobs):
    statuses = [ask_for_reset(client, f"someone{i}@example.com").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@pytest.mark.settings(RATELIMIT_MAIL_PER_ADDRESS="2 per hour")
def test_mails_to_one_address_are_limited_from_any_client_address(app, ada, mail_server, run_jobs):
    def ask(client_address, email, path="/forgot-password"):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = client_address
        token = csrf_token(client, path)
        return client.post(path, data={"email": email, "csrf_token": token}).status_code

    # Sign-up and reset share the limit; an address without an account is limited the same.
    for email in ("ada@example.com", "nobody@example.com"):
        assert ask("10.0.0.1", email) == 200
        assert ask("10.0.0.2", email.upper(), path="/signup") == 200
        assert ask("10.0.0.3", email) == 429
    assert ask("10.0.0.4", "grace@example.com") == 200
    # One mailbox however it is spelled: its punycode and its decomposed (NFD) form.
    assert ask("10.0.0.5", "jörg@bücher.de") == 200
    assert ask("10.0.0.6", "JÖRG@xn--bcher-kva.de") == 200
    assert ask("10.0.0.7", unicodedata.normalize("NFD", "jörg@bücher.de")) == 429
    run_jobs()
    assert len(mail_server.to("ada@example.com")) == 2


def test_a_reset_ends_every_session_and_remember_me_cookie(app, client, ada, mail_server,
                                                           run_jobs):
    """The owner resets from one browser while an intruder is logged in on another, with
    "keep me logged in": after the reset neither the intruder's session cookie nor its
    remember-me cookie opens the account."""
    intruder = app.test_client()
    response = intruder.post("/login", data={
        "email": "ada@example.com", "password": PASSWORD, "remember": "y",
        "csrf_token": csrf_token(intruder, "/login")})
    assert response.status_code == 302
    session, remember = intruder.get_cookie("session").value, intruder.get_cookie("remember_token").value

    def opens_account(**cookies):
        thief = app.test_client()
        for name, value in cookies.items():
            thief.set_cookie(name, value)
        return thief.get("/account/").status_code == 200

    assert opens_account(session=session) and opens_account(remember_token=remember)

    ask_for_reset(client, "ada@example.com")
    run_jobs()
    assert choose(client, reset_path(mail_server)).status_code == 302

    assert intruder.get("/account/").status_code == 302
    assert not opens_account(session=session)
    assert not opens_account(remember_token=remember)
