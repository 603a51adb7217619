"""How much of a code's error correction a logo uses up, counted codeword by codeword.

A logo hides modules, and a decoder cannot tell which ones: to it they are
errors. Reed-Solomon repairs up to half of a block's error-correction codewords,
block by block, so what matters is the worst block, not the logo's share of the
area. We place codewords the way ISO/IEC 18004 (7.7.3) does, using segno's
matrix helpers, and count per block the codewords the logo can spoil:

- every codeword with a module under the logo image (its pixels may read either way);
- every codeword with a dark module in the cleared margin around it (known to read light).

A logo may use at most LOGO_SHARE of any block's repair capacity; the rest is
left for what print and camera do to a code. It must never touch a finder,
separator, timing, format or version module: those are not error-corrected.
"""
from functools import lru_cache

from segno import consts, encoder

from webapp.qr.drawing import logo_box, logo_cells

LOGO_SHARE = 0.75
# ISO/IEC 18004 Table 9: codewords of small symbols spent on misdecode protection, not repair.
_MISDECODE = {(1, "L"): 3, (1, "M"): 2, (1, "Q"): 1, (1, "H"): 1, (2, "L"): 2, (3, "L"): 1}
_LEVELS = {"L": consts.ERROR_LEVEL_L, "M": consts.ERROR_LEVEL_M, "Q": consts.ERROR_LEVEL_Q,
           "H": consts.ERROR_LEVEL_H}
FUNCTION, ALIGNMENT = -1, -2


@lru_cache(maxsize=48)
def codeword_grid(version):
    """Rows of: the codeword index each module carries, FUNCTION, or ALIGNMENT."""
    n = encoder.calc_matrix_size(version)
    matrix = encoder.make_matrix(n, n)
    encoder.add_finder_patterns(matrix, n, n)
    grid = [[FUNCTION if cell != 0x2 else 0 for cell in row] for row in matrix]
    encoder.add_alignment_patterns(matrix, n, n)
    for y, row in enumerate(matrix):
        for x, cell in enumerate(row):
            if cell != 0x2 and grid[y][x] == 0:
                grid[y][x] = ALIGNMENT
    bit = 0
    for right in range(n - 1, 0, -2):  # two-module columns, right to left, snaking (segno's order)
        if right <= 6:
            right -= 1
        for vertical in range(n):
            for z in (0, 1):
                x = right - z
                upwards = ((right & 2) == 0) ^ (x < 6)
                y = n - 1 - vertical if upwards else vertical
                if matrix[y][x] == 0x2:
                    grid[y][x] = bit // 8
                    bit += 1
    return tuple(tuple(row) for row in grid)


@lru_cache(maxsize=192)
def blocks(version, level):
    """(block of each interleaved codeword, codewords each block can repair)."""
    sizes = [(ec.num_data, ec.num_total - ec.num_data)
             for ec in consts.ECC[version][_LEVELS[level]] for _ in range(ec.num_blocks)]
    order = [b for k in range(max(d for d, _ in sizes)) for b, (d, _) in enumerate(sizes) if k < d]
    order += [b for k in range(max(e for _, e in sizes)) for b, (_, e) in enumerate(sizes) if k < e]
    spare = _MISDECODE.get((version, level), 0)
    return tuple(order), tuple((e - spare) // 2 for _, e in sizes)


def logo_load(version, level, matrix, under, margin):
    """The worst block's share of its repair capacity the logo spends (1.0: all of it),
    or None when the logo touches a module that is not error-corrected.

    `under`/`margin`: (x, y) cells under the logo image / cleared around it.
    """
    grid = codeword_grid(version)
    order, capacity = blocks(version, level)
    spoilt = set()
    for cells, only_dark in ((under, False), (margin, True)):
        for x, y in cells:
            index = grid[y][x]
            if index == FUNCTION:
                return None
            if index >= 0 and index < len(order) and (not only_dark or matrix[y][x]):
                spoilt.add(index)
    per_block = [0] * len(capacity)
    for index in spoilt:
        per_block[order[index]] += 1
    return max(spent / can for spent, can in zip(per_block, capacity))


def logo_too_large(style, drawing):
    """(field, message) when the logo spends too much of the error correction, else None."""
    symbol, image = drawing.symbol, drawing.logo[4]
    n = len(symbol.matrix)

    def load(fraction):
        cells = logo_cells(n, logo_box(n, fraction, image.size))
        return logo_load(symbol.version, symbol.error, symbol.matrix, *cells)

    spent = load(style.logo_size)
    if spent is not None and spent <= LOGO_SHARE:
        return None
    fits = next((size / 100 for size in range(round(style.logo_size * 100) - 1, 9, -1)
                 if (used := load(size / 100)) is not None and used <= LOGO_SHARE), None)
    if spent is None:
        why = "it would cover the code's finder, timing or format marks, which nothing can repair"
    else:
        why = (f"it hides {spent:.0%} of what error correction can repair in the worst block; "
               f"at most {LOGO_SHARE:.0%} is allowed, so scratches and glare still have room")
    advice = (f"Make it at most {fits:.0%} of the width." if fits else
              "A code this short has too few modules to spare for one: remove the logo.")
    return "style.logo_size", f"The logo is too large for this code: {why}. {advice}"
