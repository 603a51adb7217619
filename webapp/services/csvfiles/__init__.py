"""CSV files in and out, safe both ways.

- `reader.CsvFile`: an uploaded CSV, inspected whole (`inspect`) then read a row at a
  time from storage (`rows`); `checks` are its byte-level checks.
- `writer.encode_rows` / `header`: CSV we hand out, UTF-8 with a BOM, no cell a
  spreadsheet would run as a formula.
"""
