"""Where one scan of a live dynamic code goes, and under which key it is recorded.

`serve(target, environ, counting)` → (location, served): the Location of the
redirect (None: the campaign ended and there is no expired_url, a 410) and what
served it, "default", "rule:N", "split:N" or "expired", which the scan's row
keeps (analytics' by_target).

Everything comes from the cached `ScanTarget` (its compiled `plan`); a plain
code (no rules, split, UTM or limits) answers straight away. The one exception
is a code with `max_scans`: each counted scan claims one of its scans with a
single conditional UPDATE (`claim`), so concurrent scans in any number of
processes never pass the limit, on PostgreSQL (the row lock) as on SQLite (one
writer). Scans past the limit are still recorded, as "expired".
"""
import logging
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import text

from webapp.extensions import db
from webapp.infra.resilience import breakers, failures
from webapp.infra.resilience.guard import guard
from webapp.services.redirects.evaluate import Visitor, choose
from webapp.services.redirects.plan import DEFAULT, EXPIRED
from webapp.services.scans import visitors

log = logging.getLogger(__name__)

_CLAIM = text("UPDATE qr_codes SET limit_used = limit_used + 1 "
              "WHERE id = :id AND max_scans IS NOT NULL AND limit_used < max_scans")


def serve(target, environ, counting=True, now=None):
    """(location or None, served key) for one scan of `target` (a live dynamic code).
    `counting`: the scan is recorded (GET), so it takes one of a limited code's scans."""
    plan = target.plan
    if plan is None and target.expires_at is None:
        return target.location, DEFAULT
    now = now or datetime.now(timezone.utc)
    expired_location = plan[4] if plan is not None else None
    if target.expired(now):
        return expired_location, EXPIRED
    if plan is None:
        return target.location, DEFAULT
    if plan[3] is not None and counting and not claim(target.code_id):
        return expired_location, EXPIRED
    return choose(plan, target.code_id, visitor(environ, now, bool(plan[1])))


def visitor(environ, now, needs_key=False):
    """The `Visitor` of a WSGI request; its day's key only when a split will need it."""
    header = current_app.config["TRUSTED_COUNTRY_HEADER"]
    country = environ.get("HTTP_" + header.upper().replace("-", "_")) if header else None
    user_agent = environ.get("HTTP_USER_AGENT", "")
    key = ""
    if needs_key:
        # The same visitor is the same (salted, daily) hash of address and user agent as in
        # the scan's row; without an address, the user agent at least keeps one phone on
        # one variant.
        key = visitors.visitor_hash(environ.get("REMOTE_ADDR"), user_agent, now.date()) or user_agent
    return Visitor(user_agent, environ.get("HTTP_ACCEPT_LANGUAGE", ""),
                   visitors.clean_country(country), environ.get("QUERY_STRING", ""), now, key)


def claim(code_id):
    """Takes one scan of the code's max_scans; False once they are all taken. When the
    database cannot answer, the scan is let through (its record is buffered as usual):
    a poster that stops working during an outage is worse than a scan over the limit."""
    try:
        return guard(breakers.database_breaker(), _claim, code_id)
    except Exception as exc:
        if not failures.database_error(exc):
            raise
        log.warning("could not check the scan limit of %s (%s); letting the scan through",
                    code_id, type(exc).__name__)
        return True


def _claim(code_id):
    if db.session.registry.has():
        db.session.close()  # a cache miss's connection goes back before this takes one
    with db.engine.begin() as connection:
        return connection.execute(_CLAIM, {"id": code_id}).rowcount == 1
