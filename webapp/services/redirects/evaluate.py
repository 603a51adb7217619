"""Which target one scan gets: the first rule that holds, else the split, else the target.

A `Visitor` holds what the request says, worked out only when a condition asks
for it (most codes have no rules, and parsing a user agent or a language
header is wasted on them). Nothing a client sends can make this raise:
odd headers simply match no condition.
"""
import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from webapp.services import useragents
from webapp.services.redirects.plan import DEFAULT

MAX_HEADER = 256  # of Accept-Language: only the first few preferences matter
MAX_LANGUAGES = 16


class Visitor:
    """One scan's facts. `user_agent`, `accept_language` and `query` are the raw request
    values; `country` the trusted header's (already cleaned); `now` an aware datetime;
    `key` what makes a visitor the same within a day (the day's salted address hash)."""

    __slots__ = ("user_agent", "accept_language", "country", "query_string", "now", "key",
                 "_client", "_language", "_query")

    def __init__(self, user_agent="", accept_language="", country="", query_string="", now=None,
                 key=""):
        self.user_agent, self.accept_language = user_agent or "", accept_language or ""
        self.country, self.query_string = (country or "").upper(), query_string or ""
        self.now = now or datetime.now(timezone.utc)
        self.key = key or ""
        self._client = self._language = self._query = None

    @property
    def client(self):
        if self._client is None:
            self._client = useragents.describe(self.user_agent)
        return self._client

    @property
    def device(self):
        client = self.client
        if client.os == "iOS" or client.os == "iPadOS":
            return "ios"
        if client.os == "Android":
            return "android"
        return "desktop" if client.device_type == "desktop" else "other"

    @property
    def language(self):
        if self._language is None:
            self._language = primary_language(self.accept_language)
        return self._language

    @property
    def query(self):
        if self._query is None:
            try:
                self._query = parse_qs(self.query_string[:2048], keep_blank_values=True,
                                       max_num_fields=50)
            except ValueError:
                self._query = {}
        return self._query


@lru_cache(maxsize=1024)
def primary_language(header):
    """The primary subtag (lower case) of the most preferred language, or ''."""
    best, best_q = "", -1.0
    for part in header[:MAX_HEADER].split(",")[:MAX_LANGUAGES]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:7])
            except ValueError:
                continue
            if not 0 <= q <= 1:
                continue
        primary = tag.strip().split("-")[0].lower()
        if q > best_q and primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 8:
            best, best_q = primary, q
    return best


@lru_cache(maxsize=256)
def _zone(name):
    return ZoneInfo(name)


def holds(conditions, visitor):
    for name, wanted in conditions:
        if name == "device":
            ok = visitor.device in wanted
        elif name == "os":
            ok = visitor.client.os.lower() in wanted
        elif name == "language":
            ok = visitor.language in wanted
        elif name == "country":
            ok = visitor.country in wanted
        elif name == "after":
            ok = visitor.now.timestamp() >= wanted
        elif name == "before":
            ok = visitor.now.timestamp() < wanted
        elif name == "local":
            ok = _local_holds(wanted, visitor.now)
        else:  # query
            ok = all(key in visitor.query and (value is None or value in visitor.query[key])
                     for key, value in wanted)
        if not ok:
            return False
    return True


def _local_holds(wanted, now):
    zone, weekdays, hours = wanted
    local = now.astimezone(_zone(zone))
    day = local.isoweekday()
    if hours is not None:
        start, end = hours
        minute = local.hour * 60 + local.minute
        if start < end:
            if not start <= minute < end:
                return False
        elif minute < end:
            # The small hours of an overnight window (22:00 to 06:00) belong to the night
            # it began: Friday's window holds at 01:00 on Saturday, as opening hours read.
            day = day - 1 or 7
        elif minute < start:
            return False
    return weekdays is None or day in weekdays


def bucket(key, code_id, day, total):
    """A number in [0, total): the same for the same visitor, code and day."""
    digest = hashlib.blake2b(f"{day}|{code_id}|{key}".encode("utf-8", "replace"), digest_size=8)
    return int.from_bytes(digest.digest(), "big") % total


def choose(plan, code_id, visitor):
    """(location, served key) by the compiled plan: "rule:N", "split:N" or "default"."""
    rules, split, default, _max_scans, _expired = plan
    for conditions, location, served in rules:
        if holds(conditions, visitor):
            return location, served
    if split is not None:
        bounds, locations = split
        point = bucket(visitor.key, code_id, visitor.now.date().isoformat(), bounds[-1])
        for n, bound in enumerate(bounds):
            if point < bound:
                return locations[n], f"split:{n + 1}"
    return default, DEFAULT
