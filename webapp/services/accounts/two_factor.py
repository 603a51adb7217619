"""Two-factor log-in: TOTP (RFC 6238) codes from an authenticator app, and recovery codes.

pyotp makes the secrets and the codes. What it leaves to us: a code is accepted for one
time step only once (`users.totp_last_step`, claimed by a conditional UPDATE, so two
requests racing with the same code cannot both win), and recovery codes are kept as
SHA-256 hashes (they carry 80 random bits, so a fast hash is enough) and used once.
"""
import hashlib
import hmac
import re
import secrets
import time

import pyotp
from sqlalchemy import delete, func, or_, select, update

from webapp.extensions import db
from webapp.models import RecoveryCode, User
from webapp.models.base import utcnow
from webapp.qr import Style, render
from webapp.services import ServiceError
from webapp.services.accounts import sessions

ISSUER = "Scanlink"
RECOVERY_CODES = 10
# Crockford's base32: no i, l, o or u, so a code read off paper is not mistyped.
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_RECOVERY_CHARS = 16  # 80 bits
_LOOKALIKES = str.maketrans("ilo", "110")
_TOTP_CODE = re.compile(r"[0-9]{6}")  # ASCII only: \d takes any script's digits
# One step either side of now: a phone's clock a little off, or a code typed as it changed.
VALID_WINDOW = 1


def is_enabled(user):
    return user.totp_secret is not None


def new_secret():
    return pyotp.random_base32()


def provisioning_uri(secret, email):
    """The otpauth:// URI an authenticator app reads from the set-up QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri):
    """The set-up QR code, drawn by our own renderer: the secret never leaves the server."""
    return render(uri, Style(), "svg", scale=6)


def grouped(secret):
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean_code(code):
    return re.sub(r"[\s-]", "", code or "")


def matching_step(secret, code, at=None):
    """The time step whose code `code` is, within the window around `at`; None if none."""
    code = clean_code(code)
    if not _TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time() if at is None else at)
    steps = [step for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1)
             if hmac.compare_digest(totp.generate_otp(step), code)]
    return max(steps) if steps else None


def enable(user, secret, code, keep_session=None):
    """Turns two-factor on once `code` proves the app holds `secret`: the new recovery codes.

    Every session of the user but `keep_session` (the one that turned it on) ends: a browser
    that got in before, perhaps with a stolen cookie, must now log in again with a code.
    """
    if is_enabled(user):
        raise ServiceError("Two-factor log-in is already on.", status=409, code="conflict")
    step = matching_step(secret, code)
    if step is None:
        raise ServiceError("That code is not right. Enter the 6-digit code your app shows now.",
                           fields={"code": "not right"}, status=422)
    user.totp_secret = secret
    user.totp_last_step = step
    sessions.end_all(user, except_id=keep_session)
    return replace_recovery_codes(user)


def disable(user):
    user.totp_secret = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def verify(user, code):
    """How `code` let `user` in: "totp", "recovery", or None when it does not.

    A TOTP code of a step at or before the last one accepted is refused (replay)."""
    if not is_enabled(user):
        return None
    cleaned = clean_code(code)
    if _TOTP_CODE.fullmatch(cleaned):
        step = matching_step(user.totp_secret, cleaned)
        return "totp" if step is not None and _claim_step(user, step) else None
    return "recovery" if _use_recovery_code(user, cleaned) else None


def _claim_step(user, step):
    claimed = db.session.execute(
        update(User)
        .where(User.id == user.id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if claimed:
        user.totp_last_step = step
    return claimed


def _new_recovery_code():
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_CHARS))
    return "-".join(raw[i:i + 4] for i in range(0, _RECOVERY_CHARS, 4))


def _hash(code):
    normal = clean_code(code).lower().translate(_LOOKALIKES)
    return hashlib.sha256(normal.encode()).hexdigest()


def replace_recovery_codes(user):
    """Ten new recovery codes for `user`, the old ones gone: returned once, stored hashed."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return codes


def _use_recovery_code(user, code):
    if not code or len(code) > 64:
        return False
    return db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def recovery_codes_left(user):
    return db.session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
