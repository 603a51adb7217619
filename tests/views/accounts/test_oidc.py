"""Single sign-on against a real OpenID provider (node oidc-provider, tests/oidc/).

Over plain HTTP the person's side at the provider is `ProviderLogin`; the last test does
the whole round in Chromium. Every refusal is checked to leave no user, no link and no
session behind.
"""
import socket
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from playwright.sync_api import expect
from sqlalchemy import select

from tests.support.browser import record_violations
from tests.support.oidc import CALLBACK, OidcProvider, ProviderLogin, path_of
from tests.support.servers import LiveServer, free_port
from tests.support.two_factor import enable, send_code, totp_code, wrong_code
from webapp.config import Config, ConfigError
from webapp.extensions import db
from webapp.models import User, UserIdentity
from webapp.services.accounts import admin_users, identities, users
from webapp.views.accounts.auth import safe_next
from webapp.web import single_sign_on

APP_URL = "http://scanlink.test"


@pytest.fixture(scope="module")
def live_port():
    """Reserved before the provider starts: the browser test's redirect URI names it."""
    return free_port()


@pytest.fixture(scope="module")
def provider(tmp_path_factory, live_port):
    provider = OidcProvider([APP_URL + CALLBACK, f"http://127.0.0.1:{live_port}{CALLBACK}"],
                            tmp_path_factory.mktemp("oidc") / "provider.log").start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_settings(provider):
    return provider.settings(PUBLIC_BASE_URL=APP_URL)


pytestmark = pytest.mark.settings("sso_settings")


def begin(client, **query):
    """The log-in page's "Log in with …" link, GET /login/oidc; the provider's authorization
    URL."""
    response = client.get("/login/oidc", query_string=query)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def come_back(client, account):
    """The whole round for `account`: the redirect to the provider, log-in and consent
    there, and the callback's answer."""
    back = ProviderLogin(APP_URL + CALLBACK).sign_in(begin(client), account)
    return client.get(path_of(back))


def accounts(app):
    """(users, links): [(id, e-mail)], [(user id, issuer, subject, e-mail)]."""
    with app.app_context():
        found = [tuple(row) for row in db.session.execute(select(User.id, User.email).order_by(User.id))]
        links = [tuple(row) for row in db.session.execute(select(
            UserIdentity.user_id, UserIdentity.issuer, UserIdentity.subject, UserIdentity.email))]
        db.session.remove()
    return found, links


def logged_in(client):
    return client.get("/account/").status_code == 200


def page_of(response):
    return response.get_data(as_text=True)


# The button

@pytest.mark.settings(OIDC_ISSUER=None)
def test_without_an_issuer_there_is_no_button_and_no_route(client):
    assert "Log in with" not in page_of(client.get("/login"))
    assert "Log in with" not in page_of(client.get("/signup"))
    assert client.get("/login/oidc").status_code == 404
    assert client.get(CALLBACK + "?code=x&state=y").status_code == 404


def test_the_log_in_and_sign_up_pages_offer_the_provider(client):
    for path in ("/login", "/signup"):
        html = page_of(client.get(path))
        assert "Log in with Test ID" in html and 'href="/login/oidc"' in html
    assert 'href="/login/oidc?next=/codes/"' in page_of(client.get("/login?next=/codes/"))


def test_the_redirect_asks_for_a_code_with_pkce_state_and_nonce(client, provider):
    url = urlsplit(begin(client))
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    assert query["response_type"] == ["code"] and query["client_id"] == ["scanlink"]
    assert query["redirect_uri"] == [APP_URL + CALLBACK]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert len(query["state"][0]) >= 20 and len(query["nonce"][0]) >= 20
    assert set(query["scope"][0].split()) == {"openid", "email", "profile"}


def test_starting_is_a_link_not_a_form(client, auth):
    """A form posted here would be redirected to the provider under the page's CSP
    form-action; a link is a plain navigation (webapp/views/accounts/sso.py)."""
    assert client.post("/login/oidc", data={"csrf_token": auth.token("/login")}).status_code == 405


# Who comes back

def test_first_log_in_creates_the_user_and_logs_them_in(client, app, provider):
    response = come_back(client, "newcomer")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in(client)
    found, links = accounts(app)
    assert [email for _, email in found] == ["newcomer@example.com"]
    assert links == [(found[0][0], provider.issuer, "newcomer", "newcomer@example.com")]
    with app.app_context():
        user = db.session.get(User, found[0][0])
        assert not user.is_admin
        # A real hash of a password nobody was told: password log-in stays impossible.
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:", "$argon2"))
        assert users.authenticate("newcomer@example.com", "") is None


def test_second_log_in_finds_the_same_user_by_subject_not_e_mail(client, auth, app):
    come_back(client, "newcomer")
    auth.logout()
    assert not logged_in(client)
    (user_id, _), = accounts(app)[0]
    with app.app_context():
        db.session.get(User, user_id).email = "renamed@example.com"
        db.session.commit()

    response = come_back(client, "newcomer")
    assert response.status_code == 302 and logged_in(client)
    found, links = accounts(app)
    assert found == [(user_id, "renamed@example.com")] and len(links) == 1


def test_an_existing_account_is_linked_on_a_verified_e_mail(client, auth, app, owner, provider):
    auth.logout()
    response = come_back(client, "ada-verified")  # the provider says Ada@Example.com
    assert response.status_code == 302
    assert "now linked to Test ID" in page_of(client.get("/")) and logged_in(client)
    found, links = accounts(app)
    assert found == [(owner, "ada@example.com")]
    assert links == [(owner, provider.issuer, "ada-verified", "ada@example.com")]


def test_a_disabled_account_is_refused_with_a_clear_page(client, auth, app, owner):
    auth.logout()
    come_back(client, "ada-verified")  # linked
    auth.logout()
    with app.app_context():
        admin_users.disable(None, users.find_user_by_email("ada@example.com"))
        db.session.commit()
    response = come_back(client, "ada-verified")
    assert response.status_code == 403
    assert "This account is disabled" in response.get_data(as_text=True) and not logged_in(client)


def test_email_verified_as_the_string_true_counts(client, auth, app, owner):
    auth.logout()
    assert come_back(client, "ada-string-verified").status_code == 302
    assert accounts(app)[1][0][0] == owner


def test_an_unverified_e_mail_of_an_existing_account_is_refused(client, auth, app, owner):
    auth.logout()
    response = come_back(client, "ada-unverified")
    assert response.status_code == 403
    assert "has not verified ada@example.com" in page_of(response)
    assert accounts(app) == ([(owner, "ada@example.com")], [])
    assert not logged_in(client)


@pytest.mark.parametrize("account, words", [
    ("unverified-newcomer", "has not verified stranger@example.com"),
    ("no-email", "did not tell us your e-mail address"),
])
def test_no_account_is_made_without_a_verified_e_mail(client, app, account, words):
    response = come_back(client, account)
    assert response.status_code == 403 and words in page_of(response)
    assert accounts(app) == ([], []) and not logged_in(client)


def test_an_account_linked_to_another_subject_is_not_linked_again(client, auth, app, owner,
                                                                  provider):
    with app.app_context():
        db.session.add(UserIdentity(user_id=owner, issuer=provider.issuer, subject="old-ada"))
        db.session.commit()
    auth.logout()
    response = come_back(client, "ada-verified")
    assert response.status_code == 403 and "linked to another identity" in page_of(response)
    assert len(accounts(app)[1]) == 1 and not logged_in(client)


def test_two_first_log_ins_at_once_make_one_user(client, auth, app, monkeypatch):
    """The race of two tabs: the second request looked before the first one's commit. It
    is replayed here by hiding the first one's row from the second's first look."""
    first = callback_url(client)
    second = callback_url(client)
    assert client.get(path_of(first)).status_code == 302
    auth.logout()
    real = identities.find_identity
    looks = []

    def racing(issuer, subject):
        looks.append(subject)
        return None if len(looks) == 1 else real(issuer, subject)

    monkeypatch.setattr(identities, "find_identity", racing)
    response = client.get(path_of(second))
    assert response.status_code == 302 and logged_in(client) and len(looks) == 2
    found, links = accounts(app)
    assert len(found) == 1 and len(links) == 1


def test_next_is_followed_on_this_site_only(client, auth):
    person = ProviderLogin(APP_URL + CALLBACK)
    back = person.sign_in(begin(client, next="/codes/"), "newcomer")
    assert client.get(path_of(back)).headers["Location"] == "/codes/"
    auth.logout()
    back = person.sign_in(begin(client, next="//evil.example/"), "newcomer")
    assert client.get(path_of(back)).headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example/", "codes",
])
def test_next_never_leaves_the_site(target):
    """The log-in form's `next` check, which single sign-on shares: what browsers would read
    as another host is dropped."""
    assert safe_next(target) is None
    assert safe_next("/codes/?q=a%2Fb") == "/codes/?q=a%2Fb"


# Two-factor log-in

@pytest.fixture
def ada_with_two_factor(client, auth, owner):
    """Ada (a password account) with two-factor on, logged out: her TOTP secret."""
    secret, _ = enable(client)
    auth.logout()
    return secret


def reaches_no_page(client):
    """Nothing but the log-in pages opens: the provider's word alone logs nobody in."""
    for path in ("/account/", "/codes/", "/webhooks/", "/account/two-factor/disable"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login"), path
    assert client.get("/api/qr-codes").status_code == 401
    return True


def test_linking_an_account_with_two_factor_asks_for_its_code(client, app, owner,
                                                              ada_with_two_factor):
    response = come_back(client, "ada-verified")
    assert response.status_code == 302 and response.headers["Location"] == "/login/two-factor"
    assert reaches_no_page(client)
    assert send_code(client, wrong_code(ada_with_two_factor)).status_code == 401
    assert reaches_no_page(client)
    # Without the code the provider's account is not linked: it cannot come back later
    # (with two-factor off, say) as the account's identity.
    assert accounts(app)[1] == []
    response = send_code(client, totp_code(ada_with_two_factor, offset=1))  # the set-up used this step
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert logged_in(client) and client.get_cookie("remember_token") is None
    users_now, links = accounts(app)
    assert users_now == [(owner, "ada@example.com")]
    assert [(user, email) for user, _, _, email in links] == [(owner, "ada@example.com")]


def test_a_linked_account_that_turns_two_factor_on_is_asked_for_the_code(client, auth, owner):
    auth.logout()
    come_back(client, "ada-verified")  # linked, two-factor still off
    assert logged_in(client)
    secret, _ = enable(client)
    auth.logout()

    back = ProviderLogin(APP_URL + CALLBACK).sign_in(begin(client, next="/codes/"),
                                                    "ada-verified")
    response = client.get(path_of(back))
    assert response.headers["Location"] == "/login/two-factor" and reaches_no_page(client)
    response = send_code(client, totp_code(secret, offset=1))
    assert response.headers["Location"] == "/codes/" and logged_in(client)


# Answers that are refused

def callback_url(client, account="newcomer"):
    return ProviderLogin(APP_URL + CALLBACK).sign_in(begin(client), account)


def with_params(url, **changes):
    parts = urlsplit(url)
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    query.update(changes)
    query = {key: value for key, value in query.items() if value is not None}
    return parts.path + "?" + urlencode(query)


@pytest.mark.parametrize("changes", [
    {"state": "tampered"}, {"state": None}, {"code": None}, {"code": "not-a-code"},
    {"iss": "http://127.0.0.1:1"}, {"state": "\x00"}, {"code": "\x00\ud7ff"}, {"code": "c" * 20000},
], ids=["tampered-state", "no-state", "no-code", "invalid-code", "other-issuer", "nul-state",
        "nul-code", "huge-code"])
def test_a_tampered_or_incomplete_answer_is_refused(client, app, changes):
    response = client.get(with_params(callback_url(client), **changes))
    assert 400 <= response.status_code < 500
    assert "Could not log you in with Test ID" in page_of(response)
    assert accounts(app) == ([], []) and not logged_in(client)


def test_an_answer_works_once(client, auth, app):
    back = callback_url(client)
    assert client.get(path_of(back)).status_code == 302
    auth.logout()
    response = client.get(path_of(back))
    assert response.status_code == 400 and not logged_in(client)
    assert len(accounts(app)[0]) == 1


def test_an_answer_from_another_browser_is_refused(app, client):
    back = callback_url(client)
    other = app.test_client()
    response = other.get(path_of(back))
    assert response.status_code == 400 and "started in another browser" in page_of(response)
    assert accounts(app) == ([], [])


def change_stored_flow(client, **changes):
    """Rewrites what Authlib keeps in the session for the flow under way."""
    with client.session_transaction() as session:
        (key,) = [key for key in session if key.startswith("_state_oidc_")]
        stored = session[key]
        stored["data"].update(changes)
        session[key] = stored


def test_the_nonce_of_the_id_token_is_checked(client, app):
    back = callback_url(client)
    change_stored_flow(client, nonce="another-nonce")
    response = client.get(path_of(back))
    assert response.status_code == 400 and "could not be verified" in page_of(response)
    assert accounts(app) == ([], []) and not logged_in(client)


def test_the_signature_of_the_id_token_is_checked(client, app, provider):
    """The provider's key id, another key: an ID token signed by anyone else is refused."""
    back = callback_url(client)
    kid = requests.get(provider.issuer + "/jwks", timeout=5).json()["keys"][0]["kid"]
    impostor = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    app.extensions[single_sign_on.CLIENT].server_metadata["jwks"] = {
        "keys": [impostor.as_dict(private=False)]}
    response = client.get(path_of(back))
    assert response.status_code == 400 and "could not be verified" in page_of(response)
    assert accounts(app) == ([], []) and not logged_in(client)


@pytest.mark.settings(RATELIMIT_AUTH="3 per minute")
def test_refused_answers_use_up_the_log_in_allowance(client, app):
    for _ in range(3):
        assert client.get(CALLBACK + "?code=guess&state=guess").status_code == 400
    assert client.get(CALLBACK + "?code=guess&state=guess").status_code == 429


def test_the_provider_checks_the_pkce_verifier(client, app):
    back = callback_url(client)
    change_stored_flow(client, code_verifier="x" * 64)
    response = client.get(path_of(back))
    assert response.status_code == 400
    assert accounts(app) == ([], []) and not logged_in(client)


def test_a_person_who_cancels_at_the_provider_sees_why(client, app):
    response = client.get(CALLBACK + "?error=access_denied&error_description=%3Cb%3Ehi&state=x")
    assert response.status_code == 401
    html = page_of(response)
    assert "Test ID did not log you in (access_denied)" in html and "<b>hi" not in html
    assert accounts(app) == ([], [])


# A provider that is down, slow or wrong

@pytest.fixture
def down_settings():
    # free_port() closes its probe socket: nothing listens there.
    return {"OIDC_ISSUER": f"http://127.0.0.1:{free_port()}", "OIDC_CLIENT_ID": "scanlink",
            "OIDC_CLIENT_SECRET": "s", "OIDC_NAME": "Test ID", "OIDC_TIMEOUT": 2}


@pytest.mark.settings("down_settings")
def test_a_provider_that_is_down_gets_a_clear_page(client, app):
    response = client.get("/login/oidc")
    assert response.status_code == 503
    assert "Test ID is not answering right now" in page_of(response)
    assert accounts(app) == ([], [])


@pytest.fixture
def silent_provider():
    """A socket that takes connections and never answers: only a timeout ends the wait."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield {"OIDC_ISSUER": f"http://127.0.0.1:{listener.getsockname()[1]}",
               "OIDC_CLIENT_ID": "scanlink", "OIDC_CLIENT_SECRET": "s", "OIDC_NAME": "Test ID",
               "OIDC_TIMEOUT": 0.5}


@pytest.mark.settings("silent_provider")
def test_a_provider_that_never_answers_times_out(client):
    started = time.monotonic()
    response = client.get("/login/oidc")
    assert response.status_code == 503 and time.monotonic() - started < 5


def test_a_provider_that_goes_down_before_the_callback(app_factory, tmp_path):
    provider = OidcProvider([APP_URL + CALLBACK], tmp_path / "provider.log").start()
    try:
        app = app_factory(**provider.settings(PUBLIC_BASE_URL=APP_URL))
        client = app.test_client()
        back = ProviderLogin(APP_URL + CALLBACK).sign_in(begin(client), "newcomer")
    finally:
        provider.stop()
    response = client.get(path_of(back))
    assert response.status_code == 503 and "not answering" in page_of(response)
    assert accounts(app) == ([], [])


@pytest.fixture
def wrong_issuer(provider):
    # The same provider under another name: its discovery document names 127.0.0.1.
    return {"OIDC_ISSUER": f"http://localhost:{provider.port}"}


@pytest.mark.settings("wrong_issuer")
def test_a_discovery_document_naming_another_issuer_is_refused(client):
    response = client.get("/login/oidc")
    assert response.status_code == 502 and "names another issuer" in page_of(response)


def test_settings_that_cannot_work_stop_the_app():
    with pytest.raises(ConfigError, match="OIDC_CLIENT_ID"):
        Config().update(SECRET_KEY="k", OIDC_ISSUER="https://id.example").finalise()
    with pytest.raises(ConfigError, match="openid"):
        Config().update(SECRET_KEY="k", OIDC_ISSUER="https://id.example", OIDC_CLIENT_ID="c",
                        OIDC_CLIENT_SECRET="s", OIDC_SCOPES="email").finalise()


# In Chromium, end to end

@pytest.fixture
def browser_settings(provider, live_port):
    return {"PUBLIC_BASE_URL": f"http://127.0.0.1:{live_port}"}


def authorize_elsewhere(app):
    """Sends people to the provider's log-in on another origin than its issuer's, as AWS
    Cognito does: the same provider under the name localhost. A page policy that listed
    the issuer's origin in form-action would block the way there."""
    client = app.extensions[single_sign_on.CLIENT]
    metadata = client.load_server_metadata()
    metadata["authorization_endpoint"] = metadata["authorization_endpoint"].replace(
        "//127.0.0.1:", "//localhost:")
    return metadata["authorization_endpoint"]


@pytest.mark.browser
@pytest.mark.settings("browser_settings")
def test_log_in_with_the_provider_in_chromium(chromium, app, live_port):
    server = LiveServer(app, port=live_port).start()
    context = chromium.new_context(base_url=server.url)
    context.set_default_timeout(15000)
    violations = record_violations(context)
    authorization = authorize_elsewhere(app)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_role("button", name="Log in with Test ID").click()
        page.get_by_placeholder("Enter any login").fill("newcomer")
        assert page.url.startswith(authorization.rsplit("/", 1)[0])
        page.get_by_placeholder("and password").fill("any password")
        page.get_by_role("button", name="Sign-in").click()
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        expect(page.get_by_text("Welcome to Scanlink.")).to_be_visible()

        page.get_by_role("button", name="Log out").click()
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        # The provider remembers the person: the second round needs no typing.
        page.get_by_role("button", name="Log in with Test ID").click()
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
        found, links = accounts(app)
        assert [email for _, email in found] == ["newcomer@example.com"] and len(links) == 1
        page.wait_for_timeout(300)  # reports still on their way
        # Ours only: the provider's pages answer to its own policy.
        assert [v for v in violations if v["origin"] == server.url.rstrip("/")] == []
    finally:
        context.close()
        server.stop()
