from sqlalchemy import func, select

from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.models import User


def user_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def test_sign_up_logs_in_and_lands_on_dashboard(client, auth, app):
    response = auth.signup()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Dashboard" in page and "ada@example.com" not in page or "Log out" in page
    assert user_count(app) == 1


def test_password_is_stored_hashed(auth, app):
    auth.signup()
    with app.app_context():
        user = db.session.scalar(select(User))
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_sign_up_link_of_a_taken_address_creates_nothing(client, auth, app):
    auth.signup()
    auth.logout()
    response = auth.signup(email="ADA@example.com")
    assert response.status_code == 409
    assert "has an account already" in response.get_data(as_text=True)
    assert user_count(app) == 1


def test_short_password_and_mismatch_are_refused(auth, app):
    response = auth.signup(password="short")
    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    response = auth.signup(password=PASSWORD, confirm=PASSWORD + "x")
    assert response.status_code == 422
    assert "The passwords differ." in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_bad_email_is_refused(auth, app):
    response = auth.signup(email="not-an-email")
    assert response.status_code in (400, 422)
    assert user_count(app) == 0


def test_log_in_and_out(client, auth):
    auth.signup()
    auth.logout()
    assert client.get("/account/").status_code == 302
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/account/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/account/").status_code == 302


def test_wrong_password_is_a_clear_401(client, auth):
    auth.signup()
    auth.logout()
    response = auth.login(password="wrong password!")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/account/").status_code == 302


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(auth):
    response = auth.login(email="nobody@example.com")
    assert response.status_code == 401
    assert "do not match" in response.get_data(as_text=True)


def test_missing_csrf_token_is_refused_and_creates_nothing(client, app):
    response = client.post("/signup", data={
        "email": "eve@example.com", "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 400
    assert "Reload the page" in response.get_data(as_text=True)
    assert user_count(app) == 0


def test_htmx_request_without_csrf_header_is_refused(client, auth):
    auth.signup()
    response = client.post("/jobs/worker-check", headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_repeated_bad_logins_are_rate_limited(client, auth, app):
    auth.signup()
    auth.logout()
    statuses = [auth.login(password=f"wrong-{i}-password").status_code for i in range(12)]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    # Even the right password is refused while the limit holds: nothing changes by guessing.
    response = auth.login()
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "Retry-After" in response.headers


def test_next_parameter_cannot_redirect_off_site(client, auth):
    auth.signup()
    auth.logout()
    token = auth.token("/login")
    response = client.post("/login?next=//evil.example/x", data={
        "email": "ada@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_change_password(client, auth):
    auth.signup()
    token = auth.token("/account/")
    new = "a much better passphrase"
    response = client.post("/account/password", data={
        "current_password": "wrong one!!", "new_password": new, "confirm": new, "csrf_token": token})
    assert response.status_code == 400
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm": new, "csrf_token": token})
    assert response.status_code == 302
    auth.logout()
    assert auth.login(password=PASSWORD).status_code == 401
    assert auth.login(password=new).status_code == 302
