"""What a list of codes can be narrowed to: a search text and five filters.

Search finds the text anywhere in the title, the slug or the target (a dynamic
code's target URL, a static code's content), ignoring the case of ASCII
letters. The text is matched literally: `%`, `_` and `\\` are escaped, so they
are not LIKE wildcards. On PostgreSQL trigram indexes serve the search
(migration 0007); on SQLite it walks the owner's rows (see docs/long-lists.md).
`tag` and `folder` name one tag or one folder; the tag's join and its keyset
order are in listing.codes_query.
"""
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from webapp.models import QrCode, ScanCounter
from webapp.models.qrcodes import SEARCHED_COLUMNS
from webapp.services import ServiceError
from webapp.services.codes.organise import check_folder, check_tags

MAX_QUERY = 2048  # the longest target URL; longer text cannot match one
KINDS = ("dynamic", "static")
_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}
ESCAPE = "\\"


@dataclass(frozen=True)
class CodeFilters:
    q: str = ""
    kind: str | None = None
    active: bool | None = None
    has_scans: bool | None = None
    tag: str | None = None
    folder: str | None = None

    @property
    def narrowed(self):
        return bool(self.q) or any(v is not None for v in (self.kind, self.active, self.has_scans,
                                                           self.tag, self.folder))

    @property
    def matches_nothing(self):
        # No stored text holds a NUL (services refuse it; PostgreSQL cannot store it).
        return "\x00" in self.q

    def as_args(self):
        """The filters as query-string values, for links to the next page."""
        args = {"q": self.q, "kind": self.kind, "tag": self.tag, "folder": self.folder}
        for name in ("active", "has_scans"):
            value = getattr(self, name)
            args[name] = None if value is None else ("true" if value else "false")
        return {key: value for key, value in args.items() if value}


NO_FILTERS = CodeFilters()


def _invalid(field, message):
    return ServiceError(message, fields={field: message}, status=422, code="invalid")


def _flag(field, value):
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid(field, f"Use true or false for {field} (or leave it out).")


def check_filters(q=None, kind=None, active=None, has_scans=None, tag=None, folder=None):
    """CodeFilters from loose values (a query string or validated API input); 422 when wrong."""
    if q is not None and not isinstance(q, str):
        raise _invalid("q", "The search must be text.")
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise _invalid("q", f"The search is too long ({len(q)} characters; {MAX_QUERY} at most).")
    kind = (kind or "").strip().lower() or None
    if kind is not None and kind not in KINDS:
        raise _invalid("kind", "Choose dynamic or static (or leave it out).")
    tags = check_tags([tag]) if tag else []
    return CodeFilters(q=q, kind=kind, active=_flag("active", active),
                       has_scans=_flag("has_scans", has_scans), tag=tags[0] if tags else None,
                       folder=check_folder(folder))


def filters_from_args(args):
    return check_filters(args.get("q"), args.get("kind"), args.get("active"), args.get("has_scans"),
                         args.get("tag"), args.get("folder"))


def like_pattern(text):
    """`%text%` with LIKE's wildcards in `text` escaped, so they match themselves."""
    for char in (ESCAPE, "%", "_"):
        text = text.replace(char, ESCAPE + char)
    return f"%{text}%"


def has_people_scans():
    """EXISTS over the code's counter shards: a primary-key probe per code, no event is read."""
    return (select(ScanCounter.qr_code_id)
            .where(ScanCounter.qr_code_id == QrCode.id, ScanCounter.scans > 0).exists())


def filter_clauses(filters, dialect_name):
    """WHERE clauses for these filters. The caller checks `matches_nothing` first."""
    clauses = []
    if filters.q:
        pattern = like_pattern(filters.q)
        columns = [getattr(QrCode, name) for name in SEARCHED_COLUMNS]
        if dialect_name == "postgresql":
            # ILIKE on the bare column: the form a pg_trgm index answers; the slug's index
            # is on lower(slug) (models/qrcodes.py says why).
            clauses.append(or_(*(func.lower(col).like(pattern.lower(), escape=ESCAPE)
                                 if name == "slug" else col.ilike(pattern, escape=ESCAPE)
                                 for name, col in zip(SEARCHED_COLUMNS, columns))))
        else:
            # SQLite's LIKE already ignores ASCII case; ilike would add lower() calls.
            clauses.append(or_(*(col.like(pattern, escape=ESCAPE) for col in columns)))
    if filters.kind is not None:
        clauses.append(QrCode.kind == filters.kind)
    if filters.active is not None:
        clauses.append(QrCode.active == filters.active)
    if filters.has_scans is not None:
        clauses.append(has_people_scans() if filters.has_scans else ~has_people_scans())
    if filters.folder is not None:
        clauses.append(QrCode.folder == filters.folder)
    return clauses
