"""The scans of one code as CSV rows, streamed, safe to open in a spreadsheet."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ScanEvent
from webapp.services.csvfiles.writer import encode_rows, header

HEADER = ["scanned_at", "device_type", "os", "browser", "referrer", "country", "is_bot",
          "user_agent"]
LINES_PER_CHUNK = 200


def scan_rows(code_id, start, end, batch=1000):
    """Yields CSV bytes: the header, then one line per scan in [start, end), oldest first."""
    yield header(HEADER, bom=False)
    events = db.session.scalars(
        select(ScanEvent).where(ScanEvent.qr_code_id == code_id, ScanEvent.scanned_at >= start,
                                ScanEvent.scanned_at < end)
        .order_by(ScanEvent.scanned_at, ScanEvent.id)
        .execution_options(yield_per=batch)
    )
    rows = []
    for event in events:
        rows.append((event.scanned_at.isoformat().replace("+00:00", "Z"), event.device_type,
                     event.os, event.browser, event.referrer, event.country,
                     "yes" if event.is_bot else "no", event.user_agent))
        if len(rows) == LINES_PER_CHUNK:
            yield encode_rows(rows)
            rows = []
    yield encode_rows(rows)
