"""The two-factor service on its own: the time window, replays, recovery codes, races."""
import threading
import time

import pyotp
from sqlalchemy.exc import OperationalError

from tests.factories import make_user
from webapp.extensions import db
from webapp.models import User
from webapp.services.accounts import two_factor


def enabled_user(app):
    """A user with two-factor on (committed): (id, secret, recovery codes)."""
    with app.app_context():
        user = make_user("ada@example.com")
        secret = two_factor.new_secret()
        # A step well in the past, so that every code of the window around now is new.
        user.totp_secret, user.totp_last_step = secret, 1
        codes = two_factor.replace_recovery_codes(user)
        db.session.commit()
        return user.id, secret, codes


def at(secret, steps):
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(time.time()) + steps)


def test_codes_one_step_either_side_are_accepted_and_two_steps_are_not(app):
    secret = two_factor.new_secret()
    now = pyotp.TOTP(secret).timecode(time.time())
    # Computed against a fixed instant, so a step boundary during the test changes nothing.
    instant = now * 30 + 15
    for offset, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = pyotp.TOTP(secret).generate_otp(now + offset)
        step = two_factor.matching_step(secret, code, at=instant)
        assert (step == now + offset) is accepted or step is None and not accepted, offset


def test_an_earlier_code_than_the_last_accepted_is_refused(app):
    uid, secret, _ = enabled_user(app)
    with app.app_context():
        user = db.session.get(User, uid)
        assert two_factor.verify(user, at(secret, 1)) == "totp"
        assert two_factor.verify(user, at(secret, 0)) is None
        assert two_factor.verify(user, at(secret, -1)) is None
        db.session.commit()


def test_a_user_without_two_factor_is_never_verified(app):
    with app.app_context():
        user = make_user("ada@example.com")
        assert two_factor.verify(user, "123456") is None
        assert two_factor.recovery_codes_left(user) == 0


def test_recovery_codes_are_80_random_bits_in_an_unambiguous_alphabet(app):
    _, _, codes = enabled_user(app)
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set("0123456789abcdefghjkmnpqrstvwxyz")


def test_two_requests_racing_with_one_code_let_in_only_one(app):
    """Both have read the user before either claims the step: the claim itself must refuse
    the second (a check in Python, then a write, would let both in)."""
    uid, secret, codes = enabled_user(app)
    code = at(secret, 1)
    read, results = threading.Barrier(2), []

    def attempt(given):
        with app.app_context():
            user = db.session.get(User, uid)
            two_factor.recovery_codes_left(user)  # the recovery codes read too
            read.wait(timeout=10)
            try:
                results.append(two_factor.verify(user, given))
                db.session.commit()
            except OperationalError:  # SQLite: the loser's snapshot is stale; it may not write
                db.session.rollback()
                results.append(None)

    for given, how in ((code, "totp"), (codes[0], "recovery")):
        results.clear()
        threads = [threading.Thread(target=attempt, args=(given,)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(results, key=str) == [None, how]
