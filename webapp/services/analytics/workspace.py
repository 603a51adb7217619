"""Scan analytics of a whole workspace over a UTC range, and the dashboard's totals.

Whole past days marked complete are read from the workspace's daily rollups (one
row per day: totals and breakdowns), so those cost the same at 100 codes and at
200,000; only the rest (today, partial days, days not rolled up yet) is counted from
raw events, bounded by time. The top codes are ranked by the codes' own rollups,
summed from an index that holds just the workspace's scanned code-days.
"""
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import desc, func, select

from webapp.extensions import db
from webapp.models import QrCode, ScanDailyRollup, WorkspaceDailyRollup
from webapp.services.analytics.day_stats import DayStats, aggregate_events, day_start, days_between
from webapp.services.analytics.reports import LISTS
from webapp.services.analytics.rollups import rolled_days

TOP_CODES = 10
_CHUNK = 500


def _split(start, end, now):
    """(every day the range touches, the days read from rollups, raw [a, b) segments)."""
    today = (now or datetime.now(timezone.utc)).date()
    days = list(days_between(start, end))
    whole = {d for d in days if day_start(d) >= start and day_start(d + timedelta(days=1)) <= end}
    from_rollups = {d for d in rolled_days(days[0], days[-1]) if d in whole and d < today}
    segments = []
    for day in days:
        if day in from_rollups:
            continue
        a, b = max(start, day_start(day)), min(end, day_start(day + timedelta(days=1)))
        if segments and segments[-1][1] == a:
            segments[-1] = (segments[-1][0], b)
        else:
            segments.append((a, b))
    return days, from_rollups, segments


def _collect(workspace_id, start, end, now, detail):
    """({day: DayStats}, {code id: scans}); breakdowns and the per-code sums only with `detail`."""
    days, from_rollups, segments = _split(start, end, now)
    per_day = {day: DayStats() for day in days}
    per_code = defaultdict(int)
    for seg_start, seg_end in segments:
        for (code_id, day), stats in aggregate_events(seg_start, seg_end,
                                                      workspace_id=workspace_id).items():
            per_day[day].add(stats)
            per_code[code_id] += stats.scans
    if from_rollups:
        rolled = sorted(from_rollups)
        # One row per rolled-up day, whatever the number of codes.
        columns = [WorkspaceDailyRollup.day, WorkspaceDailyRollup.scans, WorkspaceDailyRollup.uniques,
                   WorkspaceDailyRollup.bots] + ([WorkspaceDailyRollup.breakdowns] if detail else [])
        for row in db.session.execute(select(*columns).where(
                WorkspaceDailyRollup.workspace_id == workspace_id, WorkspaceDailyRollup.day.in_(rolled))):
            per_day[row.day].add(DayStats.from_rollup(row) if detail else
                                 DayStats(scans=row.scans, uniques=row.uniques, bots=row.bots))
        if detail:
            also = [code_id for code_id, n in per_code.items() if n]
            for code_id, scans in _rollup_code_sums(workspace_id, rolled, also).items():
                per_code[code_id] += int(scans)
    return per_day, per_code


def _rollup_code_sums(workspace_id, rolled, also):
    """{code id: its rollups' scans on the days `rolled`} for every code that can rank.

    Those are the TOP_CODES first by the rollups alone (ranked as workspace_summary
    ranks: scans, then id in code-point order) and the codes in `also`, scanned in the
    range's raw part. Any other code's total is its rollup sum, behind those ten's.
    The sums come from the index (workspace_id, day, qr_code_id, scans).
    """
    sums = (select(ScanDailyRollup.qr_code_id, func.sum(ScanDailyRollup.scans).label("n"))
            .where(ScanDailyRollup.workspace_id == workspace_id, ScanDailyRollup.day.in_(rolled))
            .group_by(ScanDailyRollup.qr_code_id))
    code_points = "C" if db.session.get_bind().dialect.name == "postgresql" else "BINARY"
    found = dict(db.session.execute(sums.order_by(
        desc("n"), ScanDailyRollup.qr_code_id.collate(code_points)).limit(TOP_CODES)).all())
    missing = sorted(set(also) - set(found))
    for first in range(0, len(missing), _CHUNK):
        found.update(db.session.execute(
            sums.where(ScanDailyRollup.qr_code_id.in_(missing[first:first + _CHUNK]))).all())
    return found


def _totals(per_day):
    total = DayStats()
    for stats in per_day.values():
        total.add(stats)
    return total


def previous_range(start, end):
    """The period of the same length just before [start, end)."""
    return start - (end - start), start


def workspace_summary(workspace_id, start, end, now=None):
    """Totals, the previous period's totals, by day, top codes and the breakdowns."""
    per_day, per_code = _collect(workspace_id, start, end, now, detail=True)
    total = _totals(per_day)
    prev_start, prev_end = previous_range(start, end)
    previous = _totals(_collect(workspace_id, prev_start, prev_end, now, detail=False)[0])
    ranked = sorted(((n, code_id) for code_id, n in per_code.items() if n),
                    key=lambda item: (-item[0], item[1]))[:TOP_CODES]
    codes = {code.id: code for code in db.session.scalars(
        select(QrCode).where(QrCode.id.in_([code_id for _, code_id in ranked])))} if ranked else {}
    summary = {
        "from": _iso(start), "to": _iso(end),
        "total": total.scans, "unique": total.uniques, "bots": total.bots,
        "previous": {"from": _iso(prev_start), "to": _iso(prev_end), "total": previous.scans,
                     "unique": previous.uniques, "bots": previous.bots},
        "by_day": [{"date": day.isoformat(), "scans": s.scans, "unique": s.uniques, "bots": s.bots}
                   for day, s in sorted(per_day.items())],
        "top_codes": [{"id": code_id, "slug": codes[code_id].slug if code_id in codes else "",
                       "title": codes[code_id].title if code_id in codes else "", "scans": n}
                      for n, code_id in ranked],
    }
    for key, dimension in LISTS.items():
        counts = total.breakdowns.get(dimension, {})
        summary[key] = [{"name": name, "scans": n}
                        for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
                        if n]
    return summary


def change(current, previous):
    """Percent change against the previous period, None when there was nothing before."""
    if not previous:
        return None
    return round(100 * (current - previous) / previous, 1)


def dashboard_totals(workspace_id, now=None):
    """People's scans today, in the last 7 and 30 days (today included), and the codes."""
    now = now or datetime.now(timezone.utc)
    end = day_start(now.date() + timedelta(days=1))
    per_day, _ = _collect(workspace_id, end - timedelta(days=30), end, now, detail=False)
    today = now.date()

    def since(days):
        return sum(s.scans for d, s in per_day.items() if d > today - timedelta(days=days))

    codes = db.session.scalar(select(func.count()).select_from(QrCode)
                              .where(QrCode.workspace_id == workspace_id))
    return {"today": since(1), "week": since(7), "month": since(30), "codes": codes}


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")
