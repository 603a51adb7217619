"""Creating and changing codes from a CSV, as background jobs.

- `uploads.start_bulk_create` / `start_bulk_update`: check the whole file while the
  uploader waits, store it, submit the job.
- `create.run_bulk_create(run)` / `update.run_bulk_update(run)`: the job bodies
  (workers/bulk.py), a chunk per transaction with its checkpoint (`chunks`).
- `row_errors.RowErrors`: refused rows, counted and written to a CSV to fix and re-upload.
- `presets.Presets`: the `style` column, by preset name.
"""
