"""The strict JSON parser of request bodies, on its own (the API walk is in
tests/views/api/test_json_bodies.py)."""
import time

import pytest
from werkzeug.exceptions import BadRequest

from webapp.services import ServiceError
from webapp.web.json_input import MAX_DEPTH, loads, nesting_too_deep


@pytest.mark.parametrize("text, deep", [
    ("[" * MAX_DEPTH + "]" * MAX_DEPTH, False),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), True),
    ('{"a":' * MAX_DEPTH + "1" + "}" * MAX_DEPTH, False),
    ('{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), True),
    ("[[]," * MAX_DEPTH + "]" * MAX_DEPTH, True),  # no long run of openers, still 65 deep
    ("[[]," * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1), False),
    ("[" * 100000, True),  # never closed: as deep for a recursive parser
    ("[" * MAX_DEPTH, False),  # a syntax error for json to report
    ('["' + "[" * 1000 + '"]', False),  # brackets in a string are text
    ('["\\"' + "[" * 1000 + '"]', False),  # so are they after an escaped quote
    ('["\\\\"' * 100, True),  # an escaped backslash ends the string: 100 arrays open
    ("[1]," * 10000, False),
])
def test_depth_counts_brackets_outside_strings(text, deep):
    assert nesting_too_deep(text) is deep


def test_the_depth_check_of_a_large_body_stays_linear():
    """Well under a second each here; the bound is loose for a busy machine, and still
    far below what a check quadratic in the size (or in the depth) would take."""
    for text in ("[" * 5_000_000, "[1]," * 1_000_000, "[" * 500_000 + "]" * 500_000,
                 "[[]," * 1_000_000 + "]" * 1_000_000):
        started = time.perf_counter()
        assert nesting_too_deep(text) is (text[1] != "1")
        assert time.perf_counter() - started < 10


@pytest.mark.parametrize("body, status, message", [
    ('{"title": "x\\ud800y"}', 400, "“title” holds a lone UTF-16 surrogate (\\ud800)"),
    ('{"a": [1, {"b": "\\udfff"}]}', 400, "“a.1.b” holds a lone UTF-16 surrogate (\\udfff)"),
    ('["\\udc00"]', 400, "“0” holds a lone UTF-16 surrogate"),
    ('"\\ud800"', 400, "“body” holds a lone UTF-16 surrogate"),
    ('{"\\ud800": 1}', 400, "(a key)” holds a lone UTF-16 surrogate"),
    ('{"title": "x\\u0000"}', 422, "“title” holds a NUL character"),
    (b'{"title": "\xed\xa0\x80"}', 400, "not valid UTF-8"),  # a surrogate encoded as UTF-8
    (b'{"title": "\xff"}', 400, "not valid UTF-8"),
    ('{"a":' * 5000, 400, "more than 64 deep"),
])
def test_what_no_column_or_encoder_could_take_is_refused_with_where_it_is(body, status, message):
    with pytest.raises((BadRequest, ServiceError)) as refused:
        loads(body)
    error = refused.value
    assert getattr(error, "code", None) == status or getattr(error, "status", None) == status
    text = getattr(error, "description", None) or error.message
    assert message in text


def test_refusals_are_not_value_errors_that_get_json_silent_would_swallow():
    for body in ('{"t": "\\ud800"}', '{"t": "\\u0000"}', "[" * 1000):
        with pytest.raises(Exception) as refused:
            loads(body)
        assert not isinstance(refused.value, ValueError)


def test_valid_text_passes_as_json_reads_it():
    assert loads('{"t": "Caf\\u00e9 \\ud83d\\ude00", "n": [1, 2.5, null, true]}') == \
        {"t": "Café 😀", "n": [1, 2.5, None, True]}
    assert loads("[1]".encode("utf-16")) == [1]  # as json.loads, it reads UTF-16 and -32 too


def test_a_syntax_error_is_still_a_value_error():
    with pytest.raises(ValueError):
        loads('{"a": [}')
