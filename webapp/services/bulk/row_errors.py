"""The rows an import could not use: a count, the first few, and a CSV of them all.

The CSV repeats each refused row's own values after its line number and
reason, so the uploader can fix just those rows and upload that file again.
Its state travels in the job's checkpoint: a chunk redone after a crash
rewrites its own part, so every refused row is listed once.

    errors = RowErrors(run.id, columns, state=checkpoint.get("errors"))
    errors.add(row.line, "target_url: not a web address", row.values)
    run.progress(done, checkpoint={..., "errors": errors.end_chunk()}, row_errors=errors.summary())
    ...
    run.settle_row_errors(errors.finish())  # joins the parts; stored when the job completes
"""
from webapp.services.csvfiles.writer import encode_rows, header
from webapp.services.jobs.files import join_parts, put_part

SAMPLE_SIZE = 20
PART_NAME = "errors"


class RowErrors:
    def __init__(self, job_id, columns, state=None):
        self.job_id = job_id
        self.columns = list(columns)
        state = state or {}
        self.count = state.get("count", 0)
        self.sample = list(state.get("sample", []))
        self.parts = state.get("parts", 0)
        self._chunk = []

    def add(self, line, message, values=None):
        values = values or {}
        self.count += 1
        if len(self.sample) < SAMPLE_SIZE:
            self.sample.append({"line": line, "message": message})
        self._chunk.append([line, message, *(values.get(name, "") for name in self.columns)])

    def end_chunk(self):
        """Writes this chunk's errors as a part; returns the state for the checkpoint."""
        if self._chunk:
            put_part(self.job_id, PART_NAME, self.parts, encode_rows(self._chunk))
            self.parts += 1
            self._chunk = []
        return {"count": self.count, "sample": self.sample, "parts": self.parts}

    def summary(self, key=None):
        """What `BackgroundJob.row_errors` holds (and the API shows)."""
        return {"count": self.count, "sample": self.sample, "key": key}

    def finish(self, filename="errors.csv"):
        """Joins the parts into one CSV (when any row was refused); returns the summary."""
        self.end_chunk()
        if not self.count:
            return self.summary()
        entry = join_parts(self.job_id, PART_NAME, self.parts, filename, "text/csv; charset=utf-8",
                           head=header(["line", "error", *self.columns]))
        return self.summary(entry["key"])
