"""Acting on many codes at once: duplicate one; pause, resume, delete, move, tag or untag many.

A batch sends, per code it changes, the same signals as a single edit (so the
scan cache drops that code's entry after commit and webhooks get their
events), and writes one audit entry for the whole batch. The caller commits.
"""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import QrCode
from webapp.models.base import utcnow
from webapp.services import audit, signals
from webapp.services.codes import organise
from webapp.services.codes.content import hostname_of, invalid
from webapp.services.codes.qrcodes import create_code, get_owned_code
from webapp.services.codes.redirect_fields import redirect_dict

MAX_BATCH = 1000
ACTIONS = ("pause", "resume", "delete", "tag", "untag", "move")
COPY_FIELDS = ("kind", "target_url", "style", "active", "expires_at", "folder")


def duplicate_code(actor, code_id, title=None):
    """A copy of the code with a new random slug, its tags, folder, domain and redirect
    settings; through create_code.
    `title`: the copy's, else the original's and "(copy)"."""
    source = get_owned_code(actor, code_id)
    data = {field: getattr(source, field) for field in COPY_FIELDS}
    data["title"] = title if title is not None else f"{source.title or source.slug} (copy)"[:200]
    if source.kind == "static":
        data.pop("target_url")
        data["content_type"] = source.content_type
        data["content"] = source.content_fields or source.content
    else:  # the same redirect, on the same domain, under a slug of its own
        data.update(redirect_dict(source), domain=hostname_of(source))
    data["tags"] = organise.tags_of([source.id])[source.id]
    return create_code(actor, data)


def check_batch(ids, action, tags=None, folder=None):
    """(distinct ids, action, tag names, folder) or a 422 naming the field."""
    if not isinstance(ids, (list, tuple)) or not all(isinstance(i, str) for i in ids):
        raise invalid("ids", "Send ids as a list of code ids.")
    ids = list(dict.fromkeys(ids))
    if not ids:
        raise invalid("ids", "Select at least one code.")
    if len(ids) > MAX_BATCH:
        raise invalid("ids", f"{len(ids):,} codes: a batch acts on {MAX_BATCH:,} at most; "
                             "narrow the search or use a bulk update CSV.")
    if action not in ACTIONS:
        raise invalid("action", f"Choose an action: {', '.join(ACTIONS)}.")
    names = organise.check_tags(tags) if action in ("tag", "untag") else []
    if action in ("tag", "untag") and not names:
        raise invalid("tags", "Name the tags to add or remove.")
    return ids, action, names, organise.check_folder(folder) if action == "move" else None


def run_batch(actor, ids, action, tags=None, folder=None):
    """{"changed", "unchanged", "not_found"} counts; a static code is not paused or resumed
    (it has no scan link) and counts as unchanged."""
    ids, action, names, folder = check_batch(ids, action, tags, folder)
    codes = db.session.scalars(select(QrCode).where(QrCode.workspace_id == actor.workspace_id,
                                                    QrCode.id.in_(ids))).all()
    changed = _apply(actor, codes, action, names, folder)
    counts = {"changed": len(changed), "unchanged": len(codes) - len(changed),
              "not_found": len(ids) - len(codes)}
    facts = {"action": action, **counts, "codes": [code.id for code in changed]}
    facts.update({"tags": names} if names else {}, **({"folder": folder} if action == "move" else {}))
    audit.record(actor, "codes.batch", "code", "", facts)
    return counts


def _apply(actor, codes, action, names, folder):
    if action == "delete":
        for code in codes:
            signals.code_deleted.send(code)
            db.session.delete(code)
        db.session.flush()
        return codes
    if action in ("tag", "untag"):
        before = organise.tags_of(code.id for code in codes)
        change = organise.add_tags if action == "tag" else organise.remove_tags
        changed = change(actor.workspace_id, codes, names)
        _announce({code: {"tags": (before[code.id], organise.by_name(
            set(before[code.id]) | set(names) if action == "tag" else set(before[code.id]) - set(names)))}
            for code in changed})
        return changed
    field, value = ("folder", folder) if action == "move" else ("active", action == "resume")
    changed = [code for code in codes if getattr(code, field) != value
               and (field == "folder" or code.kind == "dynamic")]
    diffs = {code: {field: (getattr(code, field), value)} for code in changed}
    for code in changed:
        setattr(code, field, value)
    _announce(diffs)
    return changed


def _announce(diffs):
    """code_updated for each changed code, after one flush (as update_code sends it)."""
    for code in diffs:
        code.updated_at = utcnow()
    db.session.flush()
    for code, diff in diffs.items():
        signals.code_updated.send(code, changes=diff)

