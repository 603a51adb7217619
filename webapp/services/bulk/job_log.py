"""A bulk job is one entry in its workspace's audit log, with its counts, not one per row.

Written by the `job_finished` receiver (webapp/wiring.py), so the entry commits with the
update that ends the job: a run that lost its job to another run writes none, a job run
twice over a crash still writes one, and a job cancelled or failed after some of its
chunks were committed logs what those changed (from its checkpoint, or from its done
chunks when workers shared it).
"""
from webapp.extensions import db
from webapp.models import User
from webapp.services import audit
from webapp.services.bulk import fanout
from webapp.services.jobs import chunks

# job type → (action, the result's counts to log, and the name each is logged under)
LOGGED = {
    "bulk.create": ("bulk.created", {"rows": "rows", "created": "created", "failed": "rejected"}),
    "bulk.update": ("bulk.updated", {"rows": "rows", "updated": "updated",
                                     "unchanged": "unchanged", "failed": "rejected"}),
}


def on_job_finished(row, **extra):
    if row.type not in LOGGED or row.workspace_id is None:
        return
    action, counts = LOGGED[row.type]
    if row.status == "completed":
        result = row.result or {}
        changes = {logged: result.get(key, 0) for key, logged in counts.items()}
    else:
        # Cancelled or failed after some chunks were committed: what they changed is logged
        # too, from the checkpoint the last committed chunk left.
        state = row.checkpoint or {}
        rejected = (row.row_errors or {}).get("count", 0)
        if "chunks" in state:  # shared by workers: the done chunks say exactly what was kept
            done, results, _, _ = chunks.tally(row.id, None)
            state = {**fanout.summary(results), "done": done}
            rejected = state["errors"]["count"]
        if not state.get("done"):
            return
        changes = {logged: state[key] for key, logged in counts.items() if key in state}
        changes.update(rows_done=state["done"], rejected=rejected, stopped=row.error or "")
    user = db.session.get(User, row.user_id) if row.user_id is not None else None
    audit.record(audit.by_user(user, row.workspace_id, "job"), action, "job", row.id, changes)
