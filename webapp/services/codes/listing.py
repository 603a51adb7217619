"""A user's codes, newest first, a page at a time: keyset pagination on (created_at, id).

Never OFFSET: each page starts where the last one ended, with a seek on the
index (workspace_id, created_at, id) (or the kind / active variant of it when that
filter is on), so page 10,000 costs what page 1 costs. While someone pages, a
code created meanwhile is newer than their cursor and is not shown (it is at
the top of page 1); a deleted one is simply absent; no code that exists
throughout is skipped or shown twice. The id breaks ties between equal times.
"""
import base64
import binascii
from datetime import datetime, timezone

from sqlalchemy import String, any_, bindparam, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db
from webapp.models import CodeTag, QrCode, ScanCounter, Tag
from webapp.services import ServiceError
from webapp.services.codes.filters import NO_FILTERS, filter_clauses
from webapp.services.codes.organise import tags_of
from webapp.services.ids import looks_like_id

MAX_PAGE = 100
MAX_CURSOR = 200


def encode_cursor(code):
    raw = f"{code.created_at.isoformat()}|{code.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _bad_cursor():
    return ServiceError("That cursor is not valid; start again without it.",
                        fields={"cursor": "not valid"}, status=400, code="bad_request")


def decode_cursor(cursor):
    """(aware UTC time, code id) from a cursor this module made; 400 for anything else."""
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR:
        raise _bad_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, code_id = raw.split("|", 1)
        created = datetime.fromisoformat(created)
        if created.tzinfo is None or not looks_like_id(code_id):
            raise ValueError("not one of ours")
        return created.astimezone(timezone.utc), code_id
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None


def people_scan_counts(code_ids):
    """{code id: scans by people} for these codes (0 when none), exact to the last commit:
    the sums of their counter shards. QrCode.scan_count is only the rollup's copy.

    One query per page or batch; on PostgreSQL the ids go as one array parameter
    (`= ANY(...)`), which costs a fraction of 500 separate IN parameters.
    """
    ids = list(code_ids)
    counts = dict.fromkeys(ids, 0)
    if not ids:
        return counts
    if db.session.get_bind().dialect.name == "postgresql":
        match = ScanCounter.qr_code_id == any_(bindparam("code_ids", ids, type_=ARRAY(String)))
    else:
        match = ScanCounter.qr_code_id.in_(ids)
    rows = db.session.execute(select(ScanCounter.qr_code_id, func.sum(ScanCounter.scans))
                              .where(match).group_by(ScanCounter.qr_code_id))
    counts.update((code_id, int(total or 0)) for code_id, total in rows)
    return counts


def with_scan_counts(codes):
    """[(code, scans by people)] for codes (ORM objects or rows)."""
    counts = people_scan_counts(code.id for code in codes)
    return [(code, counts[code.id]) for code in codes]


def codes_query(workspace_id, filters=NO_FILTERS, after=None, newest_first=True, columns=(QrCode,)):
    """The owner's codes matching `filters`, in keyset order, after the (time, id) `after`.

    `columns`: what each row holds; QrCode objects by default.
    """
    dialect = db.session.get_bind().dialect.name
    query = select(*columns).where(QrCode.workspace_id == workspace_id, *filter_clauses(filters, dialect))
    created, ident = QrCode.created_at, QrCode.id
    if filters.tag is not None:
        # One tag's codes: walk its (tag_id, code_created_at, qr_code_id) index, not the codes.
        tag_id = select(Tag.id).where(Tag.workspace_id == workspace_id, Tag.name == filters.tag)
        query = query.join(CodeTag, CodeTag.qr_code_id == QrCode.id).where(
            CodeTag.tag_id == tag_id.scalar_subquery())
        created, ident = CodeTag.code_created_at, CodeTag.qr_code_id
    key = tuple_(created, ident)
    if after is not None:
        # A row-value comparison: both databases turn it into one index range.
        query = query.where(key < tuple_(*after) if newest_first else key > tuple_(*after))
    if newest_first:
        return query.order_by(created.desc(), ident.desc())
    return query.order_by(created, ident)


def list_page(actor, limit=20, cursor=None, filters=NO_FILTERS):
    """One page, newest first: ([(code, people's scans)], next_cursor or None)."""
    limit = max(1, min(int(limit), MAX_PAGE))
    after = decode_cursor(cursor) if cursor else None
    if filters.matches_nothing:
        return [], None
    rows = db.session.scalars(codes_query(actor.workspace_id, filters, after).limit(limit + 1)).all()
    page = with_scan_counts(rows[:limit])
    return page, (encode_cursor(page[-1][0]) if len(rows) > limit else None)


def list_codes(actor, limit=20, cursor=None, filters=NO_FILTERS):
    """One page, newest first: (codes, next_cursor or None)."""
    page, next_cursor = list_page(actor, limit, cursor, filters)
    return [code for code, _ in page], next_cursor


class CodePage:
    """One page of codes for a template, fetched when first used.

    A streamed page sends its head before the template touches the page, so the
    browser paints the header while the query runs. Arguments are checked at
    once, so a bad cursor is a 400 before any byte is sent.
    """

    def __init__(self, actor, limit, cursor=None, filters=NO_FILTERS):
        self.actor, self.limit, self.cursor, self.filters = actor, limit, cursor, filters
        if cursor:
            decode_cursor(cursor)
        self._items = self._next = self._tags = None

    def _load(self):
        if self._items is None:
            self._items, self._next = list_page(self.actor, self.limit, self.cursor, self.filters)
            self._tags = tags_of(code.id for code, _ in self._items)
        return self._items

    def tags(self, code):
        self._load()
        return self._tags[code.id]

    def __iter__(self):
        return iter(self._load())

    @property
    def next_cursor(self):
        self._load()
        return self._next

    @property
    def empty(self):
        return not self._load()
