"""The mails an account gets, written and sent by a job (workers/mail.py).

The request only names the kind and the address; whether the address has an
account is looked up here, in the job, so the request does the same work (and
answers the same) either way.
"""
import logging
from urllib.parse import urlsplit

from flask import current_app

from webapp.services import mail
from webapp.services.accounts import password_reset, signup, users

log = logging.getLogger(__name__)

PASSWORD_RESET = "password_reset"
SIGNUP = "signup"
KINDS = (PASSWORD_RESET, SIGNUP)


def public_url(endpoint, **values):
    """An absolute URL on PUBLIC_BASE_URL: a job has no request to take the host from."""
    base = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def render(template, **context):
    return current_app.jinja_env.get_template(f"mail/{template}.txt").render(**context)


def duration(seconds):
    """How long a link lasts, in words: "60 minutes", "24 hours"."""
    count, unit = ((seconds // 3600, "hour") if seconds >= 7200 else
                   (seconds // 60, "minute") if seconds >= 120 else (seconds, "second"))
    return f"{count} {unit}" + ("" if count == 1 else "s")


def send_account_mail(kind, email):
    """Sends the mail of `kind` to `email`, if there is one to send; True when sent."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of account mail {kind!r}")
    user = users.find_user_by_email(email)
    if kind == PASSWORD_RESET:
        if user is None:
            log.info("password reset asked for an address without an account; no mail")
            return False
        link = public_url("password_reset.reset", token=password_reset.reset_token(user))
        body = render("password_reset", link=link,
                      valid_for=duration(current_app.config["PASSWORD_RESET_SECONDS"]))
        mail.send(user.email, "Reset your Scanlink password", body)
    elif user is None:
        link = public_url("signup.finish", token=signup.signup_token(email))
        body = render("signup", link=link, valid_for=duration(current_app.config["SIGNUP_LINK_SECONDS"]))
        mail.send(email, "Finish creating your Scanlink account", body)
    else:
        body = render("signup_taken", login=public_url("auth.login"),
                      forgot=public_url("password_reset.forgot"))
        mail.send(user.email, "Someone tried to sign up with your address", body)
    return True
