"""Our mask choice is segno's: every code is exactly the one segno.make would have made."""
import random
import string

import pytest
import segno

from webapp.qr.masks import make_symbol

ALPHABETS = {
    "bytes": string.printable[:94] + "éü€漢字",
    "alphanumeric": string.digits + string.ascii_uppercase + " $%*+-./:",
    "numeric": string.digits,
}


def payloads(count, seed):
    rng = random.Random(seed)
    for n in range(count):
        alphabet = list(ALPHABETS.values())[n % 3]
        length = rng.choice([1, 8, 20, 33, 45, 80, 150, 300, 700, 1500])
        yield ("".join(rng.choice(alphabet) for _ in range(rng.randint(1, length))),
               rng.choice("LMQH"))


@pytest.mark.parametrize("seed", range(4))
def test_the_chosen_mask_and_the_whole_matrix_are_segnos(seed):
    for payload, error in payloads(60, seed):
        try:
            theirs = segno.make(payload, error=error, micro=False, boost_error=True)
        except segno.DataOverflowError:
            continue
        ours = make_symbol(payload, error)
        assert (ours.version, ours.error, ours.mask) == (theirs.version, theirs.error, theirs.mask), payload
        assert ours.matrix == theirs.matrix, payload


def test_scan_urls_of_every_length_a_code_uses_match_segno():
    for n in range(400):
        payload = f"https://qr.example.com/s/{n:08d}" + "x" * (n % 40)
        theirs = segno.make(payload, error="M", micro=False, boost_error=True)
        assert make_symbol(payload, "M").matrix == theirs.matrix
