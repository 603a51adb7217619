"""Hostnames a workspace may add, written one canonical way: lower case, IDNA ASCII form.

`host_of_request` is the scan path's cheap cousin: it only says whether a Host header
could name a custom domain at all, without idna (which is slow) and without raising.
"""
import ipaddress
import re

import idna

from webapp.services import ServiceError

MAX_HOSTNAME = 253
_ASCII_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
                         r"(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


def refuse(message):
    return ServiceError(message, fields={"hostname": message}, status=422, code="invalid")


def clean_hostname(value, own_host):
    """The hostname as stored, or a 422 naming what is wrong with it."""
    if not isinstance(value, str) or not value.strip():
        raise refuse("Enter a hostname, such as qr.example.com.")
    host = value.strip().lower().rstrip(".")
    if "://" in host or "/" in host:
        raise refuse("Enter the hostname only, without https:// or a path (qr.example.com).")
    if _ip_literal(host):
        raise refuse(f"“{_short(host)}” is an IP address; a custom domain is a hostname whose "
                     "DNS you control.")
    if ":" in host:
        raise refuse("A custom domain has no port: scans come to it on the standard HTTPS port.")
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise refuse(f"“{_short(host)}” is not a valid domain name ({exc}).") from None
    if not _ASCII_HOST.match(ascii_host) or ascii_host.rsplit(".", 1)[-1].isdigit():
        raise refuse(f"“{_short(host)}” is not a valid domain name: it needs at least two "
                     "labels of letters, digits and hyphens (qr.example.com).")
    if ascii_host == own_host:
        raise refuse(f"“{ascii_host}” is this Scanlink's own address; add a hostname of yours.")
    return ascii_host


def _ip_literal(host):
    candidate = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return True


def _short(text, limit=80):
    return text if len(text) <= limit else text[:limit] + "…"


def host_of_request(raw, own_host):
    """The host of a Host header if it could be a custom domain (lower case, without port
    or trailing dot); None for our own host, IP addresses, single labels (localhost) and
    anything malformed, which are all served as the app itself."""
    if not raw or len(raw) > MAX_HOSTNAME + 7:
        return None
    host = raw.lower()
    if host.startswith("["):  # an IPv6 literal
        return None
    host = host.rsplit(":", 1)[0] if ":" in host else host
    host = host.rstrip(".")
    if host == own_host or not _ASCII_HOST.match(host) or host.rsplit(".", 1)[-1].isdigit():
        return None
    return host
