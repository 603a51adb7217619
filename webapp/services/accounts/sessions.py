"""Browser sessions kept on the server, so that they can end: at log-out, when the password
changes, from the account page.

A session is a row; the cookies (Flask-Login's session cookie and its remember-me cookie)
carry its random token, of which only a hash is stored. A session unused for
SESSION_LIFETIME_DAYS is over. `touch` records use at most once a minute, in a
transaction of its own: a request that only reads stays read-only.
"""
import hashlib
import logging
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from webapp.extensions import db
from webapp.models import User, UserSession
from webapp.models.base import utcnow
from webapp.services import useragents
from webapp.services.ids import looks_like_id

log = logging.getLogger(__name__)

TOUCH_EVERY = timedelta(minutes=1)
MAX_TOKEN_LENGTH = 100


def _hash_token(token):
    # The token is 256 random bits: a fast hash is enough to make a stolen table useless.
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime():
    return timedelta(days=current_app.config["SESSION_LIFETIME_DAYS"])


def device_label(user_agent):
    """"Firefox on Linux", "Mobile Safari on iOS": what the account page names a session by."""
    client = useragents.describe(user_agent)
    if client.is_bot or not (client.browser or client.os):
        return "Unknown device"
    browser = client.browser if client.browser not in ("", "Other") else "A browser"
    if client.os in ("", "Other"):
        return browser[:100]
    return f"{browser} on {client.os}"[:100]


def start(user, user_agent="", remember=False):
    """A new session of `user` (flushed); its `token` is for the cookies and is not kept."""
    now = utcnow()
    # Sessions long unused are over; clearing them here keeps the table small without a job.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.last_seen_at <= now - _lifetime()))
    token = secrets.token_urlsafe(32)
    session = UserSession(user_id=user.id, token_hash=_hash_token(token),
                          device=device_label(user_agent), remember=bool(remember),
                          created_at=now, last_seen_at=now)
    session.token = token
    db.session.add(session)
    db.session.flush()
    return session


def load(user_id, token):
    """(user, session) for a live session of that user and token, in one query, else None."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    row = db.session.execute(
        select(User, UserSession)
        .join(UserSession, UserSession.user_id == User.id)
        .where(User.id == user_id, User.disabled_at.is_(None),
               UserSession.token_hash == _hash_token(token),
               UserSession.last_seen_at > utcnow() - _lifetime())
    ).first()
    if row is None:
        return None
    user, session = row
    session.token = token
    return user, session


def touch(session):
    """Records that the session is in use, at most once every TOUCH_EVERY.

    Its own short transaction, not the request's: most requests never commit. Failing
    to record it is harmless (the session lives on until its lifetime from the last
    recorded use), so a busy database does not fail the request.
    """
    now = utcnow()
    if now - session.last_seen_at < TOUCH_EVERY:
        return False
    try:
        with db.engine.begin() as connection:
            connection.execute(update(UserSession)
                               .where(UserSession.id == session.id,
                                      UserSession.last_seen_at < now - TOUCH_EVERY)
                               .values(last_seen_at=now))
    except SQLAlchemyError as error:
        log.warning("could not record the use of a session: %s", error)
        return False
    return True


def end(user, session_id):
    """Ends one session of `user`; False when it is not theirs or not live (nothing changes)."""
    if not looks_like_id(session_id):
        return False
    result = db.session.execute(delete(UserSession).where(UserSession.id == session_id,
                                                          UserSession.user_id == user.id))
    return result.rowcount > 0


def end_all(user, except_id=None):
    """Ends every session of `user` but `except_id`; how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if except_id is not None:
        query = query.where(UserSession.id != except_id)
    return db.session.execute(query).rowcount


def active(user):
    """The user's live sessions, the most recently used first."""
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id,
               UserSession.last_seen_at > utcnow() - _lifetime())
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
