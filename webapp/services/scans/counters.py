"""A code's scan count, kept in shards.

Why counter shards: a single `qr_codes.scan_count += 1` makes every concurrent
scan of a hot code wait for the previous one's commit on that row's lock. Each
scan (each batch) instead bumps one of SHARDS rows picked at random, so
concurrent scans of one code rarely meet; a code's count is the sum of its
shards (`scan_counts`). Counting raw events instead would make the list page's
counts cost a scan of every event. `refresh_scan_counts` copies the sums into
`QrCode.scan_count` (the daily rollup calls it) so sorting by it stays meaningful.
"""
import random

from sqlalchemy import func, select, update

from webapp.extensions import db
from webapp.models import QrCode, ScanCounter

SHARDS = 16


def counter_bumps(rows):
    """One counter row per code of the batch, on a random shard, sorted by code so
    that concurrent batches lock shared counter rows in the same order (no deadlock)."""
    totals = {}
    for row in rows:
        scans, bots = totals.get(row["qr_code_id"], (0, 0))
        totals[row["qr_code_id"]] = (scans, bots + 1) if row["is_bot"] else (scans + 1, bots)
    return [{"qr_code_id": code_id, "shard": random.randrange(SHARDS), "scans": scans, "bots": bots}
            for code_id, (scans, bots) in sorted(totals.items())]


def scan_counts(code_ids):
    """{code id: {"scans": people, "bots": bots}} for these codes, exact to the last commit."""
    code_ids = list(code_ids)
    counts = {code_id: {"scans": 0, "bots": 0} for code_id in code_ids}
    if not code_ids:
        return counts
    rows = db.session.execute(
        select(ScanCounter.qr_code_id, func.sum(ScanCounter.scans), func.sum(ScanCounter.bot_scans))
        .where(ScanCounter.qr_code_id.in_(code_ids)).group_by(ScanCounter.qr_code_id)
    )
    for code_id, scans, bots in rows:
        counts[code_id] = {"scans": int(scans or 0), "bots": int(bots or 0)}
    return counts


def refresh_scan_counts(code_ids=None):
    """Copy the shard sums into `QrCode.scan_count` (people only), leaving updated_at alone."""
    total = (select(func.coalesce(func.sum(ScanCounter.scans), 0))
             .where(ScanCounter.qr_code_id == QrCode.id).scalar_subquery())
    stmt = update(QrCode).values(scan_count=total, updated_at=QrCode.updated_at)
    if code_ids is not None:
        stmt = stmt.where(QrCode.id.in_(list(code_ids)))
    db.session.execute(stmt.execution_options(synchronize_session=False))
