"""CSV we hand out: UTF-8 with a BOM (so Excel reads it as UTF-8), RFC 4180 line
ends, and no cell a spreadsheet would run as a formula."""
import csv
import io
from datetime import datetime

BOM = "\ufeff".encode()
# A spreadsheet treats a cell starting with these as a formula (=HYPERLINK(...),
# +cmd|..., -2+3, @SUM(...)); tab and carriage return hide the same trick.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as text, with a leading apostrophe where a spreadsheet would see a formula.

    Numbers we write ourselves are left alone: -3 is a number, not an attack.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def encode_rows(rows):
    """Rows (sequences of values) as CSV bytes, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def header(columns, bom=True):
    """The first bytes of a file: the BOM, then the header row."""
    return (BOM if bom else b"") + encode_rows([columns])
