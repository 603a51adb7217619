"""Every code or scan of a user, streamed from a server-side cursor a batch at a time.

`yield_per` makes SQLAlchemy fetch BATCH rows at a time (a named server-side
cursor on PostgreSQL, SQLite's own lazy cursor), so the process holds one batch
whatever the count. The views wrap these generators in `stream_with_context`:
the session, and so the cursor, lives exactly as long as the response. The
whole stream reads in one transaction, a consistent snapshot on PostgreSQL:
every code once, however codes change meanwhile.

Small CSV exports are streamed the same way instead of going through an export
job; `EXPORT_STREAM_MAX_ROWS` says how small (see `fits_in_a_stream`).
"""
import json

from flask import current_app
from sqlalchemy import func, literal, select

from webapp.extensions import db
from webapp.models import CustomDomain, QrCode, ScanEvent
from webapp.services.codes.filters import NO_FILTERS
from webapp.services.codes.listing import codes_query, with_scan_counts
from webapp.services.codes.objects import code_to_dict
from webapp.services.codes.organise import tags_of
from webapp.services.csvfiles.writer import encode_rows, header
from webapp.services.exports.export_jobs import (
    CODE_COLUMNS,
    SCAN_COLUMNS,
    code_row,
    scan_line,
    scans_query,
)

BATCH = 500
CSV_KINDS = ("codes", "scans")


# Plain rows, not ORM objects: a row reads like a QrCode (code_to_dict and code_row
# take either) at a fraction of the cost per code; its custom domain's hostname, if any,
# comes along as `domain_hostname` (content.hostname_of).
STREAM_COLUMNS = (*QrCode.__table__.columns, select(CustomDomain.hostname).where(
    CustomDomain.id == QrCode.domain_id).scalar_subquery().label("domain_hostname"))


def code_batches(workspace_id, filters=NO_FILTERS, newest_first=True):
    """Lists of (code row, scans by people), BATCH at a time, read through one cursor."""
    if filters.matches_nothing:
        return
    query = codes_query(workspace_id, filters, newest_first=newest_first, columns=STREAM_COLUMNS)
    for batch in db.session.execute(query.execution_options(yield_per=BATCH)).partitions():
        yield with_scan_counts(batch)


def codes_ndjson(workspace_id, filters=NO_FILTERS):
    """The code object of the API (docs/api.md), one JSON document per line, newest first."""
    for batch in code_batches(workspace_id, filters):
        tags = tags_of(code.id for code, _ in batch)
        yield "".join(_json_line(code, scans, tags[code.id]) for code, scans in batch)


def _json_line(code, scans, tags):
    data = code_to_dict(code, tags)
    data["scan_count"] = scans
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def codes_csv(workspace_id):
    """The same file as the codes export job makes (columns, order, escaping)."""
    yield header(CODE_COLUMNS)
    base_url = current_app.config["PUBLIC_BASE_URL"]
    for batch in code_batches(workspace_id, newest_first=False):
        tags = tags_of(code.id for code, _ in batch)
        yield encode_rows(code_row(code, base_url, scans, tags[code.id]) for code, scans in batch)


def scans_csv(workspace_id):
    """The same file as the scans export job makes."""
    yield header(SCAN_COLUMNS)
    rows = db.session.execute(scans_query(workspace_id).execution_options(yield_per=BATCH))
    for batch in rows.partitions():
        yield encode_rows(scan_line(event, slug, title) for event, slug, title in batch)


def _count_up_to(query, limit):
    """How many rows `query` yields, counting no further than `limit`: the cost is bounded too."""
    return db.session.scalar(select(func.count()).select_from(query.limit(limit).subquery()))


def fits_in_a_stream(what, workspace_id):
    """True when the owner's `what` ("codes" or "scans") has at most EXPORT_STREAM_MAX_ROWS rows."""
    limit = current_app.config["EXPORT_STREAM_MAX_ROWS"]
    if what == "codes":
        rows = select(literal(1)).select_from(QrCode).where(QrCode.workspace_id == workspace_id)
    else:
        rows = (select(literal(1)).select_from(ScanEvent)
                .join(QrCode, QrCode.id == ScanEvent.qr_code_id).where(QrCode.workspace_id == workspace_id))
    return _count_up_to(rows, limit + 1) <= limit


def csv_rows(what, workspace_id):
    return codes_csv(workspace_id) if what == "codes" else scans_csv(workspace_id)
