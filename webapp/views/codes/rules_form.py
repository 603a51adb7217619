"""The editor's smart-redirect form ↔ the code object's fields.

The form names its fields by row: rule-<n>-<condition>, split-<n>-target_url and
-weight, utm-<name>, and max_scans, expired_url, expires_at. `values_from_form`
reads them as typed (for showing them again), `data_from_values` turns them into
the fields `update_code` checks, `values_from_code` shows what is stored.
"""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from webapp.services.redirects.rules import UTM_FIELDS

_ROW = re.compile(r"^(rule|split)-(\d{1,3})-")
LIST_FIELDS = ("os", "language", "country")  # comma-separated in the form
TEXT_FIELDS = ("after", "before", "hours_from", "hours_to", "timezone", "query", "target_url")
BLANK_RULE = {"device": [], "weekdays": [], **{name: "" for name in LIST_FIELDS + TEXT_FIELDS}}


def _rows(form, kind):
    return sorted({int(m.group(2)) for key in form for m in [_ROW.match(key)] if m and m.group(1) == kind})


def values_from_form(form):
    rules = []
    for n in _rows(form, "rule"):
        prefix = f"rule-{n}-"
        rule = {name: form.get(prefix + name, "").strip() for name in LIST_FIELDS + TEXT_FIELDS}
        rule["device"] = form.getlist(prefix + "device")
        rule["weekdays"] = [int(d) for d in form.getlist(prefix + "weekdays") if d.isdigit()]
        rules.append(rule)
    split = [{"target_url": form.get(f"split-{n}-target_url", "").strip(),
              "weight": form.get(f"split-{n}-weight", "").strip()} for n in _rows(form, "split")]
    utm = {name: form.get(f"utm-{name}", "").strip() for name in UTM_FIELDS}
    limits = {name: form.get(name, "").strip() for name in ("max_scans", "expired_url", "expires_at")}
    return {"rules": rules, "split": split, "utm": utm, **limits}


def _local_instant(text, zone):
    """A datetime-local value read in the rule's time zone (UTC without one), as ISO 8601."""
    if not text or zone is None:
        return text or None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # the checks say what is wrong with it
    return moment.replace(tzinfo=moment.tzinfo or zone).isoformat()


def _zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError; the checks name it
        return None


def _query(text):
    query = {}
    for part in filter(None, text.split("&")):
        name, equals, value = part.partition("=")
        query[name.strip()] = value.strip() if equals else None
    return query


def when_from_values(rule):
    zone = _zone(rule["timezone"])
    when = {"device": rule["device"] or None, "weekdays": rule["weekdays"] or None,
            "timezone": rule["timezone"] or None, "query": _query(rule["query"]) or None,
            "after": _local_instant(rule["after"], zone), "before": _local_instant(rule["before"], zone)}
    for name in LIST_FIELDS:
        when[name] = [v.strip() for v in rule[name].split(",") if v.strip()] or None
    if rule["hours_from"] or rule["hours_to"]:
        when["hours"] = [rule["hours_from"], rule["hours_to"]]
    return {name: value for name, value in when.items() if value is not None}


def data_from_values(values):
    """The code object's redirect fields from the form's values (unchecked)."""
    return {
        "rules": [{"when": when_from_values(rule), "target_url": rule["target_url"]}
                  for rule in values["rules"]],
        "split": [{"target_url": v["target_url"], "weight": v["weight"]} for v in values["split"]],
        "utm": {name: value for name, value in values["utm"].items() if value},
        "max_scans": values["max_scans"] or None,
        "expired_url": values["expired_url"] or None,
        "expires_at": values["expires_at"] or None,
    }


def _local_text(instant, zone):
    if not instant:
        return ""
    moment = datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(_zone(zone) or ZoneInfo("UTC"))
    return moment.strftime("%Y-%m-%dT%H:%M")


def values_from_code(code):
    redirect = code.redirect or {}
    rules = []
    for rule in redirect.get("rules", []):
        when = rule["when"]
        zone = when.get("timezone", "")
        hours = when.get("hours", ["", ""])
        rules.append({
            "device": when.get("device", []), "weekdays": when.get("weekdays", []),
            **{name: ", ".join(when.get(name, [])) for name in LIST_FIELDS},
            "after": _local_text(when.get("after"), zone), "before": _local_text(when.get("before"), zone),
            "hours_from": hours[0], "hours_to": hours[1], "timezone": zone,
            "query": "&".join(k if v is None else f"{k}={v}" for k, v in when.get("query", {}).items()),
            "target_url": rule["target_url"]})
    expires = code.expires_at.strftime("%Y-%m-%dT%H:%M") if code.expires_at else ""
    return {"rules": rules, "split": [dict(v, weight=str(v["weight"])) for v in redirect.get("split", [])],
            "utm": {name: redirect.get("utm", {}).get(name, "") for name in UTM_FIELDS},
            "max_scans": str(code.max_scans or ""), "expired_url": code.expired_url or "",
            "expires_at": expires}


def apply_op(values, op):
    """add-rule, remove-rule:N, up-rule:N, down-rule:N, add-variant, remove-variant:N."""
    name, _, number = (op or "").partition(":")
    index = int(number) if number.isdigit() else -1
    rules, split = values["rules"], values["split"]
    if name == "add-rule" and len(rules) < 50:
        rules.append(dict(BLANK_RULE, device=[], weekdays=[]))
    elif name == "remove-rule" and 0 <= index < len(rules):
        rules.pop(index)
    elif name == "up-rule" and 0 < index < len(rules):
        rules[index - 1], rules[index] = rules[index], rules[index - 1]
    elif name == "down-rule" and 0 <= index < len(rules) - 1:
        rules[index + 1], rules[index] = rules[index], rules[index + 1]
    elif name == "add-variant" and len(split) < 20:
        split.append({"target_url": "", "weight": "1"})
    elif name == "remove-variant" and 0 <= index < len(split):
        split.pop(index)
    return values
