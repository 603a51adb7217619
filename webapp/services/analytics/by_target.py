"""Which target served a code's scans (`by_target`): the rule, split variant, default
target or expiry recorded with each scan (scan_events.served), with unique visitors.

Counted from the raw events of the range (the daily rollups predate `served`);
the events' (code, time) index keeps that to the code's own rows. Unique visitors
are counted per UTC day and summed, like the summary's.
"""
from collections import defaultdict

from sqlalchemy import distinct, func, select

from webapp.extensions import db
from webapp.models import ScanEvent

UNRECORDED = ""  # scans from before smart redirects, or of a static code


def by_target(code, start, end):
    """[{name, target_url, scans, unique}] of people's scans in [start, end), rules first
    in their order, then split variants, the default target and expired ones."""
    day = func.date(ScanEvent.scanned_at)
    rows = db.session.execute(
        select(ScanEvent.served, day, func.count(), func.count(distinct(ScanEvent.ip_hash)))
        .where(ScanEvent.qr_code_id == code.id, ScanEvent.scanned_at >= start,
               ScanEvent.scanned_at < end, ScanEvent.is_bot.is_(False))
        .group_by(ScanEvent.served, day))
    totals = defaultdict(lambda: [0, 0])
    for served, _day, scans, uniques in rows:
        entry = totals[served or "default"]
        entry[0] += scans
        entry[1] += uniques
    urls = target_urls(code)
    return [{"name": name, "target_url": urls.get(name), "scans": scans, "unique": unique}
            for name, (scans, unique) in sorted(totals.items(), key=lambda item: _order(item[0]))]


def target_urls(code):
    """{served key: the code's target for it now} ("rule:1", "split:2", "default", "expired")."""
    redirect = code.redirect or {}
    urls = {f"rule:{n}": rule["target_url"] for n, rule in enumerate(redirect.get("rules", []), 1)}
    urls.update({f"split:{n}": v["target_url"] for n, v in enumerate(redirect.get("split", []), 1)})
    urls.update(default=code.target_url, expired=code.expired_url)
    return urls


def _order(name):
    kind, _, number = name.partition(":")
    rank = {"rule": 0, "split": 1, "default": 2, "expired": 3}.get(kind, 4)
    return rank, int(number) if number.isdigit() else 0, name
