"""Starting a bulk job from an uploaded CSV: stored, checked whole, and refused at once.

A file that cannot be used (empty, binary, wrong columns, not in its encoding,
too big or too long) is refused while the uploader waits, with the line to
look at, and nothing is queued. A file that passes becomes a job on the low
queue; from then on, a bad row is reported by the job, and the good rows are
made.
"""
from webapp.infra.storage import get_storage
from webapp.services import ServiceError
from webapp.services.bulk import redirect_columns
from webapp.services.codes.image_zips import check_format
from webapp.services.csvfiles.reader import ENCODINGS, Columns, CsvFile, CsvRefused, store_upload
from webapp.services.jobs import queues

CREATE_COLUMNS = Columns(required=(("target_url", "content"), "kind"),
                         optional=("title", "slug", "domain", "style", "tags", "folder",
                                   *redirect_columns.COLUMNS))
UPDATE_FIELDS = ("target_url", "title", "active", "tags", "folder", *redirect_columns.COLUMNS)
# `domain` says which code: slugs are unique per domain (blank: the code of that slug,
# if only one domain has it).
UPDATE_COLUMNS = Columns(required=("slug",), optional=("domain", *UPDATE_FIELDS))


def check_encoding(encoding):
    encoding = (encoding or "utf-8").strip().lower()
    if encoding not in ENCODINGS:
        message = f"Choose the file's encoding: {', '.join(ENCODINGS)}."
        raise ServiceError(message, fields={"encoding": message}, status=422, code="invalid")
    return encoding


def accept_csv(stream, columns, encoding):
    """(storage key, CsvInfo) of an upload that passed every whole-file check."""
    if stream is None:
        message = "Choose a CSV file to upload."
        raise ServiceError(message + " (multipart field `file`)", fields={"file": message},
                           status=400, code="no_file")
    encoding = check_encoding(encoding)
    key = store_upload(stream)
    try:
        info = CsvFile(key, columns, encoding=encoding).inspect()
    except CsvRefused:
        get_storage().delete(key)
        raise
    return key, info


def start_bulk_create(actor, stream, encoding="utf-8", fmt="png"):
    """Checks the upload and submits the job (which commits). Returns the job row."""
    fmt = check_format(fmt)
    key, info = accept_csv(stream, CREATE_COLUMNS, encoding)
    return queues.submit("bulk.create", actor, payload={
        "upload_key": key, "encoding": info.encoding, "format": fmt, "rows": info.rows})


def start_bulk_update(actor, stream, encoding="utf-8"):
    key, info = accept_csv(stream, UPDATE_COLUMNS, encoding)
    if not set(info.columns) & set(UPDATE_FIELDS):
        get_storage().delete(key)
        raise CsvRefused("Line 1 names only the code: add a column for what to change "
                         f"({', '.join(UPDATE_FIELDS[:5])}, or a redirect column such as ios_url).")
    return queues.submit("bulk.update", actor, payload={
        "upload_key": key, "encoding": info.encoding, "rows": info.rows})
