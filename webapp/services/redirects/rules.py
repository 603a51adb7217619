"""Checking a code's redirect settings: the stored form, or a 422 naming the field.

The stored form (`clean`'s answer, the code's `redirect` column and what the API
shows) is {"rules": [{"when": {...}, "target_url"}], "split": [{"target_url",
"weight"}], "utm": {source, medium, campaign, term, content}}, each part left
out when empty. Conditions are normalised (lists, lower/upper case, hours as
"HH:MM", instants as UTC "…Z") so that equal settings store equally.
Target URLs are checked by the caller's `check_url` (the code target's own
rules), passed in so that this package stays below services.codes.
"""
import re
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from webapp.services import ServiceError

MAX_RULES = 50
MAX_VARIANTS = 20
MAX_WEIGHT = 1_000_000
MAX_LIST = 50
MAX_QUERY_PARAMS = 10
MAX_TEXT = 200
DEVICES = ("ios", "android", "desktop", "other")
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
CONDITIONS = ("device", "os", "language", "country", "after", "before", "weekdays", "hours",
              "timezone", "query")
_LANGUAGE = re.compile(r"^[a-z]{2,8}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_HOUR = re.compile(r"^(\d{1,2})(?::(\d{2}))?$")


class Invalid(ServiceError):
    """A 422 whose `fields` name the one setting at fault, e.g. "rules[2].when.timezone"."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}", fields={field: message}, status=422, code="invalid")


def clean(data, check_url):
    """The stored form of {"rules", "split", "utm"} (each optional, None to clear), or None
    when nothing is set. `check_url(value, field)` normalises a target or raises."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise Invalid("redirect", "must be an object with rules, split and utm")
    unknown = sorted(set(data) - {"rules", "split", "utm"})
    if unknown:
        raise Invalid(unknown[0], "unknown field")
    result = {}
    if data.get("rules"):
        result["rules"] = clean_rules(data["rules"], check_url)
    if data.get("split"):
        result["split"] = clean_split(data["split"], check_url)
    if data.get("utm"):
        utm = clean_utm(data["utm"])
        if utm:
            result["utm"] = utm
    return result or None


def _objects(value, name, keys, too_many):
    """(field, object) of a list of objects with only `keys`, or Invalid naming the field;
    `too_many(count)`: the message when the list is longer than allowed, else None."""
    shape = "{" + ", ".join(keys) + "}"
    if not isinstance(value, list):
        raise Invalid(name, f"must be a list of {shape}")
    if (message := too_many(len(value))):
        raise Invalid(name, message)
    for index, item in enumerate(value):
        field = f"{name}[{index}]"
        if not isinstance(item, dict):
            raise Invalid(field, f"must be an object {shape}")
        unknown = sorted(set(item) - set(keys))
        if unknown:
            raise Invalid(f"{field}.{unknown[0]}", "unknown field")
        yield field, item


def clean_rules(rules, check_url):
    cleaned = []
    for field, rule in _objects(rules, "rules", ("when", "target_url"), lambda n: (
            f"at most {MAX_RULES} rules ({n} given)" if n > MAX_RULES else None)):
        when = clean_when(rule.get("when"), f"{field}.when")
        cleaned.append({"when": when, "target_url": _url(check_url, rule.get("target_url"),
                                                         f"{field}.target_url")})
    return cleaned


def clean_split(split, check_url):
    cleaned = []
    for field, variant in _objects(split, "split", ("target_url", "weight"), lambda n: (
            f"at most {MAX_VARIANTS} variants" if n > MAX_VARIANTS else None)):
        weight = variant.get("weight", 1)
        if isinstance(weight, str) and weight.strip().isdigit():
            weight = int(weight.strip())
        if isinstance(weight, bool) or not isinstance(weight, int) or not 0 < weight <= MAX_WEIGHT:
            raise Invalid(f"{field}.weight", f"must be a whole number from 1 to {MAX_WEIGHT}")
        cleaned.append({"target_url": _url(check_url, variant.get("target_url"), f"{field}.target_url"),
                        "weight": weight})
    return cleaned


def clean_utm(utm):
    if not isinstance(utm, dict):
        raise Invalid("utm", "must be an object {source, medium, campaign, term, content}")
    unknown = sorted(set(utm) - set(UTM_FIELDS))
    if unknown:
        raise Invalid(f"utm.{unknown[0]}", "unknown field")
    cleaned = {}
    for name in UTM_FIELDS:
        value = utm.get(name)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise Invalid(f"utm.{name}", f"must be text of at most {MAX_TEXT} characters")
        if not value.isprintable():
            raise Invalid(f"utm.{name}", "must not contain control characters")
        cleaned[name] = value.strip()
    return cleaned


def _url(check_url, value, field):
    try:
        return check_url(value, field)
    except ServiceError as exc:
        raise Invalid(field, exc.fields.get(field, exc.message)) from None


def clean_when(when, field):
    if when is None:
        when = {}
    if not isinstance(when, dict):
        raise Invalid(field, "must be an object of conditions")
    unknown = sorted(set(when) - set(CONDITIONS))
    if unknown:
        raise Invalid(f"{field}.{unknown[0]}", "unknown condition")
    out = {}
    if when.get("device") not in (None, [], ""):
        out["device"] = _choices(when["device"], f"{field}.device", DEVICES)
    if when.get("os") not in (None, [], ""):
        out["os"] = [v.lower() for v in _texts(when["os"], f"{field}.os")]
    if when.get("language") not in (None, [], ""):
        out["language"] = _matching(when["language"], f"{field}.language", str.lower, _LANGUAGE,
                                    "a primary language tag such as de or en")
    if when.get("country") not in (None, [], ""):
        out["country"] = _matching(when["country"], f"{field}.country", str.upper, _COUNTRY,
                                   "a two-letter country code such as DE")
    for name in ("after", "before"):
        if when.get(name) not in (None, ""):
            out[name] = _instant(when[name], f"{field}.{name}")
    if "after" in out and "before" in out and out["after"] >= out["before"]:
        raise Invalid(f"{field}.before", "must be later than after: this window can never hold")
    if when.get("weekdays") not in (None, []):
        out["weekdays"] = _weekdays(when["weekdays"], f"{field}.weekdays")
    if when.get("hours") not in (None, []):
        out["hours"] = _hours(when["hours"], f"{field}.hours")
    if when.get("timezone") not in (None, ""):
        out["timezone"] = _zone(when["timezone"], f"{field}.timezone")
    if when.get("query") not in (None, {}):
        out["query"] = _query(when["query"], f"{field}.query")
    return out


def _texts(value, field):
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or len(values) > MAX_LIST:
        raise Invalid(field, f"must be a value or a list of 1 to {MAX_LIST} values")
    if not all(isinstance(v, str) and v.strip() and len(v) <= 64 and v.isprintable() for v in values):
        raise Invalid(field, "every value must be short text")
    return [v.strip() for v in values]


def _choices(value, field, allowed):
    values = [v.lower() for v in _texts(value, field)]
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise Invalid(field, f"“{wrong[0]}” is not one of {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _matching(value, field, case, pattern, what):
    values = [case(v) for v in _texts(value, field)]
    wrong = [v for v in values if not pattern.match(v)]
    if wrong:
        raise Invalid(field, f"“{wrong[0][:20]}” is not {what}")
    return list(dict.fromkeys(values))


def _instant(value, field):
    if not isinstance(value, str):
        raise Invalid(field, "must be an ISO 8601 time such as 2027-01-31T18:00:00Z")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(field, "must be an ISO 8601 time such as 2027-01-31T18:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _weekdays(value, field):
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 7
                             for v in values):
        raise Invalid(field, "must be days 1 (Monday) to 7 (Sunday)")
    return sorted(set(values))


def minutes(value):
    """"HH:MM" (or an hour as a number) → minutes since midnight, 0 to 1440; None if bad."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    match = _HOUR.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    total = hour * 60 + minute
    return total if minute < 60 and total <= 1440 else None


def _hours(value, field):
    if not isinstance(value, list) or len(value) != 2:
        raise Invalid(field, "must be [from, to], e.g. [\"09:00\", \"15:00\"] (to excluded)")
    start, end = (minutes(v) for v in value)
    if start is None or end is None:
        raise Invalid(field, "hours are \"HH:MM\" from 00:00 to 24:00")
    if start == end or start == 1440:
        raise Invalid(field, "from and to must differ: this window can never hold")
    return [f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}"]


def _zone(value, field):
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise Invalid(field, "must be an IANA time zone such as Europe/Berlin")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(field, f"“{value[:40]}” is not an IANA time zone such as Europe/Berlin") from None
    return value.strip()


def _query(value, field):
    if not isinstance(value, dict) or len(value) > MAX_QUERY_PARAMS:
        raise Invalid(field, f"must be an object of at most {MAX_QUERY_PARAMS} parameters")
    out = {}
    for name, wanted in value.items():
        if not name or len(name) > 64 or not name.isprintable():
            raise Invalid(field, "parameter names are short text")
        if wanted is not None and (not isinstance(wanted, str) or len(wanted) > MAX_TEXT):
            raise Invalid(f"{field}.{name}", "must be the value to match, or null for present")
        out[name] = wanted
    return out
