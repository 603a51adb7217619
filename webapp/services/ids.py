"""Ids from URLs and JSON are checked for shape before they reach a query.

PostgreSQL refuses text with NUL bytes with an error, not an empty result, so a
malformed id must be turned away here, as the 404 it is.
"""
import re

_ID = re.compile(r"^[0-9a-z]{26}$")


def looks_like_id(value):
    return isinstance(value, str) and bool(_ID.match(value))


def has_nul(value):
    """True for text (or text inside dicts) holding a NUL character, which no column stores."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    return False
