"""Bulk CSV columns for smart redirects, as spreadsheet users manage them.

`ios_url`, `android_url`, `desktop_url`: a rule each (device → URL), after any
rules of the `rules` column; `utm_source` … `utm_content`; `expires_at`,
`max_scans`, `expired_url`; and `rules`, JSON for everything else: a list of rules
(`[{"when": {...}, "target_url": ...}]`) or an object with `rules`, `split` and
`utm` as in the code object. A bad value refuses the row, naming the column.

In a bulk update an empty cell leaves its field alone: filled rule columns (`rules`
and the device URLs) give the code's whole rule list, and filled UTM columns change
those UTM fields only (`utm_for_update`).
"""
import json

from webapp.services import ServiceError
from webapp.services.codes.target_urls import normalise_url
from webapp.services.redirects.rules import UTM_FIELDS

DEVICE_COLUMNS = (("ios_url", "ios"), ("android_url", "android"), ("desktop_url", "desktop"))
UTM_COLUMNS = tuple(f"utm_{name}" for name in UTM_FIELDS)
COLUMNS = ("rules", *(column for column, _ in DEVICE_COLUMNS), *UTM_COLUMNS, "expires_at",
           "max_scans", "expired_url")
MAX_JSON = 64 * 1024


def refuse(column, message):
    return ServiceError(f"{column}: {message}", fields={column: message}, status=422, code="invalid")


def fields_from_row(values):
    """The code object's redirect fields that a row's columns give ({} when none is filled):
    checked later with the rest of the code by `code_from_fields`."""
    filled = {column: (values.get(column) or "").strip() for column in COLUMNS}
    if not any(filled.values()):
        return {}
    data = _json_part(filled["rules"]) if filled["rules"] else {}
    rules = list(data.get("rules") or [])
    for column, device in DEVICE_COLUMNS:
        if filled[column]:
            rules.append({"when": {"device": [device]}, "target_url": _url(filled[column], column)})
    if rules:
        data["rules"] = rules
    utm = dict(data.get("utm") or {})
    utm.update({column[4:]: filled[column] for column in UTM_COLUMNS if filled[column]})
    if utm:
        data["utm"] = utm
    for column in ("expires_at", "max_scans", "expired_url"):
        if filled[column]:
            data[column] = filled[column]
    return data


def _json_part(text):
    if len(text) > MAX_JSON:
        raise refuse("rules", f"the JSON is longer than {MAX_JSON // 1024} KiB")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise refuse("rules", f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    if isinstance(value, list):
        return {"rules": value}
    if isinstance(value, dict) and set(value) <= {"rules", "split", "utm"}:
        return dict(value)
    raise refuse("rules", "give a JSON list of rules, or an object with rules, split and utm")


def _url(value, column):
    try:
        return normalise_url(value, field=column)
    except ServiceError as exc:
        raise refuse(column, exc.fields.get(column, exc.message)) from None


def utm_for_update(fields, code):
    """A bulk update's UTM columns change those fields of the code's UTM, not the others."""
    if "utm" not in fields:
        return fields
    current = dict((code.redirect or {}).get("utm") or {})
    return {**fields, "utm": {**current, **fields["utm"]}}
