"""What a static code holds: text a phone understands, built by segno's helpers.

Each builder takes the plain fields a form or an API call sends and returns the
payload string; a missing required field is a ValueError naming it.
"""
import segno.helpers as helpers

CONTENT_TYPES = ("url", "text", "wifi", "vcard", "email", "geo")
MAX_PAYLOAD = 2953  # bytes a version 40-L code holds; segno refuses beyond it anyway

# field → (label, required) per structured kind, in the order the editor shows them.
FIELDS = {
    "wifi": {"ssid": ("Network name (SSID)", True), "password": ("Password", False),
             "security": ("Security (WPA, WEP or nopass for an open network)", False),
             "hidden": ("Hidden network", False)},
    "vcard": {"name": ("Name (Family;Given)", True), "displayname": ("Display name", True),
              "email": ("E-mail", False), "phone": ("Phone", False), "org": ("Organisation", False),
              "url": ("Web site", False), "street": ("Street", False), "city": ("City", False),
              "zipcode": ("Postcode", False), "country": ("Country", False)},
    "email": {"to": ("To", True), "subject": ("Subject", False), "body": ("Message", False)},
    "geo": {"lat": ("Latitude", True), "lng": ("Longitude", True)},
}


class PayloadInvalid(ValueError):
    def __init__(self, fields):
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


def _clean(fields, kind):
    spec = FIELDS[kind]
    if not isinstance(fields, dict):
        raise PayloadInvalid({"content": f"send the {kind} fields as an object"})
    unknown = set(fields) - set(spec)
    if unknown:
        raise PayloadInvalid({f"content.{name}": "is not a field of this kind" for name in sorted(unknown)})
    clean, errors = {}, {}
    for name, (label, required) in spec.items():
        value = fields.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if required:
                errors[f"content.{name}"] = f"{label} is required"
            continue
        if name != "hidden" and not isinstance(value, (str, int, float)):
            errors[f"content.{name}"] = "must be text"
            continue
        if isinstance(value, str) and len(value) > 500:
            errors[f"content.{name}"] = "is too long (500 characters at most)"
            continue
        clean[name] = value
    if errors:
        raise PayloadInvalid(errors)
    return clean


def _coordinate(value, name, limit):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PayloadInvalid({f"content.{name}": f"{name} must be a number, e.g. 51.5072"}) from None
    if not -limit <= number <= limit:
        raise PayloadInvalid({f"content.{name}": f"{name} must be between -{limit} and {limit}"})
    return number


def build_payload(kind, fields):
    """(payload, cleaned fields) for a structured kind."""
    f = _clean(fields, kind)
    if kind == "wifi":
        security = (f.get("security") or ("WPA" if f.get("password") else "nopass")).upper()
        if security not in ("WPA", "WEP", "NOPASS"):
            raise PayloadInvalid({"content.security": "use WPA, WEP or leave it empty"})
        if security != "NOPASS" and not f.get("password"):
            raise PayloadInvalid({"content.password": f"a {security} network needs its password "
                                                      "(or choose an open network)"})
        f["hidden"] = str(f.get("hidden", "")).lower() in ("1", "true", "on", "yes")
        payload = helpers.make_wifi_data(ssid=f["ssid"], password=f.get("password"),
                                         security=None if security == "NOPASS" else security,
                                         hidden=f["hidden"])
    elif kind == "vcard":
        payload = helpers.make_vcard_data(**{k: v for k, v in f.items()})
    elif kind == "email":
        payload = helpers.make_make_email_data(to=f["to"], subject=f.get("subject"), body=f.get("body"))
    elif kind == "geo":
        f["lat"] = _coordinate(f["lat"], "lat", 90)
        f["lng"] = _coordinate(f["lng"], "lng", 180)
        payload = helpers.make_geo_data(f["lat"], f["lng"])
    else:
        raise PayloadInvalid({"content_type": f"use one of {', '.join(CONTENT_TYPES)}"})
    return payload, f
