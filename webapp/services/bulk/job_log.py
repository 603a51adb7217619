"""A bulk job is one entry in its workspace's audit log, with its counts, not one per row.

Written by the `job_finished` receiver (webapp/wiring.py), so the entry commits with the
update that marks the job completed: a run that lost its job to another run, or failed,
writes none, and a job run twice over a crash still writes one.
"""
from webapp.extensions import db
from webapp.models import User
from webapp.services import audit

# job type → (action, the result's counts to log, and the name each is logged under)
LOGGED = {
    "bulk.create": ("bulk.created", {"rows": "rows", "created": "created", "failed": "rejected"}),
    "bulk.update": ("bulk.updated", {"rows": "rows", "updated": "updated",
                                     "unchanged": "unchanged", "failed": "rejected"}),
}


def on_job_finished(row, **extra):
    if row.type not in LOGGED or row.status != "completed" or row.workspace_id is None:
        return
    action, counts = LOGGED[row.type]
    result = row.result or {}
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    audit.record(audit.by_user(user, row.workspace_id, "job"), action, "job", row.id,
                 {logged: result.get(key, 0) for key, logged in counts.items()})
