"""A user's data as files.

- `export_jobs.start_export(workspace_id, what)`: a job builds the file chunk by chunk
  (`export_codes`, `export_scans`, `export_images`, run by workers/exports.py).
- `streams`: the same data streamed straight to the response while it is small
  (`codes_ndjson`, `codes_csv`, `scans_csv`, `fits_in_a_stream`).
- `scan_csv.scan_rows`: one code's scans in a date range, for its analytics page.
"""
