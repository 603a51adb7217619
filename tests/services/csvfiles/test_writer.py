"""CSV we hand out cannot run as a spreadsheet formula."""
import csv
import io
from datetime import datetime, timezone

import pytest

from webapp.services.csvfiles.writer import BOM, encode_rows, header, safe_cell


@pytest.mark.parametrize("value, expected", [
    ("=1+2", "'=1+2"),
    ("+33 1 23 45 67 89", "'+33 1 23 45 67 89"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=cmd", "'\t=cmd"),
    ("\r=cmd", "'\r=cmd"),
    ("Shop window", "Shop window"),
    ("a=b", "a=b"),
    (-3, -3),
    (None, ""),
    (True, "true"),
])
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_rows_round_trip_through_a_csv_reader():
    when = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
    data = header(["title", "n", "at"]) + encode_rows([['He said "hi", twice', 5, when],
                                                       ["=HYPERLINK(\"x\")", -1, None]])
    assert data.startswith(BOM)
    rows = list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))
    assert rows == [["title", "n", "at"], ['He said "hi", twice', "5", "2026-11-30T12:00:00+00:00"],
                    ["'=HYPERLINK(\"x\")", "-1", ""]]
    assert b"\r\n" in data
