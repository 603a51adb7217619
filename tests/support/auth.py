"""Signing up and logging in through the real forms, CSRF token included."""
import re

from webapp.extensions import db
from webapp.models import User
from webapp.services import ServiceError
from webapp.services.accounts import signup

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def signup(self, email="ada@example.com", password=PASSWORD, confirm=None):
        """Signs up as the owner of `email` would: the link that /signup mails, made here
        (no job, no mail), then the password chosen there. An address that is not valid
        gets the e-mail form's answer instead, and a taken one the page its link shows."""
        try:
            path = signup_path(self.client.application, email)
        except ServiceError:
            return self.ask_for_signup_link(email)
        page = self.client.get(path)
        match = _TOKEN.search(page.get_data(as_text=True))
        if match is None:  # no form: the address has an account already
            return page
        return self.client.post(path, data={
            "password": password, "confirm": confirm or password,
            "csrf_token": match.group(1) or match.group(2),
        })

    def ask_for_signup_link(self, email):
        """The first step of sign-up: the e-mail form (it queues a mail job)."""
        token = csrf_token(self.client, "/signup")
        return self.client.post("/signup", data={"email": email, "csrf_token": token})

    def login(self, email="ada@example.com", password=PASSWORD):
        token = csrf_token(self.client, "/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})

    def token(self, path="/"):
        return csrf_token(self.client, path)


def signup_path(app, email):
    """The path of the sign-up link mailed to `email`."""
    with app.app_context():
        return f"/signup/{signup.signup_token(email)}"


def user_id(app, email="ada@example.com"):
    """The id of the user with this e-mail (one signed up through the forms, say)."""
    with app.app_context():
        uid = db.session.query(User.id).filter_by(email=email).scalar()
        db.session.remove()
    return uid
