"""Which URLs a webhook may be sent to: server-side request forgery stops here.

A receiver's host is resolved and every address it resolves to must be public.
This runs when an endpoint is saved and again before each batch of sends; at the
send itself requests-hardened resolves once more, checks the address it got and
connects to exactly that address (no second lookup), so a name that changes its
answer in between (DNS rebinding) is still caught.
"""
import ipaddress
import re
import socket
import unicodedata
from urllib.parse import urlsplit

from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

from webapp.services import ServiceError

MAX_URL_LENGTH = 2048
# What inet_aton accepts besides the usual form: 0x7f000001, 2130706433, 0177.0.0.1, 127.1.
_NUMERIC_HOST = re.compile(r"(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?")


class UrlRefused(ServiceError):
    status = 422
    code = "invalid"

    def __init__(self, message):
        super().__init__(message, fields={"url": message})


def address_problem(ip, allow_private=False):
    """Why a receiver must not be at `ip`, or None when it may."""
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return "an IPv4 address written as IPv6 (IPv4-mapped)"
    if allow_private and ip.is_loopback:
        return None
    if ip.is_loopback:
        # The one refusal a setting lifts: it says which, as the http one does.
        return ("a loopback address (this machine; allowed when WEBHOOK_ALLOW_PRIVATE is on, "
                "for local development)")
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.version == 4 and ip in ipaddress.ip_network("100.64.0.0/10"):
        return "a shared (carrier-grade NAT) address"
    if ip.is_private:
        return "a private network address"
    if ip.is_reserved or not ip.is_global or any(ip in net for net in EXTRA_BLOCKED_NET_RANGES):
        return "a reserved or special-purpose address"
    return None


def resolve(host, port):
    """Every address `host` resolves to (a literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"The host {host} could not be resolved ({exc}).") from exc
    return {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}


def check_host(host, port, allow_private=False):
    """Refuse a host any of whose addresses is not public."""
    addresses = resolve(host, port)
    if not addresses:
        raise UrlRefused(f"The host {host} has no address.")
    for ip in sorted(addresses, key=str):
        problem = address_problem(ip, allow_private)
        if problem:
            where = "is" if str(ip) == host.strip("[]") else f"resolves to {ip}, which is"
            raise UrlRefused(f"Webhooks cannot be sent there: {host} {where} {problem}.")
    return addresses


def validate_url(url, *, allow_http=False, allow_private=False):
    """The URL as it will be stored, or UrlRefused with a message for a person."""
    url = (url or "").strip()
    if not url:
        raise UrlRefused("Enter the URL that should receive the events.")
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    _refuse_hidden_characters(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"That is not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise UrlRefused("The URL must start with https://.")
    if scheme == "http" and not allow_http:
        raise UrlRefused("The URL must use https:// (plain http:// is only allowed when "
                         "WEBHOOK_ALLOW_HTTP is on, for local development).")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("Leave user names and passwords out of the URL; "
                         "check our signature instead.")
    if parts.fragment:
        raise UrlRefused("Remove the #fragment: it is never sent to the server.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UrlRefused("The URL has no host name.")
    if "%" in host:
        raise UrlRefused("Write the host name out: a host has no %-escapes.")
    if _NUMERIC_HOST.fullmatch(host) and not _is_dotted_quad(host):
        raise UrlRefused(f"Write the address {host} in the usual dotted form (like 203.0.113.7).")
    check_host(host, port or (443 if scheme == "https" else 80), allow_private)
    return url


def _refuse_hidden_characters(url):
    """Before anything parses or resolves the URL: urlsplit drops tabs and newlines
    silently, the resolver ends a host at a NUL (`127.0.0.1\\0.example.com` is 127.0.0.1)
    and IDNA drops some invisible characters, so the host looked up would not be the one
    shown and stored. PostgreSQL cannot store a NUL either."""
    for ch in url:
        if ch.isspace():
            raise UrlRefused("The URL contains spaces.")
        if unicodedata.category(ch)[0] in "CZ":
            raise UrlRefused(f"The URL contains a control or invisible character "
                             f"(U+{ord(ch):04X}); remove it.")


def _is_dotted_quad(host):
    try:
        return isinstance(ipaddress.ip_address(host), ipaddress.IPv4Address)
    except ValueError:
        return False


def host_and_port(url):
    parts = urlsplit(url)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
