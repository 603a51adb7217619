"""A log-in half done: the password was right, the second factor is still to come.

Until the code is given nobody is logged in (`log_in` has not run), so the pending
log-in opens no page; the session only remembers who is expected, whether to remember
them, where they were going, since when, and a fingerprint of the password it was
started with (a reset or change meanwhile cancels it). The guesses at the code are counted in
Redis per user, not in the session: a session cookie saved before the failures and sent
again would otherwise start the count afresh, and guesses from many addresses (or many
pending log-ins) at one account all use up the same allowance.
"""
import time

from flask import current_app, session
from limits import parse_many

from webapp.extensions import db, limiter
from webapp.models import User
from webapp.services.accounts.password_reset import fingerprint

KEY = "pending_login"


def start(user, remember, next_url, link=None):
    """`link`: a single sign-on identity (as a dict) to link once the code is right."""
    session[KEY] = {"user": user.id, "remember": bool(remember), "next": next_url,
                    "at": int(time.time()), "password": fingerprint(user), "link": link}


def current():
    """The pending log-in's state (with its `user` loaded), or None when there is none or
    it is older than TWO_FACTOR_PENDING_SECONDS."""
    state = session.get(KEY)
    if not isinstance(state, dict):
        return None
    if time.time() - state.get("at", 0) > current_app.config["TWO_FACTOR_PENDING_SECONDS"]:
        session.pop(KEY, None)
        return None
    user = db.session.get(User, state.get("user"))
    if user is None or state.get("password") != fingerprint(user):
        session.pop(KEY, None)
        return None
    return dict(state, user=user)


def end():
    session.pop(KEY, None)


def _limits():
    return parse_many(current_app.config["RATELIMIT_TWO_FACTOR"])


def _keys(user):
    return (current_app.config["RATELIMIT_KEY_PREFIX"], "two-factor", str(user.id))


def take_guess(user):
    """Counts one guess at `user`'s code before it is checked (so that guesses sent at the
    same moment cannot all slip under the limit): None if allowed, else the seconds until
    the next guess may be made. Raises a Redis error when Redis is down."""
    strategy = limiter.limiter
    for item in _limits():
        if not strategy.hit(item, *_keys(user)):
            reset = strategy.get_window_stats(item, *_keys(user)).reset_time
            return max(1, int(reset - time.time()) + 1)
    return None


def forget_guesses(user):
    """A right code wipes the count: only wrong guesses in a row lead to the lock-out."""
    strategy = limiter.limiter
    for item in _limits():
        strategy.clear(item, *_keys(user))
