"""Daily scan rollups. Safe to run twice: each run recomputes its days from the events."""
from webapp.services.analytics import rollups
from workers.context import in_app_context, tracked


def _roll(day=None):
    if day is None:
        return rollups.rollup_due_days()
    return {str(day): rollups.rollup_scans(day)}


@in_app_context
def rollup_scans(day=None):
    """Plain job: one day ("YYYY-MM-DD"), or the due days."""
    return _roll(day)


@tracked
def rollup_scans_job(run):
    """The `scans.rollup` job type: {"day": "YYYY-MM-DD"} or {} for the due days."""
    return {"events": _roll((run.payload or {}).get("day"))}
