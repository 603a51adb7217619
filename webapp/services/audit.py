"""The audit log: who changed what in a workspace, when, through what (browser, api, job),
and the fields before and after.

`record` only adds the entry to the session of the change it describes and never
commits: the caller's commit writes the change and its entry together, and a change
rolled back leaves no entry. Secrets are never written here: a rotated webhook secret
is recorded as the fact `{"secret": "rotated"}`, an API key by its name and prefix.

`changes` is `{field: [before, after]}` for the fields that changed; a value that is not
such a pair is a fact about the change (a bulk job's counts, a rotated secret).

Who calls it: codes (services/codes/qrcodes.py), webhooks (services/webhooks/endpoints.py),
API keys (services/accounts/api_keys.py), bulk jobs (services/bulk/job_log.py), and the
members and invitations of a workspace.
"""
from datetime import date, datetime

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEntry
from webapp.services import ServiceError
from webapp.services.workspaces.actors import Actor

MAX_PAGE = 100
DEFAULT_PAGE = 50
# Reading the log is an admin's concern: it names every member and what they did.
READ_ROLE = "admin"


def record(actor, action, object_type, object_id, changes=None):
    """Adds one entry for `actor`'s change in their workspace (flushed with the session,
    committed by the caller). `action` reads "<object>.<what happened>", e.g. "code.updated"."""
    entry = AuditEntry(workspace_id=actor.workspace_id, actor_id=actor.user_id,
                       actor_email=actor.email or "", via=actor.via, action=action,
                       object_type=object_type, object_id=str(object_id or ""),
                       changes=_plain(changes or {}))
    db.session.add(entry)
    return entry


def by_user(user, workspace_id, via):
    """The actor to record for a change a user makes outside a member's request (their own
    API keys from the account page or the command line, the end of a job they submitted).
    It carries no role: it is for the record only, never for a permission check."""
    return Actor(user.id if user else None, user.email if user else "", workspace_id, "", via)


def before_after(diff, skip=()):
    """`{field: (before, after)}` (as `update_code` computes it) as the log's changes. Of two
    dicts (a code's style) only the keys that differ are kept, so a colour change reads
    as one line and not as the whole style twice."""
    changes = {}
    for field, (before, after) in diff.items():
        if field in skip:
            continue
        if isinstance(before, dict) and isinstance(after, dict):
            keys = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
            before, after = {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
        changes[field] = [before, after]
    return changes


def created(fields):
    """The changes of an object made: every field from nothing."""
    return {field: [None, value] for field, value in fields.items()}


def deleted(fields):
    """The changes of an object deleted: every field to nothing."""
    return {field: [value, None] for field, value in fields.items()}


def _plain(value):
    """JSON for the column: dates as ISO 8601 (UTC, with Z), tuples as lists."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def page(actor, cursor=None, limit=DEFAULT_PAGE):
    """One page of the actor's workspace's log, newest first: (entries, next cursor or None).

    A keyset page on (workspace_id, id): the cursor is the id of the last entry shown, so
    entries written meanwhile neither repeat nor push others off a page."""
    actor.require(READ_ROLE)
    limit = _limit(limit)
    query = select(AuditEntry).where(AuditEntry.workspace_id == actor.workspace_id)
    if cursor not in (None, ""):
        query = query.where(AuditEntry.id < _cursor(cursor))
    rows = db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    return rows[:limit], (str(rows[limit - 1].id) if len(rows) > limit else None)


def _limit(limit):
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        limit = 0
    if not 1 <= limit <= MAX_PAGE:
        raise ServiceError(f"limit must be a whole number from 1 to {MAX_PAGE}.",
                           fields={"limit": "out of range"}, status=422)
    return limit


def _cursor(cursor):
    text = str(cursor)
    if not text.isdigit() or len(text) > 19:
        raise ServiceError("That cursor is not valid; start again without one.",
                           fields={"cursor": "unknown"}, status=422)
    return int(text)


def to_dict(entry):
    return {"id": str(entry.id), "at": _plain(entry.at), "actor": entry.actor_email or None,
            "via": entry.via, "action": entry.action, "object_type": entry.object_type,
            "object_id": entry.object_id, "changes": entry.changes}


def change_lines(changes):
    """The changes as lines a person reads: "target_url: a → b", "created: 120"."""
    lines = []
    for field, value in (changes or {}).items():
        if isinstance(value, list) and len(value) == 2:
            before, after = (_shown(v) for v in value)
            lines.append(f"{field}: {before} → {after}")
        else:
            lines.append(f"{field}: {_shown(value)}")
    return lines


def _shown(value):
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_shown(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
