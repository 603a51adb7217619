"""Daily rollups: one row per code and UTC day, recomputed from the events, and from
those one row per workspace and day (workspace_rollups.py).

`rollup_scans(day)` replaces that day's rows with a fresh count, so running it
twice (or after late events) gives the same numbers as the events themselves.
The day's marker row is written first: on PostgreSQL its row lock makes two
concurrent rollups of one day take turns instead of colliding. The caller commits.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from webapp.extensions import db
from webapp.models import QrCode, ScanDailyRollup, ScanRollupDay
from webapp.models.base import utcnow
from webapp.services import ServiceError
from webapp.services.analytics import workspace_rollups
from webapp.services.analytics.day_stats import aggregate_events, day_start
from webapp.services.scans import counters

LOOKBACK_DAYS = 7
_CHUNK = 500


def rollup_scans(day, now=None):
    """Recompute every code's rollup of `day` (a past UTC day). Returns the events counted."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    today = (now or datetime.now(timezone.utc)).date()
    if day >= today:
        raise ServiceError("Only a finished UTC day can be rolled up.", fields={"day": day.isoformat()})

    _claim_day(day)
    start = day_start(day)
    stats = aggregate_events(start, start + timedelta(days=1))
    db.session.execute(delete(ScanDailyRollup).where(ScanDailyRollup.day == day))
    workspaces = _workspaces_of([code_id for code_id, on in stats if on == day])
    rows = [dict(qr_code_id=code_id, day=day, workspace_id=workspaces[code_id], scans=s.scans,
                 uniques=s.uniques, bots=s.bots, breakdowns=s.as_json())
            for (code_id, on), s in stats.items() if on == day and code_id in workspaces]
    if rows:
        db.session.execute(ScanDailyRollup.__table__.insert(), rows)
    workspace_rollups.rebuild_day(day)
    events = sum(s.scans + s.bots for s in stats.values())
    db.session.execute(update(ScanRollupDay).where(ScanRollupDay.day == day)
                       .values(events=events, rolled_at=utcnow()))
    counters.refresh_scan_counts({code_id for code_id, _ in stats})
    db.session.flush()
    return events


def _workspaces_of(code_ids):
    """{code id: its workspace} (a code deleted since its events were counted is left out)."""
    found = {}
    for first in range(0, len(code_ids), _CHUNK):
        found.update(db.session.execute(select(QrCode.id, QrCode.workspace_id).where(
            QrCode.id.in_(code_ids[first:first + _CHUNK]))).all())
    return found


def _claim_day(day):
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ScanRollupDay.__table__).values(day=day, rolled_at=utcnow(), events=0)
    db.session.execute(stmt.on_conflict_do_update(index_elements=["day"],
                                                  set_={"rolled_at": stmt.excluded.rolled_at}))


def due_days(now=None, lookback=LOOKBACK_DAYS):
    """Yesterday (always: late scans land just after midnight) and any unrolled day before it."""
    today = (now or datetime.now(timezone.utc)).date()
    window = [today - timedelta(days=n) for n in range(lookback, 0, -1)]
    rolled = set(db.session.scalars(
        select(ScanRollupDay.day).where(ScanRollupDay.day >= window[0])))
    return [day for day in window if day not in rolled or day == window[-1]]


def rolled_days(first, last):
    """The days in [first, last] whose rollups are complete."""
    return set(db.session.scalars(
        select(ScanRollupDay.day).where(ScanRollupDay.day >= first, ScanRollupDay.day <= last)))


def rollup_due_days():
    """The periodic task: roll up every due day. Returns {day: events rolled}."""
    return {str(day): rollup_scans(day) for day in due_days()}
