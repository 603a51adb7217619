"""A workspace's daily rollups: its codes' rollups of one UTC day, summed, in one row.

A workspace row always equals the sum of the code rows filed under that workspace:
- `rebuild_day(day)` writes the day's workspace rows from the day's code rows (the
  daily rollup calls it right after writing those);
- `on_code_deleted` (a receiver of code_deleted, before the database cascades the
  code's rows away) takes the code's rows off its workspace's;
- `move_codes` carries codes' rows, and their share of the sums, to another workspace.
None of this runs when a scan is recorded. A deleted workspace's rows go with it
(ON DELETE CASCADE). One race is left: a code deleted while the rollup of a day it
was scanned on is being written can stay in that day's workspace row until the day
is rolled up again (yesterday is, every run).
"""
from collections import defaultdict

from sqlalchemy import delete, select, update

from webapp.extensions import db
from webapp.models import ScanDailyRollup, WorkspaceDailyRollup
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
    if sums:
        db.session.execute(WorkspaceDailyRollup.__table__.insert(), [
            dict(workspace_id=workspace_id, day=on, scans=s.scans, uniques=s.uniques, bots=s.bots,
                 breakdowns=s.as_json()) for (workspace_id, on), s in sums.items()])


def _apply(sums, sign):
    """Add (sign 1) or take off (-1) code rows' sums to their workspaces' rows, locked
    meanwhile so that two deletions in one workspace cannot both read the old figures."""
    by_workspace = defaultdict(list)
    for workspace_id, day in sums:
        by_workspace[workspace_id].append(day)
    for workspace_id, days in by_workspace.items():
        rows = {row.day: row for row in db.session.scalars(
            select(WorkspaceDailyRollup).where(WorkspaceDailyRollup.workspace_id == workspace_id,
                                               WorkspaceDailyRollup.day.in_(sorted(days)))
            .with_for_update())}
        for day in days:
            row = rows.get(day)
            if row is None and sign < 0:
                continue  # never summed (a day rolled up before the code's rows existed)
            total = DayStats.from_rollup(row) if row is not None else DayStats()
            total.add(sums[(workspace_id, day)], sign)
            if not (total.scans or total.uniques or total.bots):
                if row is not None:
                    db.session.delete(row)  # as a rebuild would: no code row, no workspace row
                continue
            if row is None:
                row = WorkspaceDailyRollup(workspace_id=workspace_id, day=day)
                db.session.add(row)
            row.scans, row.uniques, row.bots = total.scans, total.uniques, total.bots
            row.breakdowns = {name: {value: n for value, n in counts.items() if n}
                              for name, counts in total.breakdowns.items()}
    db.session.flush()


def _code_rows(code_ids):
    return db.session.execute(select(*_CODE_ROWS).where(ScanDailyRollup.qr_code_id.in_(code_ids)))


def on_code_deleted(code, **_extra):
    """Receiver of code_deleted: the code's scans leave its workspace's rollups with it."""
    _apply(_sums(_code_rows([code.id])), -1)


def move_codes(code_ids, workspace_id):
    """The codes' rollups (and their share of the workspace sums) to `workspace_id`; the
    caller moves the codes themselves."""
    code_ids = list(code_ids)
    _apply(_sums(_code_rows(code_ids)), -1)
    db.session.execute(update(ScanDailyRollup).where(ScanDailyRollup.qr_code_id.in_(code_ids))
                       .values(workspace_id=workspace_id))
    _apply(_sums(_code_rows(code_ids)), 1)
