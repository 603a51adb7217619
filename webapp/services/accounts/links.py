"""Signed links sent by e-mail (a password reset, a sign-up): itsdangerous, one salt each."""
from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer

from webapp.services import ServiceError

MAX_TOKEN_LENGTH = 512


class LinkProblem(ServiceError):
    """A link that leads nowhere: nothing changes, and a new one is offered."""


class LinkInvalid(LinkProblem):
    status = 400
    code = "link_invalid"


class LinkExpired(LinkProblem):
    """Past its time, or already used: a new link is the way on."""

    status = 410
    code = "link_expired"


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def sign(salt, data):
    return _serializer(salt).dumps(data)


def unsign(salt, token, max_age):
    """The data signed into `token`; LinkExpired past `max_age` seconds, LinkInvalid when forged."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise LinkInvalid("This link is not valid. Check that it was copied whole.")
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkExpired("This link has expired.")
    except BadData:
        raise LinkInvalid("This link is not valid. Check that it was copied whole.")
    if not isinstance(data, dict):
        raise LinkInvalid("This link is not valid. Check that it was copied whole.")
    return data
