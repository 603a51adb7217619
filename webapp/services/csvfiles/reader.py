"""Reading an uploaded CSV for a bulk job: streamed from storage, never held whole.

    source = CsvFile(key, Columns(required=(("target_url", "content"), "kind"),
                                  optional=("title", "slug", "style")))
    info = source.inspect()          # the whole file checked; raises CsvRefused
    for row in source.rows(start=n):  # resume after n data rows
        row.line, row.values, row.problem

`inspect` refuses, with a message naming the line, a file that is empty,
binary, too big, not in its encoding, has an absurd line or a bad quote,
lacks a required column, or has more rows than allowed. After that, `rows`
yields every non-blank data row with the physical line it starts on; a row
whose shape is wrong carries `problem` instead of stopping the file, so the
job can report it and go on.
"""
import csv
import io
import itertools
from dataclasses import dataclass, field

from flask import current_app

from webapp.infra.storage import get_storage
from webapp.models.base import new_id
from webapp.services.csvfiles.checks import ENCODINGS, SAVE_AS, CsvRefused, check_bytes

__all__ = ["Columns", "CsvFile", "CsvInfo", "CsvRefused", "CsvRow", "ENCODINGS", "store_upload"]

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Columns:
    required: tuple = ()  # names; a tuple inside means "one of these"
    optional: tuple = ()
    extra: str = "refuse"  # or "ignore": columns nobody asked for

    def known(self):
        names = [n for item in self.required for n in (item if isinstance(item, tuple) else (item,))]
        return set(names) | set(self.optional)


@dataclass(frozen=True)
class CsvInfo:
    rows: int
    columns: list
    delimiter: str
    encoding: str
    bytes: int


@dataclass(frozen=True)
class CsvRow:
    number: int  # 1 for the first data row
    line: int  # the physical line it starts on (the header is line 1)
    values: dict = field(default_factory=dict)
    problem: str | None = None


def store_upload(stream, max_bytes=None, prefix="uploads"):
    """Copies an uploaded file into storage in chunks, refusing past `max_bytes`. Returns the key."""
    max_bytes = max_bytes or current_app.config["CSV_MAX_BYTES"]
    key = f"{prefix}/{new_id()}.csv"

    def chunks():
        total = 0
        while chunk := stream.read(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise CsvRefused(f"The file is larger than {max_bytes // (1024 * 1024)} MB; split "
                                 "it into several files.")
            yield chunk

    get_storage().put_stream(key, chunks())
    return key


class CsvFile:
    def __init__(self, key, columns, *, encoding="utf-8", max_rows=None, max_bytes=None,
                 max_line_bytes=None, storage=None):
        config = current_app.config
        self.key = key
        self.columns = columns
        self.encoding = encoding
        self.max_rows = max_rows or config["CSV_MAX_ROWS"]
        self.max_bytes = max_bytes or config["CSV_MAX_BYTES"]
        self.max_line_bytes = max_line_bytes or config["CSV_MAX_LINE_BYTES"]
        self.storage = storage or get_storage()
        self.info = None

    def inspect(self):
        with self.storage.open(self.key) as stream:
            self.encoding, self._bom = check_bytes(
                stream, encoding=self.encoding, max_bytes=self.max_bytes,
                max_line_bytes=self.max_line_bytes)
        with self._text() as text:
            delimiter, names = self._read_header(text)
            reader = self._reader(text, delimiter)
            rows = sum(1 for _ in itertools.islice(self._data_rows(reader), self.max_rows + 1))
        if rows > self.max_rows:
            raise CsvRefused(f"The file has more than {self.max_rows:,} rows; split it into "
                             "several files.")
        if rows == 0:
            raise CsvRefused("The file has a header line but no rows.")
        self.info = CsvInfo(rows=rows, columns=names, delimiter=delimiter,
                            encoding=self.encoding, bytes=self.storage.size(self.key))
        return self.info

    def rows(self, start=0):
        """Data rows after the first `start` (for resuming); `inspect` runs first if it has not."""
        info = self.info or self.inspect()
        with self._text() as text:
            self._read_header(text)
            reader = self._reader(text, info.delimiter)
            for number, line, fields in self._data_rows(reader):
                if number > start:
                    yield self._row(number, line, fields, info.columns)

    def _text(self):
        stream = self.storage.open(self.key)
        codec = "utf-8-sig" if self._bom else ENCODINGS[self.encoding]
        return io.TextIOWrapper(stream, encoding=codec, errors="strict", newline="")

    def _reader(self, text, delimiter):
        return csv.reader(text, delimiter=delimiter, strict=True)

    def _read_header(self, text):
        first = text.readline()
        delimiter = max(DELIMITERS, key=first.count)
        try:
            raw = next(csv.reader([first], delimiter=delimiter, strict=True), [])
        except csv.Error as exc:
            raise CsvRefused(f"Line 1 (the header) cannot be read: {exc}.") from None
        names = [name.strip().lower() for name in raw]
        self._check_header(names)
        return delimiter, names

    def _check_header(self, names):
        present = [n for n in names if n]
        expected = ", ".join(sorted(self.columns.known()))
        if not present:
            raise CsvRefused(f"Line 1 should name the columns, e.g. {expected}.")
        duplicates = sorted({n for n in present if present.count(n) > 1})
        if duplicates:
            raise CsvRefused(f"Line 1 names the column {', '.join(duplicates)} twice.")
        missing = [" or ".join(item) if isinstance(item, tuple) else item
                   for item in self.columns.required
                   if not set(item if isinstance(item, tuple) else (item,)) & set(present)]
        if missing:
            raise CsvRefused(f"Missing column: {'; '.join(missing)}. Line 1 has: "
                             f"{', '.join(present)}. Expected columns: {expected}.")
        unknown = [n for n in present if n not in self.columns.known()]
        if unknown and self.columns.extra == "refuse":
            raise CsvRefused(f"Unknown column: {', '.join(unknown)}. Expected columns: "
                             f"{expected}.")

    def _data_rows(self, reader):
        """(number, line, fields) of non-blank rows; a broken quote refuses the file."""
        number = 0
        while True:
            line = reader.line_num + 1 + 1  # the header line was read outside the reader
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvRefused(f"Line {line} cannot be read ({exc}): a quote (\") may be missing "
                                 f"its partner. {SAVE_AS}") from None
            if any(value.strip() for value in fields):
                number += 1
                yield number, line, fields

    def _row(self, number, line, fields, names):
        values, problem = {}, None
        if len(fields) > len(names) and any(v.strip() for v in fields[len(names):]):
            problem = f"has {len(fields)} values but the header names {len(names)} columns"
        known = self.columns.known()
        for index, name in enumerate(names):
            if name in known:
                values[name] = fields[index].strip() if index < len(fields) else ""
        return CsvRow(number=number, line=line, values=values, problem=problem)
