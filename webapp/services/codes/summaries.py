"""One safe line per code for lists: what it opens or holds, without its secrets.

A list is seen over shoulders and in screenshots: a Wi-Fi card names the
network and never its password; a contact card names the person; an e-mail
code its address; a place its coordinates. Only static url and text codes show
their content (truncated by the template), as that content is the code.
"""
from webapp.services.codes.content import scan_url

MAX_SUMMARY = 80


def _short(text):
    text = " ".join(str(text or "").split())
    return text if len(text) <= MAX_SUMMARY else text[:MAX_SUMMARY - 1] + "…"


def short_link(code):
    """The scan link a dynamic code prints, or None for a static code (it has none)."""
    return scan_url(code.slug) if code.kind == "dynamic" else None


def summary(code):
    """A one-line description of what the code opens or holds."""
    if code.kind == "dynamic":
        return _short(f"→ {code.target_url}")
    fields = code.content_fields or {}
    kind = code.content_type
    if kind == "wifi":
        return _short(f"Wi-Fi network “{fields['ssid']}”" if fields.get("ssid") else "Wi-Fi network")
    if kind == "vcard":
        name = fields.get("displayname") or " ".join(reversed(str(fields.get("name") or "").split(";")))
        return _short(f"Contact card: {name.strip()}" if name.strip() else "Contact card")
    if kind == "email":
        return _short(f"E-mail to {fields['to']}" if fields.get("to") else "E-mail")
    if kind == "geo":
        if fields.get("lat") not in (None, "") and fields.get("lng") not in (None, ""):
            return _short(f"Place at {fields['lat']}, {fields['lng']}")
        return "Place"
    if kind in ("url", "text"):
        return _short(code.content)
    return kind  # a kind this module does not know yet: its name, never its payload
