"""Choosing a code's data mask: segno's rule, scored on the whole matrix at once.

segno.make tries the eight data masks and keeps the one with the lowest
penalty (ISO/IEC 18004:2015, 7.8.3), scoring each candidate module by module
in Python: about three quarters of the time it takes to make a code, and so
of a bulk import. Here segno makes the code once with mask 0; the eight
candidates are derived from that one matrix and scored with the same four
rules, the matrix held as one Python int (a row per `width` bits) so that each
rule is a handful of shifts and ANDs; the winner's data modules are flipped
and segno writes its format information. The rules are segno's own, quirks
included: tests/qr/test_masks.py compares mask and matrix with segno.make's on
hundreds of payloads of every mode and size, so every code is exactly the one
segno would make.
"""
from functools import lru_cache

import segno
from segno import encoder

GUARD = 4  # light columns before each row: no pattern spans two rows; past an edge reads light
PAD = 4  # light rows above and below the symbol, for the same reasons along the columns
_FINDER_LIKE = "1011101"  # N3: dark-light-dark×3-light-dark
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_AS_VALUES = bytes.maketrans(b"01", b"\x00\x01")


def make_symbol(payload, error):
    """segno's QRCode for the payload, with the mask segno.make would choose."""
    symbol = segno.make(payload, error=error, micro=False, boost_error=True, mask=0)
    layout = _layout(len(symbol.matrix))
    matrix = layout.pack(symbol.matrix)
    data = matrix & layout.region ^ layout.flips[0]
    best, best_score = 0, None
    for number, flip in enumerate(layout.flips):
        score = layout.penalty(layout.fixed | (data ^ flip))
        if best_score is None or score < best_score:  # the first of equals wins, as in segno
            best, best_score = number, score
    if best:
        # The same symbol with the other mask: flip the data modules, then let segno
        # write the format information that names the mask.
        flipped = matrix & ~layout.region | (data ^ layout.flips[best])
        rows = tuple(bytearray(row.encode().translate(_AS_VALUES)) for row in layout.rows(flipped))
        encoder.add_format_info(rows, symbol._version, symbol._error, best)
        symbol.matrix, symbol.mask = rows, best
    return symbol


@lru_cache(maxsize=None)
def _layout(n):
    return Layout(n)


class Layout:
    """Where things are in the packed matrix of an n×n symbol.

    Row i sits at bits ((n + PAD - 1 - i) * width) upwards, module j at bit n-1-j
    of its row: so `>> 1` reads the module on the left, `>> width` the one above.
    """

    def __init__(self, n):
        self.n = n
        self.width = w = n + GUARD
        self.real = self._mask(lambda i, j: True)
        self.pad = ((1 << ((n + 2 * PAD) * w)) - 1) & ~self.real
        # The function patterns as scored (format and version areas still blank), the
        # data region, and for each mask the data modules it flips (segno's own tables).
        template = encoder.make_matrix(n, n)
        encoder.add_finder_patterns(template, n, n)
        encoder.add_alignment_patterns(template, n, n)
        self.fixed = self._mask(lambda i, j: template[i][j] == 1)
        self.region = self._mask(lambda i, j: template[i][j] == 2)
        self.flips = tuple(self._mask(lambda i, j: bool(pattern(i, j))) & self.region
                           for pattern in encoder.get_data_mask_functions(False))
        self.pairs = self.real & (self.real >> 1)  # a module and its left neighbour
        self.stacked = self.real & (self.real >> w)  # a module and the one above
        self.row_starts = self._mask(lambda i, j: j >= 6)  # seven modules fit to the left
        self.column_starts = self._mask(lambda i, j: i >= 6)  # seven fit above
        self.row_edges = self._mask(lambda i, j: j in (6, n - 1))  # touching a side
        self.column_edges = self._mask(lambda i, j: i in (6, n - 1))
        self.row_masks = [self._mask(lambda i, j, row=row: i == row) for row in range(n)]
        self.column_masks = [self._mask(lambda i, j, column=column: j == column)
                             for column in range(n)]

    def _mask(self, where):
        n, w = self.n, self.width
        lines = ["0" * w] * PAD
        lines += ["0" * GUARD + "".join("1" if where(i, j) else "0" for j in range(n))
                  for i in range(n)]
        lines += ["0" * w] * PAD
        return int("".join(lines), 2)

    def pack(self, matrix):
        pad_row, guard = b"0" * self.width, b"0" * GUARD
        body = b"".join(guard + bytes(row).translate(_AS_DIGITS) for row in matrix)
        return int(pad_row * PAD + body + pad_row * PAD, 2)

    def rows(self, packed):
        """The real rows of a packed matrix as strings of 0 and 1."""
        w, n = self.width, self.n
        text = format(packed, f"0{(n + 2 * PAD) * w}b")
        return [text[(PAD + i) * w + GUARD:(PAD + i + 1) * w] for i in range(n)]

    def penalty(self, m):
        """N1 + N2 + N3 + N4 of segno's `mask_scores` for the packed matrix `m`."""
        w = self.width
        light = ~m & self.real | self.pad
        # N1: a run of L >= 5 modules of one colour scores L-2. `same` marks a module equal
        # to its neighbour; four marks in a line are a window of five equal modules; a run
        # holds L-4 windows, so add two per run (a window with no window just before it).
        same = ~(m ^ (m >> 1)) & self.pairs
        across = same & (same >> 1) & (same >> 2) & (same >> 3)
        down = ~(m ^ (m >> w)) & self.stacked
        along = down & (down >> w) & (down >> 2 * w) & (down >> 3 * w)
        score = (across.bit_count() + 2 * (across & ~(across << 1)).bit_count()
                 + along.bit_count() + 2 * (along & ~(along << w)).bit_count())
        # N2: each 2×2 block of one colour scores 3.
        score += 3 * (same & down & (down >> 1)).bit_count()
        score += self._finder_like(m, light, 1, self.row_starts, self.row_edges, rows=True)
        score += self._finder_like(m, light, w, self.column_starts, self.column_edges, rows=False)
        # N4: 10 for each 5% the dark share strays from 50%.
        score += 10 * int(abs(float(m.bit_count()) / (self.n ** 2) * 100 - 50) / 5)
        return score

    def _finder_like(self, m, light, step, starts, edges, rows):
        """N3 along rows (step 1) or columns (step width): 40 for each 1:1:3:1:1 pattern
        with four light modules, or the edge of the symbol, before or after it."""
        found = (m & (light >> step) & (m >> 2 * step) & (m >> 3 * step) & (m >> 4 * step)
                 & (light >> 5 * step) & (m >> 6 * step) & starts)
        if not found:
            return 0
        score = 0
        overlapping = found & ((found >> 4 * step) | (found >> 6 * step))
        if overlapping:
            # Patterns that overlap, as a finder's can with data beside it: segno's scan
            # skips some of them, so those lines are scored as text, exactly as segno does.
            text = self.rows(m)
            for line in sorted(self._lines_of(overlapping, rows)):
                score += _finder_like(text[line] if rows else "".join(r[line] for r in text),
                                      self.n)
                found &= ~(self.row_masks[line] if rows else self.column_masks[line])
        before = after = -1
        for k in range(7, 11):
            before &= light >> k * step
        for k in range(1, 5):
            after &= light << k * step
        return score + 40 * (found & (before | after | edges)).bit_count()

    def _lines_of(self, bits, rows):
        """The rows (or columns) of the set bits of a packed mask."""
        lines = set()
        while bits:
            low = bits & -bits
            position = low.bit_length() - 1
            lines.add(self.n + PAD - 1 - position // self.width if rows
                      else self.n - 1 - position % self.width)
            bits ^= low
        return lines


def _finder_like(line, n):
    """segno's N3 count for one row or column, its scan and edge cases as they are."""
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
