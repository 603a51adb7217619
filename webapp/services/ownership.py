"""The one ownership check of the services: someone else's object is not found.

Not found rather than forbidden, so that ids cannot be probed; malformed ids are
turned away before the query (see ids.py).
"""
from webapp.extensions import db
from webapp.services import NotFound
from webapp.services.ids import looks_like_id


def get_owned(model, workspace_id, object_id, message):
    """The row of `model` with this id if `workspace_id` owns it, else NotFound(message)."""
    row = db.session.get(model, object_id) if looks_like_id(object_id) else None
    if row is None or row.workspace_id != workspace_id:
        raise NotFound(message)
    return row
