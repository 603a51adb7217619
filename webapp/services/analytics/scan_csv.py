"""The scans of one code as CSV rows, streamed, safe to open in a spreadsheet."""
import csv
import io

from sqlalchemy import select

from webapp.extensions import db
from webapp.models import ScanEvent

HEADER = ["scanned_at", "device_type", "os", "browser", "referrer", "country", "is_bot",
          "user_agent"]
# A cell a spreadsheet would read as a formula (=HYPERLINK(...), +cmd, @SUM...) is
# prefixed with an apostrophe, so it shows as text and runs nothing.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def scan_rows(code_id, start, end, batch=1000):
    """Yields CSV text: the header, then one line per scan in [start, end), oldest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield flush()
    events = db.session.scalars(
        select(ScanEvent).where(ScanEvent.qr_code_id == code_id, ScanEvent.scanned_at >= start,
                                ScanEvent.scanned_at < end)
        .order_by(ScanEvent.scanned_at, ScanEvent.id)
        .execution_options(yield_per=batch)
    )
    for n, event in enumerate(events, 1):
        writer.writerow([safe_cell(value) for value in (
            event.scanned_at.isoformat().replace("+00:00", "Z"), event.device_type, event.os,
            event.browser, event.referrer, event.country, "yes" if event.is_bot else "no",
            event.user_agent)])
        if n % 200 == 0:
            yield flush()
    yield flush()
