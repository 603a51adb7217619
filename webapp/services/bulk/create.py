"""Bulk create: the job that turns an uploaded CSV into codes, a chunk at a time.

A chunk is one transaction: its codes, its parts of the result files and the
mark that says it is done commit together, so nothing of a chunk cut short
stays. The chunks are shared by every worker on the queue (`fanout`): each
claims the next free one, and a chunk whose worker died is taken over. Each
code also carries its import key, "<job id>:<line>", unique per owner: a chunk
redone for any reason (a run that raced another, a slug taken meanwhile) finds
the codes its line already made instead of making them twice.

Per chunk: one query for the codes already made, one for the custom slugs
taken, one for fresh random slugs, one batched INSERT; each code's drawing is
built once, checked by the scannability gate and then painted into the ZIP.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from webapp.extensions import db
from webapp.models import QrCode
from webapp.services import ServiceError, signals
from webapp.services.bulk import fanout, redirect_columns
from webapp.services.bulk.presets import Presets
from webapp.services.bulk.row_errors import RowErrors
from webapp.services.bulk.uploads import CREATE_COLUMNS
from webapp.services.codes import organise, qrcodes, slugs
from webapp.services.codes.content import payload_of, scan_url
from webapp.services.codes.image_zips import CodeRenderer, ZipPart, image_filename
from webapp.services.csvfiles.writer import encode_rows, header
from webapp.services.jobs.files import join_parts, join_zip_parts, put_part
from webapp.services.webhooks import events

ERROR_COLUMNS = ["kind", "target_url", "content", "title", "slug", "domain", "style", "tags", "folder"]
RESULT_COLUMNS = ["line", "title", "slug", "kind", "target_url", "content", "scan_url", "image"]
FIELD_COLUMNS = {"content_type": "content", "expires_at": None, "active": None}
REDO_LIMIT = 3


HELPER = "workers.bulk.help_create"  # the helpers' job function (fanout.run_chunks)


def run_bulk_create(run):
    payload = run.payload
    work = ChunkWork(ChunkMaker(run.id, run.actor, payload["format"]))
    total, results = fanout.run_chunks(run, CREATE_COLUMNS, work, HELPER, run.claimed_by)
    made = [number for number, result in enumerate(results) if result["created"]]
    files = {}
    if made:
        stem = f"scanlink-codes-{date.today().isoformat()}"
        files["csv"] = join_parts(run.id, "codes", made, f"{stem}.csv",
                                  "text/csv; charset=utf-8", head=header(RESULT_COLUMNS))
        files["zip"] = join_zip_parts(run.id, "images", made, f"{stem}-{payload['format']}.zip")
    failed = fanout.settle(run, ERROR_COLUMNS, results)
    return {"rows": total, "created": sum(result["created"] for result in results),
            "failed": failed, "format": payload["format"], "files": files}


def help_bulk_create(job_id, lease, identity):
    """A helper on another worker: does chunks of the job while its run lasts."""
    return fanout.help_with(job_id, lease, CREATE_COLUMNS,
                            lambda actor, payload: ChunkWork(ChunkMaker(job_id, actor,
                                                                        payload["format"])),
                            identity)


class ChunkWork:
    """One chunk of rows: its codes flushed, its parts of the result files written as its
    number (`fanout.Participant` commits them)."""

    def __init__(self, maker):
        self.maker = maker

    def __call__(self, number, rows, seen=lambda rows: None):
        job_id = self.maker.job_id
        for attempt in range(REDO_LIMIT):
            errors = RowErrors(job_id, ERROR_COLUMNS, {"parts": number})
            try:
                made = self.maker.make(rows, errors, seen)
                break
            except (IntegrityError, OperationalError) as exc:
                # A slug was taken meanwhile (perhaps by a chunk of this file on another
                # worker), or another run made these lines: look again.
                db.session.rollback()
                if attempt == REDO_LIMIT - 1 or not _redo(exc):
                    raise
        if made.count:
            put_part(job_id, "codes", number, encode_rows(made.csv_rows))
            put_part(job_id, "images", number, made.zip_bytes)
        errors.end_chunk()
        return {"created": made.count, "errors": errors.count, "sample": errors.sample}


def _redo(exc):
    """A unique key taken, or PostgreSQL's deadlock between two chunks inserting the same
    custom slugs in opposite orders."""
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "pgcode", None) == "40P01"


def reason(exc):
    """The refusal as one line of the error CSV, led by the column to fix."""
    field = next(iter(exc.fields), "") if exc.fields else ""
    column = FIELD_COLUMNS.get(field, field.split(".")[0])
    if column in ERROR_COLUMNS:
        return f"{column}: {exc.message}"
    named = not field or exc.message.startswith(field.split(".")[0].split("[")[0])
    return exc.message if named else f"{field}: {exc.message}"


@dataclass
class Planned:
    row: object
    code: QrCode
    slug: str | None
    look: tuple  # (Style, logo image or None, style JSON)
    tags: list


def _domain_id(item):
    return item.code.domain.id if item.code.domain is not None else None


@dataclass
class Made:
    count: int
    csv_rows: list
    zip_bytes: bytes


class ChunkMaker:
    def __init__(self, job_id, actor, fmt):
        self.job_id = job_id
        self.workspace_id = actor.workspace_id
        self.presets = Presets(actor)
        self.renderer = CodeRenderer(fmt)
        self.fmt = fmt

    def key(self, row):
        return f"{self.job_id}:{row.line}"

    def make(self, rows, errors, seen):
        """Creates the chunk's good rows (flushed, not committed); records the bad ones.
        `seen(n)`: n rows gone through, the gate being most of a row's time."""
        existing = self._existing([self.key(row) for row in rows])
        done, planned = [], []
        for row in rows:
            if row.problem:
                errors.add(row.line, row.problem, row.values)
            elif self.key(row) in existing:
                done.append((row, existing[self.key(row)], None))
            else:
                try:
                    planned.append(self._plan(row))
                except ServiceError as exc:
                    errors.add(row.line, reason(exc), row.values)
        new, kept = [], self._with_slugs(planned, errors)
        for at, item in enumerate(kept, start=len(rows) - len(kept)):
            seen(at)
            style, logo, style_json = item.look
            item.code.slug = item.slug
            try:
                drawing, verdict = qrcodes.gated(payload_of(item.code), style, logo, remember=False)
            except ServiceError as exc:
                errors.add(item.row.line, reason(exc), item.row.values)
                continue
            item.code.style, item.code.scannable = style_json, True
            item.code.scan_report = verdict.report
            item.code.import_key = self.key(item.row)
            new.append(item.code)
            done.append((item.row, item.code, (drawing, style)))
        # Painted before the INSERT: the rows' locks (and SQLite's write lock) are then held
        # only for the INSERT and the commit, not while the images are drawn.
        files = self._files(sorted(done, key=lambda entry: entry[0].line))
        db.session.add_all(new)
        db.session.flush()
        made, by_tags = {id(code) for code in new}, defaultdict(list)
        for item in planned:  # one tagging per set of tags, not one per row
            if item.tags and id(item.code) in made:
                by_tags[tuple(item.tags)].append(item.code)
        for names, codes in by_tags.items():
            organise.add_tags(self.workspace_id, codes, list(names))
        with events.one_lookup():
            for code in new:
                signals.code_created.send(code)
        return files

    def _existing(self, keys):
        codes = db.session.scalars(select(QrCode).where(QrCode.workspace_id == self.workspace_id,
                                                        QrCode.import_key.in_(keys)))
        return {code.import_key: code for code in codes}

    def _plan(self, row):
        values = row.values
        data = {"kind": values.get("kind", "").lower(), "title": values.get("title", "")}
        for field in ("target_url", "content", "domain", "folder", "tags"):
            if values.get(field):
                data[field] = values[field]
        data.update(redirect_columns.fields_from_row(values))
        code = qrcodes.code_from_fields(self.workspace_id, data)
        slug = slugs.clean_custom_slug(values["slug"]) if values.get("slug") else None
        return Planned(row, code, slug, self.presets.look(values.get("style", "")),
                       organise.check_tags(data.get("tags")))

    def _with_slugs(self, planned, errors):
        """Custom slugs that are free (one query per domain in the chunk); random ones for
        the rest (one more per domain). Slugs are unique per domain."""
        holders, claimed, kept = {}, {}, []
        for domain_id in {_domain_id(item) for item in planned if item.slug}:
            holders[domain_id] = slugs.codes_with_slugs(
                [item.slug for item in planned if item.slug and _domain_id(item) == domain_id], domain_id)
        for item in planned:
            if item.slug:
                domain_id = _domain_id(item)
                held = holders[domain_id]
                line = claimed.get((domain_id, item.slug)) or self._line_of(held.get(item.slug))
                if line:
                    errors.add(item.row.line, f"slug: line {line} of this file already uses "
                                              f"“{item.slug}”; choose another.", item.row.values)
                    continue
                if item.slug in held:
                    errors.add(item.row.line, reason(slugs.taken(item.slug)), item.row.values)
                    continue
                claimed[(domain_id, item.slug)] = item.row.line
            kept.append(item)
        random = defaultdict(list)
        for item in kept:
            if not item.slug:
                random[_domain_id(item)].append(item)
        for domain_id, items in random.items():
            for item, slug in zip(items, slugs.unused_random_slugs(len(items), domain_id)):
                item.slug = slug
        return kept

    def _line_of(self, import_key):
        prefix = f"{self.job_id}:"
        return int(import_key[len(prefix):]) if import_key and import_key.startswith(prefix) else None

    def _files(self, done):
        part, csv_rows = ZipPart(self.fmt), []
        for row, code, gated in done:
            data = (self.renderer.render_drawing(code, *gated) if gated
                    else self.renderer.render(code))
            part.add(code, data)
            dynamic = code.kind == "dynamic"
            csv_rows.append([row.line, code.title, code.slug, code.kind, code.target_url,
                             None if dynamic else code.content,
                             scan_url(code.slug, code.domain and code.domain.hostname) if dynamic else None,
                             image_filename(code, self.fmt)])
        return Made(count=len(done), csv_rows=csv_rows, zip_bytes=part.getvalue())
