"""What the pages of the mailed-link flows (sign-up, password reset) share."""
import hashlib

from flask import current_app, make_response, render_template, request

from webapp.extensions import db, limiter
from webapp.services import ServiceError
from webapp.services.accounts import users
from webapp.services.jobs import queues

MAIL_JOB = "mail.account"


def mail_limit():
    return current_app.config["RATELIMIT_MAIL_PER_ADDRESS"]


def posted_address():
    """The rate limit's key: the address asked for, normalised as the mail job will be (so
    `ADA@bücher.de`, its punycode and its NFD spelling share one allowance), and hashed:
    Redis keys are not for addresses."""
    address = (request.form.get("email") or "").strip()
    try:
        address = users.normalise_email(address)
    except ServiceError:
        address = address.lower()  # refused by the form anyway; still counted
    return "mail-to:" + hashlib.sha256(address.encode("utf-8", "replace")).hexdigest()


# Sign-up and reset mails to one address, from whatever client addresses: no mail bombing.
per_address = limiter.shared_limit(mail_limit, scope="mail-per-address", key_func=posted_address,
                                   methods=["POST"])


def queue_mail(kind, form):
    """Hands the mail to a job; the same work whether the address has an account or not.

    Returns the normalised address, or None when it is not valid (the form says why).
    """
    try:
        email = users.normalise_email(form.email.data)
    except ServiceError as exc:
        form.email.errors = list(form.email.errors) + [exc.message]
        return None
    queues.submit(MAIL_JOB, payload={"kind": kind, "email": email})
    return email


def add_error(form, exc):
    """Puts a refusal from a service next to its field, or above the form."""
    db.session.rollback()
    field = next(iter(exc.fields), None)
    target = form[field] if field in form else form.password
    target.errors = list(target.errors) + [exc.message]
    return exc.status


def private(response):
    """A page whose URL holds a token: neither cached nor sent on as a Referer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_page(template, status=200, **context):
    context.setdefault("min_length", current_app.config["PASSWORD_MIN_LENGTH"])
    return private(make_response(render_template(template, status=status, **context), status))


def link_problem(exc, again_endpoint, again_text):
    """An expired, used or forged link: say so, change nothing, offer a new one."""
    return link_page("password_reset/link_problem.html", exc.status, message=exc.message,
                     again_endpoint=again_endpoint, again_text=again_text)

