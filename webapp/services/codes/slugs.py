"""Slugs: the short part of a scan URL (`/s/<slug>`), random unless the user picks one.

Unique per domain: among the codes on PUBLIC_BASE_URL (`domain_id` None), and among the
codes of each custom domain. Retired slugs only ever held PUBLIC_BASE_URL's scan URLs.

Random slugs are 8 characters from a 31-letter alphabet without look-alikes
(no 0/o, 1/l/i): about 40 bits, so nobody walks the codes of others by counting.
"""
import re
import secrets

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import QrCode, RetiredSlug
from webapp.services import Conflict, ServiceError

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RANDOM_LENGTH = 8
MIN_CUSTOM, MAX_CUSTOM = 3, 64
_CUSTOM = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
# Words that name pages or could pass for them; nobody gets them as a slug.
RESERVED = frozenset("""
    about account accounts admin administrator api app assets auth billing blog codes dashboard
    docs download downloads help healthz home images jobs login logout me new null openapi
    preview privacy qr readyz root s scan scans settings signup static status support system
    terms undefined webhooks www
""".split())


def random_slug():
    return "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))


def slug_taken(slug, domain_id=None):
    """Held by a code on the same domain, or retired (its workspace was deleted: printed
    copies answer 410)."""
    same_domain = QrCode.domain_id.is_(None) if domain_id is None else QrCode.domain_id == domain_id
    held = db.session.scalar(select(func.count()).select_from(QrCode).where(QrCode.slug == slug, same_domain))
    return held > 0 or (domain_id is None and retired(slug))


def retired(slug):
    return db.session.get(RetiredSlug, slug) is not None


def unused_random_slug(domain_id=None, attempts=5):
    for _ in range(attempts):
        slug = random_slug()
        if not slug_taken(slug, domain_id):
            return slug
    raise ServiceError("Could not find a free slug; try again.", status=503, code="unavailable")


def refuse(message, status=422, code="invalid"):
    return ServiceError(message, fields={"slug": message}, status=status, code=code)


def check_custom_slug(value, domain_id=None):
    """The slug as stored (lower case), or a ServiceError saying what to change."""
    slug = clean_custom_slug(value)
    if slug_taken(slug, domain_id):
        raise taken(slug)
    return slug


def taken(slug):
    message = f"The slug “{slug}” is taken; choose another."
    return Conflict(message, fields={"slug": message})


def clean_custom_slug(value):
    """The slug as stored, checked for form only (whether it is free is the caller's query)."""
    if not isinstance(value, str):
        raise refuse("The slug must be text.")
    slug = value.strip().lower()
    if not MIN_CUSTOM <= len(slug) <= MAX_CUSTOM:
        raise refuse(f"A slug is {MIN_CUSTOM} to {MAX_CUSTOM} characters long.")
    if not _CUSTOM.match(slug):
        raise refuse("A slug may hold letters a–z, digits and hyphens, and starts and ends "
                     "with a letter or digit.")
    if slug in RESERVED:
        raise refuse(f"“{slug}” is reserved; choose another slug.")
    return slug


def codes_with_slugs(candidates, domain_id=None):
    """{slug: import_key} of the codes (anyone's, on PUBLIC_BASE_URL or on the custom domain
    `domain_id`) that hold these slugs, and on PUBLIC_BASE_URL {slug: None} of the retired
    ones: one query each for a batch."""
    if not candidates:
        return {}
    same_domain = QrCode.domain_id.is_(None) if domain_id is None else QrCode.domain_id == domain_id
    rows = db.session.execute(select(QrCode.slug, QrCode.import_key)
                              .where(QrCode.slug.in_(set(candidates)), same_domain)).all()
    if domain_id is not None:
        return dict(rows)
    gone = db.session.scalars(select(RetiredSlug.slug).where(RetiredSlug.slug.in_(set(candidates))))
    return {slug: None for slug in gone} | dict(rows)


def unused_random_slugs(count, domain_id=None, attempts=5):
    """`count` distinct random slugs nobody holds on that domain, one query per round."""
    found = set()
    for _ in range(attempts):
        fresh = {random_slug() for _ in range(count - len(found))} - found
        fresh -= set(codes_with_slugs(fresh, domain_id))
        found |= fresh
        if len(found) >= count:
            return list(found)[:count]
    raise ServiceError("Could not find free slugs; try again.", status=503, code="unavailable")
