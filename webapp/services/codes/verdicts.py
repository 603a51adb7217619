"""The scannability gate's verdicts, and its costly pictures, cached in Redis.

A verdict is a pure function of what is drawn: the payload, the style, the logo's
bytes (and the renderer's version). Its key is a hash of exactly those, so saving
what the editor just previewed costs a look-up, and a verdict is never handed to a
code that differs in any of them (the logo is hashed by its decoded pixels). The logo's encoded picture (what the SVG embeds,
the costliest step of a logo the gate draws ten times) is kept by the logo's
hash and pixel size, so a bulk job with one style encodes it once.
A Redis that does not answer costs the cache, never the check.
"""
import hashlib
import json

from redis import RedisError

from webapp import qr
from webapp.infra.redis_client import get_redis
from webapp.qr.scannability import REPORT_VERSION, Verdict

PREFIX = "scanlink:gate:"
VERDICT_TTL = 7 * 24 * 3600  # a verdict never goes stale (its key is what it judged); this frees memory
LOGO_TTL = 24 * 3600


def logo_digest(image):
    """The hash of the logo's decoded pixels (mode and size included): what is drawn, whatever
    file it came from. Computed every time (a 256-pixel logo hashes in well under a
    millisecond): a hash kept in the image's `info` would follow it into every copy."""
    if image is None:
        return ""
    return hashlib.sha256(f"{image.mode}{image.size}".encode() + image.tobytes()).hexdigest()


def verdict_key(payload, style, logo, survey=True):
    basis = json.dumps([qr.RENDERER_VERSION, REPORT_VERSION, payload, style.to_json(),
                        logo_digest(logo), survey], sort_keys=True, ensure_ascii=False)
    return PREFIX + "verdict:" + hashlib.sha256(basis.encode()).hexdigest()


def _redis(call, *args):
    try:
        return call(get_redis(), *args)
    except RedisError:
        return None


def cached(payload, style, logo, survey=True):
    """The verdict already reached for exactly these, or None."""
    raw = _redis(lambda r, k: r.get(k), verdict_key(payload, style, logo, survey))
    if raw is None:
        return None
    data = json.loads(raw)
    return Verdict(data["ok"], [tuple(reason) for reason in data["reasons"]], data["warnings"],
                   data["report"])


def store(payload, style, logo, verdict, survey=True):
    data = json.dumps({"ok": verdict.ok, "reasons": verdict.reasons, "warnings": verdict.warnings,
                       "report": verdict.report})
    _redis(lambda r, k: r.set(k, data, ex=VERDICT_TTL), verdict_key(payload, style, logo, survey))


def _logo_key(logo):
    return PREFIX + "logo:" + logo_digest(logo)


def seed_pictures(drawing):
    """Puts the logo's encoded pictures, made for an earlier drawing, into this one's cache."""
    if drawing.logo is None:
        return set()
    found = _redis(lambda r, k: r.hgetall(k), _logo_key(drawing.logo[4])) or {}
    for size, uri in found.items():
        drawing.cache[("svg logo", int(size))] = uri.decode()
    return {int(size) for size in found}


def keep_pictures(drawing, known):
    """Stores the logo pictures this drawing encoded that the cache did not have."""
    if drawing.logo is None:
        return
    new = {str(key[1]): value for key, value in drawing.cache.items()
           if isinstance(key, tuple) and key[0] == "svg logo" and key[1] not in known}
    if new:
        key = _logo_key(drawing.logo[4])

        def write(r, k):
            with r.pipeline() as pipe:
                pipe.hset(k, mapping=new).expire(k, LOGO_TTL).execute()
        _redis(write, key)


def check(payload, style, drawing, logo, survey=True, remember=True):
    """The gate's verdict on `drawing`: from the cache when these exact inputs were judged.

    `remember=False` (a bulk job: every row a new payload, judged once) neither looks up
    nor stores the verdict, which would only fill Redis; the logo's pictures are shared.
    It also skips OpenCV's classic detector (`survey`), which only warns and costs more
    than the rest of a plain code's gate: such codes are warned about by their style; and
    it reads in the calling thread (webapp/qr/reading.py).
    """
    survey = survey and remember
    verdict = cached(payload, style, logo, survey) if remember else None
    if verdict is not None:
        return verdict
    known = seed_pictures(drawing)
    verdict = qr.check(payload, style, drawing, survey=survey, beside=remember)
    if remember:
        store(payload, style, logo, verdict, survey)
    keep_pictures(drawing, known)
    return verdict
