"""A scan as a row: what a request says, turned into the columns of a ScanEvent."""
from datetime import datetime, timezone
from urllib.parse import urlsplit

from webapp.services import useragents
from webapp.services.scans import visitors


def scan_row(code_id, *, user_agent="", referrer="", ip=None, country=None, at=None, served=""):
    """The ScanEvent columns of one scan of the code (`at` defaults to now); `served`: what
    the redirect served ("default", "rule:N", "split:N", "expired"; "default" is stored as '')."""
    at = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    # PostgreSQL text cannot hold NUL; no real browser sends one.
    user_agent = (user_agent or "").replace("\x00", "")
    client = useragents.describe(user_agent)
    return {
        "qr_code_id": code_id,
        "scanned_at": at,
        "user_agent": user_agent[:useragents.MAX_LENGTH],
        "device_type": client.device_type,
        "os": client.os,
        "browser": client.browser,
        "referrer": referrer_origin(referrer),
        "ip_hash": visitors.hash_ip(ip, at.date()),
        "country": visitors.clean_country(country),
        "is_bot": client.is_bot,
        "served": "" if served == "default" else served,  # see `writes.PLAIN_COLUMNS`
    }


def referrer_origin(referrer):
    """Only where a visitor came from (scheme and host): paths can carry tokens."""
    if not referrer:
        return ""
    try:
        parts = urlsplit(referrer.strip())
        host = parts.hostname or ""
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not host or not host.isprintable():
        return ""
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{parts.scheme}://{host}"[:512]
