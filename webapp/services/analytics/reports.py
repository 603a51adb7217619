"""Scan analytics of one code over a UTC range: totals, uniques, bots, days, breakdowns.

Whole past days come from the daily rollups when their day is marked complete;
everything else (today, partial days at the ends, days not rolled up yet) is
counted from the raw events. A day is always read from one source only, so the
per-day unique counts stay exact.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import QrCode, ScanDailyRollup
from webapp.services import ServiceError
from webapp.services.analytics.by_target import by_target
from webapp.services.analytics.day_stats import DayStats, aggregate_events, day_start, days_between
from webapp.services.analytics.rollups import rolled_days
from webapp.services.ownership import get_owned

MAX_DAYS = 1100
DEFAULT_DAYS = 30
# name in the summary → the breakdown it lists
LISTS = {"devices": "device", "os": "os", "browsers": "browser", "referrers": "referrer",
         "countries": "country"}


def code_for_owner(workspace_id, code_id):
    """The code if `workspace_id` owns it; anybody else's (or none) is NotFound."""
    return get_owned(QrCode, workspace_id, code_id, "No such QR code.")


def _parse_instant(value, name, end):
    """A date (a whole UTC day; as the end, the day is included) or an ISO 8601 time."""
    value = (value or "").strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return day_start(day + timedelta(days=1) if end else day)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise ServiceError("Some fields are not valid.", status=422, fields={
            name: "Use a date (2026-01-31) or an ISO 8601 time (2026-01-31T18:00:00Z)."})
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_range(start=None, end=None, now=None, days=None):
    """(start, end) in UTC, end exclusive. Defaults: the last `days` (30) days including today."""
    now = now or datetime.now(timezone.utc)
    end = _parse_instant(end, "to", True) if end else day_start(now.date() + timedelta(days=1))
    if start:
        start = _parse_instant(start, "from", False)
    else:
        try:
            start = day_start((end - timedelta(days=days or DEFAULT_DAYS)).date())
        except OverflowError:
            raise ServiceError("Some fields are not valid.", status=422,
                               fields={"to": "That is too early."})
    if start >= end:
        raise ServiceError("Some fields are not valid.", status=422,
                           fields={"from": "The start must be before the end."})
    if end - start > timedelta(days=MAX_DAYS):
        raise ServiceError("Some fields are not valid.", status=422,
                           fields={"to": f"Choose at most {MAX_DAYS} days."})
    return start, end


def daily_stats(code_id, start, end, now=None):
    """{day: DayStats} for every day [start, end) touches, zeros included."""
    today = (now or datetime.now(timezone.utc)).date()
    days = list(days_between(start, end))
    whole = {d for d in days if day_start(d) >= start and day_start(d + timedelta(days=1)) <= end}
    from_rollups = {d for d in rolled_days(days[0], days[-1]) if d in whole and d < today}
    stats = {day: DayStats() for day in days}

    if from_rollups:
        rows = db.session.scalars(select(ScanDailyRollup).where(
            ScanDailyRollup.qr_code_id == code_id,
            ScanDailyRollup.day >= min(from_rollups), ScanDailyRollup.day <= max(from_rollups)))
        for row in rows:
            if row.day in from_rollups:
                stats[row.day] = DayStats.from_rollup(row)
    for seg_start, seg_end in _raw_segments(days, from_rollups, start, end):
        for (_, day), day_stats in aggregate_events(seg_start, seg_end, code_id).items():
            stats[day].add(day_stats)
    return stats


def _raw_segments(days, from_rollups, start, end):
    """Contiguous [a, b) stretches of the range that are not covered by rollups."""
    segments = []
    for day in days:
        if day in from_rollups:
            continue
        a = max(start, day_start(day))
        b = min(end, day_start(day + timedelta(days=1)))
        if segments and segments[-1][1] == a:
            segments[-1] = (segments[-1][0], b)
        else:
            segments.append((a, b))
    return segments


def scan_summary(code, start, end, now=None):
    """What the page and `GET /api/qr-codes/<id>/scans` show."""
    stats = daily_stats(code.id, start, end, now)
    total = DayStats()
    for day_stats in stats.values():
        total.add(day_stats)
    summary = {
        "code_id": code.id,
        "from": start.isoformat().replace("+00:00", "Z"),
        "to": end.isoformat().replace("+00:00", "Z"),
        "total": total.scans,
        "unique": total.uniques,
        "bots": total.bots,
        "by_day": [{"date": day.isoformat(), "scans": s.scans, "unique": s.uniques, "bots": s.bots}
                   for day, s in sorted(stats.items())],
        "by_target": by_target(code, start, end),
    }
    for key, dimension in LISTS.items():
        counts = total.breakdowns.get(dimension, {})
        summary[key] = [{"name": name, "scans": n}
                        for name, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    return summary
