"""Exports of a user's data as files, built chunk by chunk by a job on the low queue.

Each chunk of rows is written as a part file and committed with a checkpoint
(the last row's sort key), so a run that dies resumes after the last
committed chunk and the joined file has every row exactly once.
"""
from datetime import date, datetime

from flask import current_app
from sqlalchemy import func, select, tuple_

from webapp.extensions import db
from webapp.models import QrCode, ScanEvent
from webapp.services import ServiceError
from webapp.services.codes.content import hostname_of
from webapp.services.codes.image_zips import CodeRenderer, ZipPart, check_format
from webapp.services.codes.listing import with_scan_counts
from webapp.services.codes.organise import tags_of
from webapp.services.csvfiles.writer import encode_rows, header
from webapp.services.jobs import queues
from webapp.services.jobs.files import join_parts, join_zip_parts, put_part

CODE_COLUMNS = ["id", "slug", "kind", "title", "target_url", "content", "scan_url", "active",
                "expires_at", "scan_count", "created_at", "updated_at", "tags", "folder"]
SCAN_COLUMNS = ["scanned_at", "code_id", "slug", "title", "device_type", "os", "browser",
                "referrer", "country", "is_bot"]
WHAT = {"codes": "exports.codes", "scans": "exports.scans", "images": "exports.images"}


def start_export(actor, what, format=None, ids=None):
    """Validates the request and submits the job (which commits). Returns the row.

    `ids`: only these codes (a selection on the codes page), for codes and images."""
    if what not in WHAT:
        raise ServiceError("Choose what to export: codes, scans or images.",
                           fields={"what": "Use codes, scans or images."}, status=422)
    selection = {} if ids is None else {"ids": list(ids)}
    if what == "images":
        fmt = check_format(format)
        return queues.submit(WHAT[what], actor, payload={"what": what, "format": fmt, **selection})
    if format not in (None, "", "csv"):
        raise ServiceError(f"{what.capitalize()} are exported as CSV only.",
                           fields={"format": "Use csv (or leave it out)."}, status=422)
    return queues.submit(WHAT[what], actor, payload={"what": what, "format": "csv", **selection})


def code_row(code, base_url, scans, tags=()):
    """One code as a CSV row; `scans` is its exact count (scans.scan_counts), not the rollup's copy.
    `tags` are its tag names, written comma-separated as the bulk CSV reads them."""
    hostname = hostname_of(code)
    scan_url = "" if code.kind != "dynamic" else (
        f"https://{hostname}/{code.slug}" if hostname else f"{base_url}/s/{code.slug}")
    return [code.id, code.slug, code.kind, code.title, code.target_url, code.content, scan_url,
            code.active, code.expires_at, scans, code.created_at, code.updated_at, ",".join(tags),
            code.folder]


def code_rows(codes, base_url):
    """CSV rows of a batch of codes: their exact counts and tags in one query each."""
    tags = tags_of(code.id for code in codes)
    return [code_row(code, base_url, scans, tags[code.id]) for code, scans in with_scan_counts(codes)]


def scan_line(event, slug, title):
    return [event.scanned_at, event.qr_code_id, slug, title, event.device_type, event.os,
            event.browser, event.referrer, event.country, event.is_bot]


def scans_query(workspace_id):
    """Every scan of the owner's codes with the code's slug and title, oldest row first."""
    return (select(ScanEvent, QrCode.slug, QrCode.title)
            .join(QrCode, QrCode.id == ScanEvent.qr_code_id)
            .where(QrCode.workspace_id == workspace_id).order_by(ScanEvent.id))


def _selected(workspace_id, ids):
    """The workspace's codes, or only those of `ids` when the export is of a selection."""
    clauses = [QrCode.workspace_id == workspace_id]
    return clauses if ids is None else [*clauses, QrCode.id.in_(ids)]


def _codes_after(workspace_id, after, limit, ids=None):
    query = select(QrCode).where(*_selected(workspace_id, ids))
    if after:
        query = query.where(tuple_(QrCode.created_at, QrCode.id) > (_parse_time(after[0]), after[1]))
    return db.session.scalars(query.order_by(QrCode.created_at, QrCode.id).limit(limit)).all()


def _scans_after(workspace_id, after, limit):
    query = scans_query(workspace_id)
    if after:
        query = query.where(ScanEvent.id > after)
    return db.session.execute(query.limit(limit)).all()


def _parse_time(value):
    return datetime.fromisoformat(value)


def export_codes(run):
    base_url = current_app.config["PUBLIC_BASE_URL"]
    ids = run.payload.get("ids")
    total = db.session.scalar(select(func.count()).select_from(QrCode)
                              .where(*_selected(run.workspace_id, ids)))

    def chunk(after, limit):
        codes = _codes_after(run.workspace_id, after, limit, ids)
        last = [codes[-1].created_at.isoformat(), codes[-1].id] if codes else None
        return code_rows(codes, base_url), last

    return _export(run, "codes", CODE_COLUMNS, total, chunk)


def export_scans(run):
    total = db.session.scalar(select(func.count()).select_from(ScanEvent)
                              .join(QrCode, QrCode.id == ScanEvent.qr_code_id)
                              .where(QrCode.workspace_id == run.workspace_id))

    def chunk(after, limit):
        rows = _scans_after(run.workspace_id, after, limit)
        out = [scan_line(event, slug, title) for event, slug, title in rows]
        return out, (rows[-1][0].id if rows else None)

    return _export(run, "scans", SCAN_COLUMNS, total, chunk)


def export_images(run):
    """Every code of the owner rendered in the chosen format, in one ZIP, a part per chunk."""
    fmt, ids = run.payload["format"], run.payload.get("ids")
    total = db.session.scalar(select(func.count()).select_from(QrCode)
                              .where(*_selected(run.workspace_id, ids)))
    renderer = CodeRenderer(fmt)
    size = current_app.config["BULK_CHUNK_ROWS"]
    state = dict(run.checkpoint or {"parts": 0, "after": None, "done": 0})
    run.progress(state["done"], total=total)
    while codes := _codes_after(run.workspace_id, state["after"], size, ids):
        part = ZipPart(fmt)
        for code in codes:
            part.add(code, renderer.render(code))
        put_part(run.id, "images", state["parts"], part.getvalue())
        state = {"parts": state["parts"] + 1, "done": state["done"] + len(codes),
                 "after": [codes[-1].created_at.isoformat(), codes[-1].id]}
        run.progress(state["done"], checkpoint=state)
    entry = join_zip_parts(run.id, "images", state["parts"],
                           f"scanlink-images-{date.today().isoformat()}-{fmt}.zip")
    return {"rows": state["done"], "format": fmt, "files": {"zip": entry}}


def _export(run, name, columns, total, chunk):
    size = current_app.config["EXPORT_CHUNK_ROWS"]
    state = dict(run.checkpoint or {"parts": 0, "after": None, "done": 0})
    run.progress(state["done"], total=total)
    while True:
        rows, last = chunk(state["after"], size)
        if not rows:
            break
        put_part(run.id, name, state["parts"], encode_rows(rows))
        state = {"parts": state["parts"] + 1, "after": last, "done": state["done"] + len(rows)}
        run.progress(state["done"], checkpoint=state)
    filename = f"scanlink-{name}-{date.today().isoformat()}.csv"
    entry = join_parts(run.id, name, state["parts"], filename, "text/csv; charset=utf-8",
                       head=header(columns))
    return {"rows": state["done"], "files": {"csv": entry}}
