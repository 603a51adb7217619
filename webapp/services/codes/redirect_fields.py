"""A dynamic code's smart-redirect fields in the code object: rules, split, utm,
max_scans and expired_url (expires_at is the code's own, in `content`).

The API, the editor and bulk CSV all pass through `redirect_changes`, so each is
held to the same checks (`services.redirects.rules`, and the target URL rules for
every URL in them).
"""
from webapp.services.codes.content import invalid
from webapp.services.codes.target_urls import normalise_url
from webapp.services.redirects import rules

PARTS = ("rules", "split", "utm")
FIELDS = frozenset(PARTS + ("max_scans", "expired_url"))
MAX_SCANS = 10**12


def check_max_scans(value):
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SCANS:
        raise invalid("max_scans", "max_scans is a whole number of scans, at least 1 (or null for "
                                   "no limit).")
    return value


def check_expired_url(value):
    return None if value in (None, "") else normalise_url(value, field="expired_url")


def redirect_changes(code, data):
    """{column: new value} for the redirect fields in `data` (a create or change request);
    422 naming the field for anything wrong, before anything is changed."""
    given = FIELDS.intersection(data)
    if not given:
        return {}
    if code.kind != "dynamic":
        field = sorted(given)[0]
        raise invalid(field, f"{field} is for dynamic codes: a static code holds its content.")
    new = {}
    if given.intersection(PARTS):
        current = dict(code.redirect or {})
        current.update({part: data[part] for part in PARTS if part in data})
        new["redirect"] = rules.clean(current, normalise_url)
    if "max_scans" in data:
        new["max_scans"] = check_max_scans(data["max_scans"])
        if new["max_scans"] is None:
            new["limit_used"] = 0  # a limit set again later counts from then
    if "expired_url" in data:
        new["expired_url"] = check_expired_url(data["expired_url"])
    return new


def redirect_dict(code):
    """The redirect fields of the code object (dynamic codes)."""
    redirect = code.redirect or {}
    return {"rules": redirect.get("rules", []), "split": redirect.get("split", []),
            "utm": redirect.get("utm", {}), "max_scans": code.max_scans,
            "expired_url": code.expired_url}
