"""Who scanned, as far as we may know it: a salted hash of the address and the
browser, a country.

The address and the user agent are hashed together with a salt that is random per
UTC day, kept in Redis for two days and then forgotten: within a day the same
visitor hashes the same (unique-per-day counts work), and once the salt is gone
nobody, not even with the database and the app's secret, can get the address back
by trying all 2^32. The user agent is in the hash because phones share addresses by
the thousand (carrier-grade NAT, an office's Wi-Fi): five phones behind one address
are five visitors, as privacy-first analytics (Plausible) count them.
"""
import hashlib
import hmac
import logging
import re
import secrets
import threading
import time

from flask import current_app

from webapp.infra.redis_client import get_redis

log = logging.getLogger(__name__)

SALT_KEY = "scanlink:scan-salt:{day}"
SALT_TTL = 2 * 24 * 3600
LOCAL_TTL = 60  # seconds a process trusts its copy before asking Redis again
_COUNTRY = re.compile(r"^[A-Z][A-Z0-9]$")
_UNKNOWN_COUNTRIES = {"XX", "ZZ"}

_salts = {}
_lock = threading.Lock()


def daily_salt(day):
    """The salt of one UTC day (a `date`), shared by every process through Redis."""
    key = day.isoformat()
    cached = _salts.get(key)
    if cached is not None and cached[1] > time.monotonic():
        return cached[0]
    try:
        redis = get_redis()
        redis.set(SALT_KEY.format(day=key), secrets.token_hex(32), nx=True, ex=SALT_TTL)
        value = redis.get(SALT_KEY.format(day=key))
        salt = value.decode() if isinstance(value, bytes) else value
    except Exception:
        # Without Redis every process derives the same salt from the secret, so the
        # day's counts stay consistent; the address is still never stored.
        log.warning("no Redis for the scan salt of %s; deriving it from SECRET_KEY", key)
        secret = current_app.config["SECRET_KEY"].encode()
        return hmac.new(secret, f"scan-salt:{key}".encode(), hashlib.sha256).hexdigest()
    with _lock:
        if len(_salts) > 4:
            _salts.clear()
        _salts[key] = (salt, time.monotonic() + LOCAL_TTL)
    return salt


def visitor_hash(ip, user_agent, day):
    """A 32-hex-digit pseudonym of the visitor at `ip` with `user_agent`, stable for one
    UTC day only; '' without an address (then nobody can be told apart)."""
    if not ip:
        return ""
    # A newline cannot be in either part (HTTP headers end at one), so no two pairs meet.
    visitor = f"{ip}\n{user_agent or ''}".encode("utf-8", "replace")
    return hmac.new(daily_salt(day).encode(), visitor, hashlib.sha256).hexdigest()[:32]


def clean_country(value):
    """Two upper-case characters from a trusted CDN header, or '' when absent or odd."""
    value = (value or "").strip().upper()
    if not _COUNTRY.match(value) or value in _UNKNOWN_COUNTRIES:
        return ""
    return value
