"""Uploaded CSVs: streamed, checked whole before use, refused with the line to look at."""
import io

import pytest

from webapp.infra.storage import get_storage
from webapp.services.csvfiles.reader import Columns, CsvFile, CsvRefused, store_upload

BULK = Columns(required=(("target_url", "content"), "kind"), optional=("title", "slug", "style"))
GOOD = b"target_url,kind,title\nhttps://a.example/1,dynamic,First\nhttps://a.example/2,dynamic,Second\n"


@pytest.fixture
def load(app):
    """Stores the bytes, returns a CsvFile on them (inside an app context)."""
    contexts = []

    def load(data, columns=BULK, **options):
        context = app.app_context()
        context.push()
        contexts.append(context)
        get_storage().put("uploads/test.csv", data)
        return CsvFile("uploads/test.csv", columns, **options)

    yield load
    for context in reversed(contexts):
        context.pop()


def refusal(source):
    with pytest.raises(CsvRefused) as caught:
        source.inspect()
    assert caught.value.status == 422
    return caught.value.message


def test_good_file_yields_rows_with_their_line_numbers(load):
    source = load(GOOD)
    info = source.inspect()
    assert (info.rows, info.columns, info.delimiter, info.encoding) == (
        2, ["target_url", "kind", "title"], ",", "utf-8")
    rows = list(source.rows())
    assert [(r.number, r.line, r.values["title"], r.problem) for r in rows] == [
        (1, 2, "First", None), (2, 3, "Second", None)]


def test_rows_can_resume_after_a_number_of_rows(load):
    source = load(GOOD)
    assert [r.values["title"] for r in source.rows(start=1)] == ["Second"]


def test_quoted_newlines_blank_lines_and_crlf_keep_true_line_numbers(load):
    data = (b'target_url,kind,title\r\n\r\nhttps://a.example/1,dynamic,"Two\r\nlines"\r\n'
            b"   ,  ,  \r\nhttps://a.example/2,dynamic,Third\r\n")
    rows = list(load(data).rows())
    assert [(r.line, r.values["title"]) for r in rows] == [(3, "Two\r\nlines"), (6, "Third")]


def test_bom_is_skipped_and_semicolons_are_understood(load):
    data = "\ufefftarget_url;kind;Title\nhttps://a.example/é;dynamic;Café\n".encode()
    source = load(data)
    info = source.inspect()
    assert info.columns == ["target_url", "kind", "title"] and info.delimiter == ";"
    assert next(source.rows()).values["title"] == "Café"


def test_wrong_columns_are_refused_with_what_was_expected(load):
    message = refusal(load(b"url,type,titel\nhttps://a.example,dynamic,x\n"))
    assert "Missing column: target_url or content; kind" in message
    assert "Line 1 has: url, type, titel" in message


def test_unknown_columns_are_refused_or_ignored_as_asked(load):
    data = b"target_url,kind,price\nhttps://a.example,dynamic,9.99\n"
    assert "Unknown column: price" in refusal(load(data))
    lenient = Columns(required=BULK.required, optional=BULK.optional, extra="ignore")
    assert next(load(data, columns=lenient).rows()).values == {"target_url": "https://a.example",
                                                               "kind": "dynamic"}


def test_duplicate_columns_are_refused(load):
    assert "names the column kind twice" in refusal(load(b"target_url,kind,kind\nx,y,z\n"))


@pytest.mark.parametrize("data, expected", [
    (b"", "The file is empty."),
    (b"\n\n  \n", "no text"),
    (b"target_url,kind\n", "header line but no rows"),
    (b"target_url,kind\n\n,\n", "header line but no rows"),
])
def test_empty_files_are_refused(load, data, expected):
    assert expected in refusal(load(data))


@pytest.mark.parametrize("data, expected", [
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, "Excel .xlsx"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "PNG image"),
    (b"target_url,kind\nhttps://a.example,dyn\x00amic\n", "Line 2 contains binary data"),
    (b"\xff\xfet\x00a\x00", "UTF-16"),
])
def test_binary_files_are_refused(load, data, expected):
    assert expected in refusal(load(data))


def test_a_ten_megabyte_single_line_is_refused_without_reading_it_as_a_row(load):
    data = b"target_url,kind\nhttps://a.example/," + b"x" * (10 * 1024 * 1024) + b"\n"
    message = refusal(load(data, max_bytes=20 * 1024 * 1024))
    assert "Line 2 is longer than 64 KB" in message


def test_latin1_text_is_refused_with_the_line_and_accepted_when_chosen(load):
    data = "target_url,kind,title\nhttps://a.example,dynamic,Caf\xe9 cr\xe8me\n".encode("latin-1")
    message = refusal(load(data))
    assert "not UTF-8: line 2 has the byte 0xE9" in message
    assert "Café crème" in message and "Windows-1252" in message
    source = load(data, encoding="windows-1252")
    assert next(source.rows()).values["title"] == "Café crème"


def test_a_character_cut_in_half_at_the_end_is_refused(load):
    assert "middle of a character" in refusal(load(GOOD + "é".encode()[:1]))


def test_an_unclosed_quote_is_refused_with_its_line(load):
    data = b'target_url,kind,title\nhttps://a.example,dynamic,"never closed\nhttps://b.example,dynamic,x\n'
    assert "Line 2 cannot be read" in refusal(load(data))


def test_row_and_size_limits(load):
    many = b"target_url,kind\n" + b"".join(b"https://a.example/%d,dynamic\n" % n for n in range(6))
    assert "more than 5 rows" in refusal(load(many, max_rows=5))
    assert load(many, max_rows=6).inspect().rows == 6
    assert "larger than 1 MB" in refusal(load(b"target_url,kind\n" + b"x,y\n" * 300_000,
                                              max_bytes=1024 * 1024))


def test_a_row_with_too_many_values_is_reported_not_fatal(load):
    data = b"target_url,kind\nhttps://a.example,dynamic,surprise\nhttps://b.example,dynamic,,\n"
    rows = list(load(data).rows())
    assert rows[0].problem == "has 3 values but the header names 2 columns"
    assert rows[1].problem is None  # trailing empty cells are harmless
    short = next(load(b"target_url,kind,title\nhttps://a.example\n").rows())
    assert short.values == {"target_url": "https://a.example", "kind": "", "title": ""}


def test_store_upload_streams_into_storage_and_stops_at_the_limit(app):
    with app.app_context():
        key = store_upload(io.BytesIO(GOOD))
        assert get_storage().get(key) == GOOD
        with pytest.raises(CsvRefused, match="larger than 1 MB"):
            store_upload(io.BytesIO(b"x" * (1024 * 1024 + 1)), max_bytes=1024 * 1024)
