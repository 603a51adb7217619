"""Daily scan rollups. Safe to run twice: each run recomputes its days from the events."""
from .context import in_app_context, tracked


def _roll(day=None):
    from webapp.services import rollups

    days = [day] if day else rollups.due_days()
    return {str(d): rollups.rollup_scans(d) for d in days}


@in_app_context
def rollup_scans(day=None):
    """Plain job for the periodic scheduler: one day ("YYYY-MM-DD"), or the due days."""
    return _roll(day)


@tracked
def rollup_scans_job(row):
    """The `scans.rollup` job type: {"day": "YYYY-MM-DD"} or {} for the due days."""
    return {"events": _roll((row.payload or {}).get("day"))}
