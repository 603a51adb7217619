"""Counting raw scan events per code and UTC day: what rollups store and analytics add up.

Both the daily rollup and the analytics of not-yet-rolled time use
`aggregate_events`, so the two cannot count differently.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import distinct, func, select

from webapp.extensions import db
from webapp.models import QrCode, ScanEvent

# name in the results → the event column it is counted by (people only, bots apart)
DIMENSIONS = {
    "device": ScanEvent.device_type,
    "os": ScanEvent.os,
    "browser": ScanEvent.browser,
    "referrer": ScanEvent.referrer,
    "country": ScanEvent.country,
}


@dataclass
class DayStats:
    scans: int = 0  # people
    uniques: int = 0  # distinct visitors among the people, for that day
    bots: int = 0
    breakdowns: dict = field(default_factory=lambda: {name: {} for name in DIMENSIONS})

    def add(self, other, sign=1):
        """Adds `other` in, or with sign -1 takes it off."""
        self.scans += sign * other.scans
        self.uniques += sign * other.uniques
        self.bots += sign * other.bots
        for name, counts in other.breakdowns.items():
            mine = self.breakdowns.setdefault(name, {})
            for value, n in counts.items():
                mine[value] = mine.get(value, 0) + sign * n

    def as_json(self):
        return {name: dict(counts) for name, counts in self.breakdowns.items()}

    @classmethod
    def from_rollup(cls, row):
        stats = cls(scans=row.scans, uniques=row.uniques, bots=row.bots)
        for name, counts in (row.breakdowns or {}).items():
            stats.breakdowns[name] = {value: int(n) for value, n in counts.items()}
        return stats


def day_start(day):
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def days_between(start, end):
    """Every UTC day that [start, end) touches."""
    day, last = start.date(), (end - timedelta(microseconds=1)).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def _as_date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def aggregate_events(start, end, code_id=None, workspace_id=None):
    """{(code id, day): DayStats} for events in [start, end), one code, one workspace's or all."""
    day = func.date(ScanEvent.scanned_at)
    where = [ScanEvent.scanned_at >= start, ScanEvent.scanned_at < end]
    if code_id is not None:
        where.append(ScanEvent.qr_code_id == code_id)
    if workspace_id is not None:
        where.append(ScanEvent.qr_code_id.in_(
            select(QrCode.id).where(QrCode.workspace_id == workspace_id)))
    stats = defaultdict(DayStats)

    totals = db.session.execute(
        select(ScanEvent.qr_code_id, day, ScanEvent.is_bot, func.count(),
               func.count(distinct(ScanEvent.ip_hash)))
        .where(*where).group_by(ScanEvent.qr_code_id, day, ScanEvent.is_bot)
    )
    for code, on, is_bot, count, uniques in totals:
        entry = stats[(code, _as_date(on))]
        if is_bot:
            entry.bots += count
        else:
            entry.scans += count
            entry.uniques += uniques

    people = [*where, ScanEvent.is_bot.is_(False)]
    for name, column in DIMENSIONS.items():
        rows = db.session.execute(
            select(ScanEvent.qr_code_id, day, column, func.count())
            .where(*people).group_by(ScanEvent.qr_code_id, day, column)
        )
        for code, on, value, count in rows:
            stats[(code, _as_date(on))].breakdowns[name][value or ""] = count
    return dict(stats)
