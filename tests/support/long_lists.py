"""Many codes at once for list tests: one bulk INSERT, not one service call each."""
from datetime import timedelta

from webapp.extensions import db
from webapp.models import QrCode, ScanCounter
from webapp.models.base import new_id, utcnow

STYLE = {"dark": "#000000", "light": "#ffffff", "module_shape": "square", "finder_shape": "square",
         "error_correction": "M", "quiet_zone": 4}


def code_row(owner_id, i, created_at, **fields):
    row = dict(id=new_id(), owner_id=owner_id, slug=f"l{i:06d}{new_id()[-4:]}", title=f"Code {i}",
               kind="dynamic", content_type="url", target_url=f"https://example.com/{i}",
               content=None, style=STYLE, active=True, scannable=True, scan_count=0,
               created_at=created_at, updated_at=created_at)
    row.update(fields)
    if row["kind"] == "static":  # a static code holds its content, and has no target
        row["content"] = row["content"] or row["target_url"]
        row["target_url"] = None
    return row


def seed_codes(owner_id, count, *, start=None, same_time_every=1, rows=None):
    """`count` codes (or the given `rows` dicts), oldest first, one second apart; codes in
    groups of `same_time_every` share their created_at exactly. Returns their ids, oldest first."""
    start = start or utcnow() - timedelta(days=1)
    if rows is None:
        rows = [code_row(owner_id, i, start + timedelta(seconds=i // same_time_every))
                for i in range(count)]
    db.session.execute(QrCode.__table__.insert(), rows)
    db.session.commit()
    return [row["id"] for row in rows]


def give_scans(code_id, people, bots=0, shard=0):
    db.session.add(ScanCounter(qr_code_id=code_id, shard=shard, scans=people, bot_scans=bots))
    db.session.commit()
