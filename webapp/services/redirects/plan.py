"""The stored redirect settings compiled for the scan path, and the UTM merge.

`compile_plan` runs when a slug is loaded into the cache (once per code and
cache lifetime, not per scan): targets get their UTM parameters and become the
URIs of a Location header, instants become POSIX seconds, hours minutes, time
zones are checked, split weights become cumulative bounds. What it returns is
plain tuples, so it pickles small into the slug's cache entry.
"""
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from werkzeug.urls import iri_to_uri

from webapp.services.redirects.rules import UTM_FIELDS, minutes

DEFAULT = "default"  # the code's own target (a scan row stores it as '': services/scans/writes.py)
EXPIRED = "expired"


def merge_utm(url, utm):
    """`url` with utm_<name>=value added for each UTM field, keeping any utm_* parameter
    the URL already has (the target's author chose it) and everything else as it is."""
    if not utm:
        return url
    parts = urlsplit(url)
    present = {name for name, _ in parse_qsl(parts.query, keep_blank_values=True)}
    extra = [(f"utm_{name}", utm[name]) for name in UTM_FIELDS
             if utm.get(name) and f"utm_{name}" not in present]
    if not extra:
        return url
    query = parts.query + ("&" if parts.query else "") + urlencode(extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _location(url, utm):
    return iri_to_uri(merge_utm(url, utm))


def _seconds(instant):
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp()


def compile_when(when):
    """A rule's conditions as a tuple of (name, value) ready for `evaluate`."""
    compiled = []
    for name in ("device", "os", "language", "country"):
        if name in when:
            compiled.append((name, frozenset(when[name])))
    for name in ("after", "before"):
        if name in when:
            compiled.append((name, _seconds(when[name])))
    if "weekdays" in when or "hours" in when:
        hours = tuple(minutes(v) for v in when["hours"]) if "hours" in when else None
        weekdays = frozenset(when["weekdays"]) if "weekdays" in when else None
        compiled.append(("local", (when.get("timezone") or "UTC", weekdays, hours)))
    if "query" in when:
        compiled.append(("query", tuple(sorted(when["query"].items(), key=lambda kv: kv[0]))))
    return tuple(compiled)


def compile_plan(redirect, target_url, max_scans=None, expired_url=None):
    """(rules, split, default location, max_scans, expired location) for the cache, or None
    for a code that only ever goes to its target (the common case: nothing to decide)."""
    redirect = redirect or {}
    if not (redirect or max_scans is not None or expired_url):
        return None
    utm = redirect.get("utm")
    rules = tuple((compile_when(rule["when"]), _location(rule["target_url"], utm), f"rule:{n}")
                  for n, rule in enumerate(redirect.get("rules", ()), start=1))
    split = None
    if redirect.get("split"):
        bounds, total = [], 0
        for variant in redirect["split"]:
            total += variant["weight"]
            bounds.append(total)
        split = (tuple(bounds), tuple(_location(v["target_url"], utm) for v in redirect["split"]))
    default = _location(target_url, utm) if target_url else None
    expired = iri_to_uri(expired_url) if expired_url else None
    return (rules, split, default, max_scans, expired)
