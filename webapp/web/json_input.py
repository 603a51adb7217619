"""JSON request bodies that nothing could use, refused with a 4xx and a clear message.

Every `request.get_json()` / `request.json` of the app parses through
`StrictJsonProvider` (Flask gives each request `app.json`), so the checks hold wherever
JSON is read. Python's json accepts three things that break later, far from the parser:

- a lone UTF-16 surrogate (`"\\ud800"`) becomes a str that no codec can encode: the
  database driver, the QR encoder and the JSON answer all fail on it with a 500;
- NUL (`"\\u0000"`) is valid JSON that PostgreSQL refuses in text and jsonb;
- deep nesting (`[` × 100000) makes the C scanner recurse until RecursionError.

Depth is measured before parsing (catching RecursionError would leave the limit to the
interpreter, and the parser may already have recursed a long way); strings are checked
after it, because the escapes are only resolved by parsing.
"""
import json
import re

from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

from webapp.services import ServiceError

MAX_DEPTH = 64

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_AS_PARENS = str.maketrans("[{]}", "(())")
_FORBIDDEN = re.compile("[\x00\ud800-\udfff]")


class InvalidJson(BadRequest):
    """Not a ValueError on purpose (nor is ServiceError): `get_json(silent=True)` must not
    swallow the reason."""


def nesting_too_deep(text, limit=MAX_DEPTH):
    """Whether arrays and objects nest deeper than `limit` (or open more than `limit`
    that never close, which is as deep for a recursive parser).

    Only the brackets outside strings count, as `(` and `)`. A run of more than `limit`
    openers is too deep at once (the usual attack, found by one C-speed search). Else each
    pass removes every innermost `()` pair, so a pair still there after `limit` passes
    encloses more than `limit` levels; a flat body needs one pass whatever its size.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_AS_PARENS)
    too_many = "(" * (limit + 1)
    for _ in range(limit):
        if too_many in brackets:
            return True
        if "()" not in brackets:
            break
        brackets = brackets.replace("()", "")
    return "()" in brackets or brackets.count("(") > limit


def forbidden_character(value, path=""):
    """(where, character) of the first lone surrogate or NUL in a parsed document, else None.

    The document is at most MAX_DEPTH deep by now, so recursing is safe."""
    if isinstance(value, str):
        found = _FORBIDDEN.search(value)
        return (path or "body", found.group()) if found else None
    if isinstance(value, dict):
        for key in value:
            found = _FORBIDDEN.search(key)
            if found:
                return f"{_step(path, key)} (a key)", found.group()
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        found = forbidden_character(item, _step(path, key))
        if found:
            return found
    return None


def _step(path, key):
    key = str(key).encode("utf-8", "backslashreplace").decode()[:40]
    return f"{path}.{key}" if path else key


def nul_refusal(where):
    """A NUL is well-formed input that cannot be kept: a 422, as the services answer."""
    message = f"“{where}” holds a NUL character (\\u0000), which cannot be stored: remove it."
    return ServiceError(message, fields={where: "holds a NUL character"}, status=422,
                        code="invalid")


def refusal(where, character):
    """A lone surrogate is not text at all: a 400."""
    if character == "\x00":
        return nul_refusal(where)
    return InvalidJson(f"“{where}” holds a lone UTF-16 surrogate (\\u{ord(character):04x}), "
                       "which is not a character: send text as valid Unicode.")


def loads(data, **kwargs):
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode(json.detect_encoding(data))
        except UnicodeDecodeError:
            raise InvalidJson("The JSON body is not valid UTF-8.") from None
    if nesting_too_deep(data):
        raise InvalidJson(f"The JSON body nests arrays and objects more than {MAX_DEPTH} deep.")
    value = json.loads(data, **kwargs)
    found = forbidden_character(value)
    if found:
        raise refusal(*found)
    return value


class StrictJsonProvider(DefaultJSONProvider):
    """Flask parses every request body (and its own session cookie) through `app.json`."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)
