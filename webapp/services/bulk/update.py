"""Bulk update: a CSV of slugs (and their domain) and what to change, through `update_code`.

Going through the service holds each change to the editor's rules and sends
`code_updated`, whose listeners drop the cached scan lookup once the chunk
commits (and queue webhooks). An empty cell leaves its field as it is. A
change applied twice changes nothing the second time, so a chunk redone
after a crash is harmless; the checkpoint still keeps reruns short.
"""
from collections import defaultdict
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import ServiceError
from webapp.services.bulk import redirect_columns
from webapp.services.bulk.chunks import finish, resume
from webapp.services.bulk.create import reason
from webapp.services.bulk.row_errors import RowErrors
from webapp.services.bulk.uploads import UPDATE_COLUMNS, UPDATE_FIELDS
from webapp.services.codes import qrcodes
from webapp.services.codes.organise import tags_of

ERROR_COLUMNS = ["slug", "domain", *UPDATE_FIELDS]
PLAIN_FIELDS = ("target_url", "title", "active", "tags", "folder")
# What a row may change of a code, compared before and after to count it updated.
STATE = ("target_url", "title", "active", "folder", "redirect", "expires_at", "max_scans",
         "expired_url")


def run_bulk_update(run):
    total, state, chunks = resume(run, UPDATE_COLUMNS, {"done": 0, "updated": 0, "unchanged": 0})
    for chunk in chunks:
        errors = RowErrors(run.id, ERROR_COLUMNS, state.get("errors"))
        updated, unchanged = update_chunk(run.actor, chunk, errors)
        state = {"done": chunk[-1].number, "updated": state["updated"] + updated,
                 "unchanged": state["unchanged"] + unchanged, "errors": errors.end_chunk()}
        run.progress(state["done"], checkpoint=state, row_errors=errors.summary())
    failed = finish(run, ERROR_COLUMNS, state)
    return {"rows": total, "updated": state["updated"], "unchanged": state["unchanged"],
            "failed": failed}


def _slug(row):
    return row.values.get("slug", "").strip().lower()


def _hostname(row):
    return row.values.get("domain", "").strip().lower().rstrip(".")


def update_chunk(actor, rows, errors):
    """Applies the chunk's rows in file order (one query finds their codes). Returns counts."""
    wanted = {_slug(row) for row in rows if _slug(row)}
    codes = defaultdict(list)  # slug: the workspace's codes of that slug, on any domain
    if wanted:
        for code in db.session.scalars(select(QrCode).options(joinedload(QrCode.domain)).where(
                QrCode.workspace_id == actor.workspace_id, QrCode.slug.in_(wanted))):
            codes[code.slug].append(code)
    updated = unchanged = 0
    for row in rows:
        if row.problem:
            errors.add(row.line, row.problem, row.values)
            continue
        try:
            code = _code_of(row, codes)
            changes = {field: row.values[field] for field in PLAIN_FIELDS if row.values.get(field)}
            changes.update(redirect_columns.utm_for_update(
                redirect_columns.fields_from_row(row.values), code))
            before = _state(code, changes)
            qrcodes.update_code(actor, code.id, changes, audited=False)
        except ServiceError as exc:
            errors.add(row.line, reason_for_update(exc), row.values)
            continue
        if _state(code, changes) != before:
            updated += 1
        else:
            unchanged += 1
    return updated, unchanged


def _code_of(row, codes):
    """The code a row names by its slug (and domain, when the slug is on more than one)."""
    slug, hostname = _slug(row), _hostname(row)
    if not slug:
        raise _refuse("slug", "empty; say which code to change.")
    # Another workspace's slug reads the same as none: its owner is not to be probed.
    held = codes.get(slug, [])
    own = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or ""
    if hostname:  # PUBLIC_BASE_URL's host names the codes without a custom domain
        held = [code for code in held if _host_of(code, own) == hostname]
        if not held:
            raise _refuse("slug", f"not found: you have no code “{slug[:64]}” on {hostname[:80]}.")
    if not held:
        raise _refuse("slug", f"not found: you have no code with the slug “{slug[:64]}”.")
    if len(held) > 1:
        on = ", ".join(sorted(_host_of(code, own) for code in held))
        raise _refuse("domain", f"the slug “{slug[:64]}” is on more than one domain ({on[:200]}); "
                                "say which in this column.")
    return held[0]


def _host_of(code, own):
    return code.domain.hostname if code.domain is not None else own


def _refuse(column, message):
    return ServiceError(message, fields={column: message}, status=422)


def _state(code, changes):
    """What a row may change of the code; its tags are read only when the row sets them."""
    state = [getattr(code, field) for field in STATE]
    return state + [tags_of([code.id])[code.id]] if "tags" in changes else state


def reason_for_update(exc):
    field = next(iter(exc.fields), "") if exc.fields else ""
    if field in ERROR_COLUMNS and not exc.message.startswith(f"{field}:"):
        return f"{field}: {exc.message}"
    return reason(exc)
