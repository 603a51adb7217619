"""Target URLs: what a dynamic code may send people to, written one canonical way.

Only http and https (a code that runs `javascript:` or opens `data:` or `file:`
is an attack on whoever scans it), at most MAX_URL characters after
normalising, international domain names turned into their ASCII (punycode) form.
"""
import ipaddress
import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

from webapp.services import ServiceError

MAX_URL = 2048
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_HOST_PORT = re.compile(r"^[^:/?#]+:\d+(?:[/?#]|$)")  # "localhost:5000/x" has no scheme
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Characters left as they are in a path, query or fragment; everything else is %-encoded once.
_SAFE = "/:@!$&'()*+,;=-._~%?#[]"


def refuse(message, field="target_url"):
    return ServiceError(message, fields={field: message}, status=422, code="invalid")


def _short(text, limit=60):
    return text if len(text) <= limit else text[:limit] + "…"


def _host(raw, field):
    host = raw.rstrip(".")
    if ":" in host:  # urlsplit hands back an IPv6 literal without its brackets
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            raise refuse(f"The address {_short(raw)!r} is not valid.", field) from None
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise refuse(f"The domain name {_short(raw)!r} is not valid.", field) from None
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL.match(label) for label in labels):
        raise refuse(f"The domain name {_short(raw)!r} is not valid.", field)
    if len(labels) < 2 and not ascii_host.replace(".", "").isdigit() and ascii_host != "localhost":
        raise refuse(f"{_short(raw)!r} is not a full domain name; write it like example.com.", field)
    return ascii_host


def normalise_url(value, field="target_url"):
    """A clean absolute http(s) URL, or a ServiceError saying what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise refuse("Enter the web address the code should open, e.g. https://example.com/menu.", field)
    url = value.strip()
    if any(ch in url for ch in "\r\n\t\x00"):
        raise refuse("The address contains line breaks or control characters.", field)
    match = _SCHEME.match(url)
    if match and not _HOST_PORT.match(url):
        scheme = match.group(1).lower()
        if scheme not in ("http", "https"):
            raise refuse(f"{scheme}: addresses are refused: a code may only open http:// or "
                         "https:// web pages.", field)
    elif not url.startswith("//"):
        url = "https://" + url  # "example.com/menu" is what people type
    if len(url) > MAX_URL * 4:
        raise refuse(f"The address is too long ({len(value)} characters; {MAX_URL} at most).", field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise refuse(f"That address is not valid ({exc}).", field) from None
    scheme = (parts.scheme or "https").lower()
    if not parts.hostname:
        raise refuse("The address has no domain name; write it like https://example.com/menu.", field)
    if parts.username is not None or parts.password is not None:
        raise refuse("Addresses with a user name or password in them are refused (a common "
                     "phishing trick).", field)
    host = _host(parts.hostname, field)
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    path = quote(parts.path or "/", safe=_SAFE)
    query = quote(parts.query, safe=_SAFE)
    fragment = quote(parts.fragment, safe=_SAFE)
    result = urlunsplit((scheme, netloc, path, query, fragment))
    if len(result) > MAX_URL:
        raise refuse(f"The address is too long ({len(result)} characters; {MAX_URL} at most).", field)
    return result
