"""A workspace's daily rollups: its codes' rollups of one UTC day, summed, in one row.

A workspace row always equals the sum of the code rows filed under that workspace:
- `rebuild_day(day)` writes the day's workspace rows from the day's code rows (the
  daily rollup calls it right after writing those);
- `on_code_deleted` (a receiver of code_deleted) deletes the code's rows and sums its
  workspace's rows of those days again from the rows that stay;
- `move_codes` files codes' rows under another workspace and sums both again.
None of this runs when a scan is recorded. A deleted workspace's rows go with it
(ON DELETE CASCADE). One race is left: a code deleted while the rollup of a day it
was scanned on is being written can stay in that day's workspace row until the day
is rolled up again (yesterday is, every run).
"""
from collections import defaultdict

from sqlalchemy import delete, select, update

from webapp.extensions import db
from webapp.models import ScanDailyRollup, Workspace, WorkspaceDailyRollup
from webapp.services.analytics.day_stats import DayStats

_CODE_ROWS = (ScanDailyRollup.workspace_id, ScanDailyRollup.day, ScanDailyRollup.scans,
              ScanDailyRollup.uniques, ScanDailyRollup.bots, ScanDailyRollup.breakdowns)


def _sums(rows):
    """{(workspace id, day): DayStats} of code rows."""
    sums = defaultdict(DayStats)
    for row in rows:
        sums[(row.workspace_id, row.day)].add(DayStats.from_rollup(row))
    return sums


def rebuild_day(day):
    """Replace every workspace's row of `day` with the sum of its code rows of that day."""
    sums = _sums(db.session.execute(select(*_CODE_ROWS).where(ScanDailyRollup.day == day)))
    db.session.execute(delete(WorkspaceDailyRollup).where(WorkspaceDailyRollup.day == day))
    _insert(sums)


def _insert(sums):
    if sums:
        db.session.execute(WorkspaceDailyRollup.__table__.insert(), [
            dict(workspace_id=workspace_id, day=on, scans=s.scans, uniques=s.uniques, bots=s.bots,
                 breakdowns=s.as_json()) for (workspace_id, on), s in sums.items()])


def _rebuild(workspace_id, days):
    """The workspace's rows of these days, summed again from its code rows."""
    days = sorted(days)
    sums = _sums(db.session.execute(select(*_CODE_ROWS).where(
        ScanDailyRollup.workspace_id == workspace_id, ScanDailyRollup.day.in_(days))))
    db.session.execute(delete(WorkspaceDailyRollup).where(
        WorkspaceDailyRollup.workspace_id == workspace_id, WorkspaceDailyRollup.day.in_(days)))
    _insert(sums)


def _touched(code_ids):
    """{workspace id: days} that the codes' rows are filed under."""
    touched = defaultdict(set)
    for workspace_id, day in db.session.execute(
            select(ScanDailyRollup.workspace_id, ScanDailyRollup.day)
            .where(ScanDailyRollup.qr_code_id.in_(code_ids))):
        touched[workspace_id].add(day)
    return touched


def _lock(workspace_ids):
    """One change at a time to a workspace's rows: its workspace row is held (PostgreSQL;
    SQLite's first write takes the one write lock). Then the code rows, then the sums,
    the order the daily rollup takes them in, so the two never wait on each other."""
    # FOR NO KEY UPDATE: rows that merely refer to the workspace are still written meanwhile.
    db.session.execute(select(Workspace.id).where(Workspace.id.in_(sorted(workspace_ids)))
                       .order_by(Workspace.id).with_for_update(key_share=True))


def on_code_deleted(code, **_extra):
    """Receiver of code_deleted: the code's scans leave its workspace's rollups with it.

    The sums are taken again from the code rows that stay, under the workspace's lock,
    rather than subtracted: two deletions at once cannot both start from old figures."""
    touched = _touched([code.id])
    if not touched:
        return
    _lock(touched)
    db.session.execute(delete(ScanDailyRollup).where(ScanDailyRollup.qr_code_id == code.id))
    for workspace_id, days in touched.items():
        _rebuild(workspace_id, days)


def move_codes(code_ids, workspace_id):
    """The codes' rollups (and their share of the workspace sums) to `workspace_id`; the
    caller moves the codes themselves."""
    code_ids = list(code_ids)
    touched = _touched(code_ids)
    if not touched:
        return
    _lock({*touched, workspace_id})
    db.session.execute(update(ScanDailyRollup).where(ScanDailyRollup.qr_code_id.in_(code_ids))
                       .values(workspace_id=workspace_id))
    for old_workspace, days in touched.items():
        _rebuild(old_workspace, days)
    _rebuild(workspace_id, set().union(*touched.values()))
