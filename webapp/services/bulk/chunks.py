"""What every bulk job does around its own work: read its upload a chunk at a time from
where its checkpoint says, and at the end settle the refused rows and drop the upload."""
import itertools

from flask import current_app

from webapp.infra.storage import get_storage
from webapp.services.bulk.row_errors import RowErrors
from webapp.services.csvfiles.reader import CsvFile
from webapp.services.signals import after_commit


def resume(run, columns, fresh_state):
    """(rows in the file, the state to go on from, an iterator of chunks of rows)."""
    payload = run.payload
    source = CsvFile(payload["upload_key"], columns, encoding=payload["encoding"])
    info = source.inspect()
    state = dict(run.checkpoint or fresh_state)
    run.progress(state["done"], total=info.rows)
    rows = source.rows(start=state["done"])
    size = current_app.config["BULK_CHUNK_ROWS"]
    return info.rows, state, iter(lambda: list(itertools.islice(rows, size)), [])


def finish(run, error_columns, state):
    """Joins the refused rows into their file (with the job's completion) and deletes the
    upload once that commits; returns how many rows were refused."""
    errors = RowErrors(run.id, error_columns, state.get("errors"))
    run.settle_row_errors(errors.finish())
    after_commit(get_storage().delete, run.payload["upload_key"])
    return errors.count
