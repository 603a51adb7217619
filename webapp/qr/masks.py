"""Choosing a code's data mask: segno's rule, scored a whole row at a time.

segno.make tries the eight data masks and keeps the one with the lowest
penalty (ISO/IEC 18004:2015, 7.8.3), scoring each candidate module by module
in Python: about three quarters of the time it takes to make a code, and so
of a bulk import. Here segno makes the code once with mask 0; the eight
candidates are derived from that one matrix and scored with the same four
rules on rows held as Python ints (a few shifts per row instead of a step per
module); the winner's data modules are flipped and segno writes its format
information. The rules are segno's own, quirks included: tests/qr/test_masks.py
compares mask and matrix with segno.make's on hundreds of payloads of every
mode and size, so every code is exactly the one segno would make.
"""
from functools import lru_cache

import segno
from segno import encoder

_FINDER_LIKE = "1011101"  # N3: dark-light-dark×3-light-dark
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_AS_VALUES = bytes.maketrans(b"01", b"\x00\x01")


def make_symbol(payload, error):
    """segno's QRCode for the payload, with the mask segno.make would choose."""
    symbol = segno.make(payload, error=error, micro=False, boost_error=True, mask=0)
    n = len(symbol.matrix)
    fixed, region, flips = _layout(n)
    data = [_bits(row) & region[i] ^ flips[0][i] for i, row in enumerate(symbol.matrix)]
    best, best_score = 0, None
    for number, flip in enumerate(flips):
        score = penalty([fixed[i] | (data[i] ^ flip[i]) for i in range(n)], n)
        if best_score is None or score < best_score:  # the first of equals wins, as in segno
            best, best_score = number, score
    if best:
        # The same symbol with the other mask: flip the data modules, then let segno
        # write the format information that names the mask.
        keep = [_bits(row) & ~region[i] for i, row in enumerate(symbol.matrix)]
        matrix = tuple(bytearray(format(keep[i] | (data[i] ^ flips[best][i]), f"0{n}b").encode()
                                 .translate(_AS_VALUES)) for i in range(n))
        encoder.add_format_info(matrix, symbol._version, symbol._error, best)
        symbol.matrix, symbol.mask = matrix, best
    return symbol


def _bits(values):
    return int(bytes(values).translate(_AS_DIGITS), 2)


@lru_cache(maxsize=None)
def _layout(n):
    """For an n×n symbol: the function patterns as scored (format and version areas blank),
    the data region, and for each mask the data modules it flips; one int per row."""
    template = encoder.make_matrix(n, n)  # data region 0x2, reserved areas 0x0, timing set
    encoder.add_finder_patterns(template, n, n)
    encoder.add_alignment_patterns(template, n, n)
    fixed = tuple(_bits(v if v < 2 else 0 for v in row) for row in template)
    region = tuple(_bits(1 if v == 2 else 0 for v in row) for row in template)
    flips = tuple(
        tuple(_bits(1 if pattern(i, j) else 0 for j in range(n)) & region[i] for i in range(n))
        for pattern in encoder.get_data_mask_functions(False))
    return fixed, region, flips


def penalty(rows, n):
    """N1 + N2 + N3 + N4 of segno's `mask_scores`, for a matrix given as one int per row.

    Bit k of a row is module n-1-k. Rows are compared with shifts (along a row)
    and with the next rows (along a column), so each rule costs a few int
    operations per row instead of a Python step per module.
    """
    full, pairs = (1 << n) - 1, (1 << (n - 1)) - 1
    score = 0
    # N1, along rows: `same` marks a module equal to its right neighbour; four marks in
    # a row are a window of five equal modules; a run of L counts L-4 windows and
    # scores L-2, so add two per run (a window whose left neighbour is no window).
    # N2: 2×2 blocks of one colour, 3 each.
    windows_total = runs = blocks = 0
    down = [~(a ^ b) & full for a, b in zip(rows, rows[1:])]  # equal to the module below
    for i, row in enumerate(rows):
        same = ~(row ^ (row >> 1)) & pairs
        window = same & (same >> 1) & (same >> 2) & (same >> 3)
        windows_total += window.bit_count()
        runs += (window & ~(window << 1)).bit_count()
        if i < n - 1:
            blocks += (down[i] & (down[i] >> 1) & same).bit_count()
    # N1, along columns: the same with rows i..i+3 of `down`.
    previous = 0
    for i in range(n - 4):
        window = down[i] & down[i + 1] & down[i + 2] & down[i + 3]
        windows_total += window.bit_count()
        runs += (window & ~previous).bit_count()
        previous = window
    score += windows_total + 2 * runs + 3 * blocks
    score += _finder_like_total(rows, n)
    dark = sum(row.bit_count() for row in rows)
    score += 10 * int(abs(float(dark) / (n ** 2) * 100 - 50) / 5)
    return score


def _finder_like_total(rows, n):
    """N3 with the same shifts: a match counts where four light modules (or the edge of
    the symbol) lie before or after it. Overlapping matches, where segno's scan skips
    some, are rare; a line that has them is scored as text, the way segno does."""
    full = (1 << n) - 1
    light = [~row & full for row in rows]
    starts = (1 << (n - 6)) - 1  # bit b: the pattern's last module; it fits while b <= n-7
    edges = (1 << (n - 7)) | 1
    above_light = ((1 << 11) - 1) << n  # modules past the edge count as light
    total = 0
    for row, blank in zip(rows, light):
        found = (row & (blank >> 1) & (row >> 2) & (row >> 3) & (row >> 4) & (blank >> 5)
                 & (row >> 6) & starts)
        if not found:
            continue
        if found & ((found >> 4) | (found >> 6)):
            total += _finder_like(format(row, f"0{n}b"), n)
            continue
        wide = blank | above_light
        before = (wide >> 7) & (wide >> 8) & (wide >> 9) & (wide >> 10)
        low = (blank << 4) | 0b1111
        after = low & (low >> 1) & (low >> 2) & (low >> 3)
        total += 40 * (found & (before | after | edges)).bit_count()
    found = [rows[i] & light[i + 1] & rows[i + 2] & rows[i + 3] & rows[i + 4] & light[i + 5]
             & rows[i + 6] for i in range(n - 6)]
    overlapping = 0
    for i in range(n - 6):
        for step in (4, 6):
            if i + step < n - 6:
                overlapping |= found[i] & found[i + step]
    for i, hits in enumerate(found):
        hits &= ~overlapping
        if not hits:
            continue
        if i in (0, n - 7):
            total += 40 * hits.bit_count()
            continue
        before = after = full
        for k in range(max(i - 4, 0), i):
            before &= light[k]
        for k in range(i + 7, min(i + 11, n)):
            after &= light[k]
        total += 40 * (hits & (before | after)).bit_count()
    k = 0
    while overlapping:
        if overlapping & 1:
            total += _finder_like("".join("1" if row >> k & 1 else "0" for row in rows), n)
        overlapping >>= 1
        k += 1
    return total


def _finder_like(line, n):
    """segno's N3 count for one row or column, edge cases as segno has them."""
    count = 0
    index = line.find(_FINDER_LIKE)
    while index != -1:
        after = index + 7
        if (index in (0, n - 7) or "1" not in line[max(index - 4, 0):index]
                or "1" not in line[after:after + 4]):
            count += 40
        else:
            after = index + 4
        index = line.find(_FINDER_LIKE, after)
    return count
