"""What a code encodes: its kind, its target or content, and the payload built from them."""
from datetime import datetime, timezone

from flask import current_app

from webapp.qr.payloads import CONTENT_TYPES, MAX_PAYLOAD, PayloadInvalid, build_payload
from webapp.services import ServiceError
from webapp.services.codes.target_urls import normalise_url

KINDS = ("dynamic", "static")
MAX_TITLE = 200
MAX_TEXT = 2000


def invalid(field, message):
    return ServiceError(message, fields={field: message}, status=422, code="invalid")


def check_kind(kind):
    if kind not in KINDS:
        raise invalid("kind", "Choose the kind of code: dynamic (its target can change later) "
                              "or static (the content itself).")
    return kind


def check_title(title):
    if title is None:
        return ""
    if not isinstance(title, str):
        raise invalid("title", "The title must be text.")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise invalid("title", f"The title is too long ({len(title)} characters; {MAX_TITLE} at most).")
    return title


def static_content(content_type, content):
    """(content_type, payload, fields or None) for a static code."""
    content_type = content_type or ("text" if isinstance(content, str) else None)
    if content_type not in CONTENT_TYPES:
        raise invalid("content_type", f"Choose what the code holds: {', '.join(CONTENT_TYPES)}.")
    if content_type in ("url", "text"):
        if not isinstance(content, str) or not content.strip():
            raise invalid("content", "Enter what the code should hold.")
        if content_type == "url":
            return content_type, normalise_url(content, field="content"), None
        if len(content) > MAX_TEXT:
            raise invalid("content", f"The text is too long ({len(content)} characters; "
                                     f"{MAX_TEXT} at most).")
        return content_type, content, None
    try:
        payload, fields = build_payload(content_type, content)
    except PayloadInvalid as exc:
        first = next(iter(exc.fields.values()))
        name = {"wifi": "Wi-Fi", "vcard": "contact card", "email": "e-mail", "geo": "place"}[content_type]
        missing = all("required" in message for message in exc.fields.values())
        state = "not complete" if missing else "not valid"
        raise ServiceError(f"The {name} details are {state}: {first}.",
                           fields=exc.fields, status=422, code="invalid") from None
    if len(payload.encode()) > MAX_PAYLOAD:
        raise invalid("content", "That is more than a QR code can hold; shorten it.")
    return content_type, payload, fields


def scan_url(slug, hostname=None):
    """`PUBLIC_BASE_URL/s/<slug>`, or `https://<hostname>/<slug>` on a custom domain."""
    if hostname:
        return f"https://{hostname}/{slug}"
    return f"{current_app.config['PUBLIC_BASE_URL']}/s/{slug}"


OWN = object()  # the code's own domain, as opposed to None (no domain)


def hostname_of(code):
    """The custom domain of a QrCode, or of a plain row that selected it as `domain_hostname`
    (the streams read rows, not objects); None for PUBLIC_BASE_URL."""
    domain = getattr(code, "domain", None)
    return domain.hostname if domain is not None else getattr(code, "domain_hostname", None)


def code_scan_url(code, domain=OWN):
    hostname = hostname_of(code) if domain is OWN else (domain.hostname if domain is not None else None)
    return scan_url(code.slug, hostname)


def payload_of(code, domain=OWN):
    """What the code's image holds; `domain`: the one it is about to move to."""
    return code_scan_url(code, domain) if code.kind == "dynamic" else code.content


def check_expiry(value):
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise invalid("expires_at", "Give the expiry as a date and time, e.g. "
                                        "2027-01-31T23:59:00Z.") from None
    if not isinstance(value, datetime):
        raise invalid("expires_at", "Give the expiry as a date and time.")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def check_active(value):
    """True or False; the words a CSV holds ("true", "no", "1"…) are accepted too."""
    if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on", "false", "no", "0", "off"):
        return value.strip().lower() in ("true", "yes", "1", "on")
    if not isinstance(value, bool):
        raise invalid("active", "active is true or false.")
    return value
