"""The byte-level checks an uploaded CSV passes before any row is read.

One streamed pass over the file: not empty, not too big, not a binary file
(an Excel workbook, an image), no absurdly long line, and text in the chosen
encoding throughout. A file that fails is refused with the line to look at.

Why no encoding guessing: a product list is short text, and telling
Windows-1252 from ISO-8859-15 or Mac Roman on a few hundred bytes is a coin
toss; a wrong guess silently prints "CafÃ©" on thousands of labels. So the
default is strict UTF-8, a legacy file is refused with the line that gave it
away shown as Windows-1252 (what Excel's plain "CSV" is almost always), and
the uploader can say "this is Windows-1252" to have it decoded as such.
"""
import codecs

from webapp.services import ServiceError

READ_CHUNK = 64 * 1024

# The `encoding` an uploader may choose, and the codec that reads it.
ENCODINGS = {"utf-8": "utf-8", "windows-1252": "cp1252", "latin-1": "latin-1"}

SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
)
UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)
SAVE_AS = 'Save it from your spreadsheet as "CSV UTF-8 (comma delimited)" and upload that.'


class CsvRefused(ServiceError):
    status = 422
    code = "invalid_csv"


def check_bytes(stream, *, encoding, max_bytes, max_line_bytes):
    """Reads the whole stream once. Returns (encoding, has_utf8_bom); raises CsvRefused."""
    first = stream.read(READ_CHUNK)
    if not first.strip():
        raise CsvRefused("The file is empty." if not first else "The file has no text in it.")
    for bom, name in UNICODE_BOMS:
        if first.startswith(bom):
            raise CsvRefused(f"This file is {name} text, which we do not read. {SAVE_AS}")
    for signature, what in SIGNATURES:
        if first.startswith(signature):
            raise CsvRefused(f"This is {what}, not a CSV file. {SAVE_AS}")
    has_bom = first.startswith(codecs.BOM_UTF8)
    if has_bom:
        encoding = "utf-8"  # the BOM says so, whatever was chosen
    codec = ENCODINGS.get(encoding)
    if codec is None:
        raise CsvRefused(f"Unknown encoding {encoding!r}; choose one of {', '.join(ENCODINGS)}.")
    scanner = _Scanner(codec, max_line_bytes)
    size, chunk = 0, first
    while chunk:
        size += len(chunk)
        if size > max_bytes:
            raise CsvRefused(f"The file is larger than {max_bytes // (1024 * 1024)} MB; split it "
                             "into several files.")
        scanner.feed(chunk)
        chunk = stream.read(READ_CHUNK)
    scanner.finish()
    return encoding, has_bom


class _Scanner:
    """Line lengths, NUL bytes and decoding, chunk by chunk, with line numbers."""

    def __init__(self, codec, max_line_bytes):
        self.codec = codec
        self.decoder = codecs.getincrementaldecoder(codec)("strict")
        self.max_line = max_line_bytes
        self.line = 1  # line number at the start of the current chunk
        self.run = 0  # bytes since the last line break

    def feed(self, chunk):
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise CsvRefused(f"Line {self._line_at(chunk, nul)} contains binary data (a NUL byte): "
                             f"this is not a text CSV file. {SAVE_AS}")
        segments = chunk.replace(b"\r", b"\n").split(b"\n")
        longest = self.run + len(segments[0])
        if len(segments) > 1:
            longest = max(longest, max(len(segment) for segment in segments[1:]))
        if longest > self.max_line:
            raise CsvRefused(f"Line {self._long_line(segments)} is longer than "
                             f"{self.max_line // 1024} KB. A CSV row should be one short line per "
                             "code; is this really the file you meant?")
        self.run = self.run + len(segments[0]) if len(segments) == 1 else len(segments[-1])
        pending = len(self.decoder.getstate()[0])
        try:
            self.decoder.decode(chunk, final=False)
        except UnicodeDecodeError as exc:
            self._refuse_encoding(chunk, max(exc.start - pending, 0))
        self.line += chunk.count(b"\n")

    def finish(self):
        try:
            self.decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise CsvRefused("The file ends in the middle of a character: it was cut short or "
                             f"is not {self.codec.upper()} text. {SAVE_AS}") from None

    def _line_at(self, chunk, offset):
        return self.line + chunk.count(b"\n", 0, offset)

    def _long_line(self, segments):
        if self.run + len(segments[0]) > self.max_line:
            return self.line
        for number, segment in enumerate(segments[1:], start=1):
            if len(segment) > self.max_line:
                return self.line + number
        return self.line

    def _refuse_encoding(self, chunk, offset):
        line = self._line_at(chunk, offset)
        if self.codec != "utf-8":
            raise CsvRefused(f"Line {line} has the byte 0x{chunk[offset]:02X}, which "
                             f"{self.codec} does not define. Is this the right encoding?")
        start = chunk.rfind(b"\n", 0, offset) + 1
        end = chunk.find(b"\n", offset)
        text = chunk[start:end if end >= 0 else len(chunk)].decode("cp1252", "replace").strip()
        sample = text if len(text) <= 60 else text[:57] + "…"
        raise CsvRefused(
            f"This file is not UTF-8: line {line} has the byte 0x{chunk[offset]:02X}. It was "
            f"probably saved as Windows-1252 / Latin-1 (Excel's plain \"CSV\"), where that line "
            f"reads: {sample!r}. {SAVE_AS} Or, if that line reads right, choose the encoding "
            "Windows-1252.",
            fields={"encoding": "Not UTF-8; try Windows-1252."})
