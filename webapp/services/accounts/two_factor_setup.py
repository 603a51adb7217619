"""The secret of a two-factor set-up in progress, from the set-up page until a first code
confirms it (then `two_factor.enable` keeps it in the database).

Kept in Redis, not in the cookie session: Flask's session cookie is signed, not
encrypted, so anyone with a copy of it (a proxy log, a shared computer) could read the
secret, and it would travel with every request. The key is the id of the server-side
browser session (`user_sessions.id`), so a set-up started in one browser cannot be
confirmed from another, and it runs out after SETUP_SECONDS. Redis errors reach the
caller: without Redis there is no set-up.
"""
from webapp.infra.redis_client import get_redis
from webapp.services.accounts import two_factor

KEY = "scanlink:two-factor-setup:{session_id}"
SETUP_SECONDS = 15 * 60


def _key(session_id):
    return KEY.format(session_id=session_id)


def secret_for(session_id):
    """The secret this session is setting up, made on first use. The page and its QR code
    ask for it at nearly the same moment: SET NX keeps them to one secret. Each showing
    restarts the SETUP_SECONDS, counted from when the key was last on screen."""
    redis = get_redis()
    key, secret = _key(session_id), two_factor.new_secret()
    if redis.set(key, secret, nx=True, ex=SETUP_SECONDS):
        return secret
    existing = redis.getex(key, ex=SETUP_SECONDS)
    if existing is None:  # it ran out between the two calls
        redis.set(key, secret, ex=SETUP_SECONDS)
        return secret
    return existing.decode()


def pending(session_id):
    """The secret being set up in this session, or None when none is (or it ran out)."""
    secret = get_redis().get(_key(session_id))
    return secret.decode() if secret is not None else None


def finish(session_id):
    get_redis().delete(_key(session_id))
