"""Scan analytics of a whole workspace over a UTC range, and the dashboard's totals.

Read from the daily rollups (summed in SQL, joined to the workspace's codes) for
whole past days marked complete; only the rest (today, partial days, days not
rolled up yet) is counted from raw events, bounded by time. The per-code sum is
what ranks the top codes; nothing here reads every event of the workspace, so the
cost follows the scanned code-days of the range, not the number of codes.
"""
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, func, select, text

from webapp.extensions import db
from webapp.models import QrCode, ScanDailyRollup
from webapp.services.analytics.day_stats import DayStats, aggregate_events, day_start, days_between
from webapp.services.analytics.reports import LISTS
from webapp.services.analytics.rollups import rolled_days

TOP_CODES = 10
# The rolled-up days' breakdowns ({"device": {"mobile": 3}, ...} per row) summed by the
# database: thousands of rows' JSON never reach Python. {is PostgreSQL: statement}.
_BREAKDOWN_SUMS = {
    dialect: text(f"""
        SELECT dim.key, item.key, SUM(CAST(item.value AS BIGINT))
        FROM scan_daily_rollups AS r JOIN qr_codes AS c ON c.id = r.qr_code_id,
             {each}(r.breakdowns) AS dim, {each_value}(dim.value) AS item
        WHERE c.workspace_id = :workspace AND r.day IN :days AND r.scans > 0
        GROUP BY dim.key, item.key""").bindparams(bindparam("days", expanding=True))
    for dialect, each, each_value in ((True, "jsonb_each", "jsonb_each_text"),
                                      (False, "json_each", "json_each"))
}


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


def _rollup_rows(workspace_id, from_rollups, *columns):
    return (select(*columns).join(QrCode, QrCode.id == ScanDailyRollup.qr_code_id)
            .where(QrCode.workspace_id == workspace_id, ScanDailyRollup.day.in_(sorted(from_rollups))))


def _collect(workspace_id, start, end, now, detail):
    """({day: DayStats}, {code id: scans}, rolled-up breakdowns); the last two only with `detail`."""
    days, from_rollups, segments = _split(start, end, now)
    per_day = {day: DayStats() for day in days}
    per_code = defaultdict(int)
    rolled = DayStats()  # the rolled-up days' breakdowns (their totals are in per_day)
    if from_rollups:
        totals = _rollup_rows(workspace_id, from_rollups, ScanDailyRollup.day,
                              func.sum(ScanDailyRollup.scans), func.sum(ScanDailyRollup.uniques),
                              func.sum(ScanDailyRollup.bots)).group_by(ScanDailyRollup.day)
        for day, scans, uniques, bots in db.session.execute(totals):
            per_day[day].add(DayStats(scans=int(scans), uniques=int(uniques), bots=int(bots)))
        if detail:
            by_code = _rollup_rows(workspace_id, from_rollups, ScanDailyRollup.qr_code_id,
                                   func.sum(ScanDailyRollup.scans)).group_by(ScanDailyRollup.qr_code_id)
            for code_id, scans in db.session.execute(by_code):
                per_code[code_id] += int(scans)
            for name, value, n in db.session.execute(
                    _BREAKDOWN_SUMS[db.session.get_bind().dialect.name == "postgresql"],
                    {"workspace": workspace_id, "days": sorted(from_rollups)}):
                mine = rolled.breakdowns.setdefault(name, {})
                mine[value] = mine.get(value, 0) + int(n)
    for seg_start, seg_end in segments:
        for (code_id, day), stats in aggregate_events(seg_start, seg_end,
                                                      workspace_id=workspace_id).items():
            per_day[day].add(stats)
            per_code[code_id] += stats.scans
    return per_day, per_code, rolled


def _totals(per_day, rolled=None):
    total = DayStats()
    if rolled is not None:
        total.add(rolled)
    for stats in per_day.values():
        total.add(stats)
    return total


def previous_range(start, end):
    """The period of the same length just before [start, end)."""
    return start - (end - start), start


def workspace_summary(workspace_id, start, end, now=None):
    """Totals, the previous period's totals, by day, top codes and the breakdowns."""
    per_day, per_code, rolled = _collect(workspace_id, start, end, now, detail=True)
    total = _totals(per_day, rolled)
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
    per_day, _, _ = _collect(workspace_id, end - timedelta(days=30), end, now, detail=False)
    today = now.date()

    def since(days):
        return sum(s.scans for d, s in per_day.items() if d > today - timedelta(days=days))

    codes = db.session.scalar(select(func.count()).select_from(QrCode)
                              .where(QrCode.workspace_id == workspace_id))
    return {"today": since(1), "week": since(7), "month": since(30), "codes": codes}


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")
