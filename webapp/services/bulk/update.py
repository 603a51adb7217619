"""Bulk update: a CSV of slugs and what to change, applied through `update_code`.

Going through the service holds each change to the editor's rules and sends
`code_updated`, whose listeners drop the cached scan lookup once the chunk
commits (and queue webhooks). An empty cell leaves its field as it is. A
change applied twice changes nothing the second time, so a chunk redone
after a crash is harmless; the checkpoint still keeps reruns short.
"""

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import ServiceError
from webapp.services.bulk.chunks import finish, resume
from webapp.services.bulk.create import reason
from webapp.services.bulk.row_errors import RowErrors
from webapp.services.bulk.uploads import UPDATE_COLUMNS, UPDATE_FIELDS
from webapp.services.codes import qrcodes
from webapp.services.codes.organise import tags_of

ERROR_COLUMNS = ["slug", *UPDATE_FIELDS]


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


def update_chunk(actor, rows, errors):
    """Applies the chunk's rows in file order (one query finds their codes). Returns counts."""
    wanted = {_slug(row) for row in rows if _slug(row)}
    codes = {code.slug: code for code in db.session.scalars(
        select(QrCode).where(QrCode.workspace_id == actor.workspace_id, QrCode.slug.in_(wanted)))} if wanted else {}
    updated = unchanged = 0
    for row in rows:
        slug = _slug(row)
        if row.problem:
            errors.add(row.line, row.problem, row.values)
            continue
        if not slug:
            errors.add(row.line, "slug: empty; say which code to change.", row.values)
            continue
        code = codes.get(slug)
        if code is None:  # another user's slug reads the same: its owner is not to be probed
            errors.add(row.line, f"slug: not found: you have no code with the slug “{slug[:64]}”.",
                       row.values)
            continue
        changes = {field: row.values[field] for field in UPDATE_FIELDS if row.values.get(field)}
        before = _state(code, changes)
        try:
            qrcodes.update_code(actor, code.id, changes, audited=False)
        except ServiceError as exc:
            errors.add(row.line, reason_for_update(exc), row.values)
            continue
        if _state(code, changes) != before:
            updated += 1
        else:
            unchanged += 1
    return updated, unchanged


def _state(code, changes):
    """What a row may change of the code; its tags are read only when the row sets them."""
    state = [getattr(code, field) for field in UPDATE_FIELDS if field != "tags"]
    return state + [tags_of([code.id])[code.id]] if "tags" in changes else state


def reason_for_update(exc):
    field = next(iter(exc.fields), "") if exc.fields else ""
    return f"{field}: {exc.message}" if field in ERROR_COLUMNS else reason(exc)
