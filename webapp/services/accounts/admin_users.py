"""Instance administration of user accounts: the list at /admin/users, disabling and enabling.

Being an instance administrator is about the installation, not its data: nothing here
reads or grants access to a workspace. A disabled user stops at once everywhere, because
every way in reads `User.disabled_at` on each use: browser sessions (`sessions.load`), API
keys and jobs (`actors.member`), log-in (`users.authenticate`, `users.check_not_disabled`).
Disabling also deletes their sessions, so re-enabling does not revive an old cookie.
"""
import logging
import re
from dataclasses import dataclass

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import User, WorkspaceMember
from webapp.models.base import utcnow
from webapp.services import NotFound, ServiceError
from webapp.services.accounts import sessions
from webapp.services.ids import has_nul

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_SEARCH_LENGTH = 254  # the longest e-mail address: a longer search finds nothing anyway
_DIGITS = re.compile(r"[0-9]{1,10}")


@dataclass(frozen=True)
class UserRow:
    user: User
    workspaces: int


@dataclass(frozen=True)
class UserPage:
    rows: list
    older: int | None  # the `before` of the next (older) page, None on the last one


def list_users(search=None, before=None, limit=PAGE_SIZE):
    """Newest first, keyset-paged on the primary key: `before` is the id the page ends
    below. `search` matches a part of the e-mail address literally (% and _ too)."""
    workspaces = (select(func.count()).select_from(WorkspaceMember)
                  .where(WorkspaceMember.user_id == User.id)
                  .correlate(User).scalar_subquery())
    query = select(User, workspaces).order_by(User.id.desc()).limit(limit + 1)
    if search and has_nul(search):
        return UserPage([], None)  # no address holds one, and PostgreSQL refuses it in a query
    if search:
        # Addresses are stored lower-case; autoescape makes % and _ plain characters.
        query = query.where(User.email.contains(search.strip().lower()[:MAX_SEARCH_LENGTH],
                                                autoescape=True))
    if before is not None:
        query = query.where(User.id < before)
    found = db.session.execute(query).all()
    rows = [UserRow(user, count) for user, count in found[:limit]]
    older = rows[-1].user.id if len(found) > limit else None
    return UserPage(rows, older)


def parse_before(value):
    """The `before` of a page URL: a positive id, else None (the first page)."""
    if value and _DIGITS.fullmatch(value) and 0 < int(value) < 2**31:
        return int(value)
    return None


def get_user(user_id):
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise NotFound("No such user.")
    return user


def disable(admin, user):
    """Disables `user` and ends all their browser sessions; the caller commits. `admin` is
    the administrator doing it (None from the command line).
    Their API keys stay, refused while the user is disabled, so re-enabling needs no new keys."""
    if admin is not None and user.id == admin.id:
        raise ServiceError("You cannot disable your own account: ask another administrator.",
                           status=422, code="own_account")
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    ended = sessions.end_all(user)
    log.info("user %s disabled by %s; %d sessions ended", user.id, admin.id if admin else "cli", ended)
    return ended


def enable(user):
    """Lets `user` log in again; the caller commits."""
    user.disabled_at = None
    log.info("user %s enabled", user.id)
