"""One drawing of a styled code, in module units; the SVG and PNG writers both paint it.

segno gives the module matrix; everything visible is decided here, once, so the
SVG and the PNG cannot disagree. Coordinates are in modules from the top-left
corner of the whole image (quiet zone and frame included).
"""
import math
from dataclasses import dataclass, field

from segno import consts

from webapp.qr import masks

FINDER = 7
LOGO_MARGIN = 0.5  # modules of clear background around a logo


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    r: float = 0.0
    corners: tuple = (True, True, True, True)  # which corners take the radius: tl, tr, br, bl


@dataclass(frozen=True)
class Circle:
    cx: float
    cy: float
    r: float


@dataclass(frozen=True)
class Ring:
    """An outline: `outer` filled, `inner` left open (so a transparent background shows through)."""
    outer: object
    inner: object


@dataclass
class Layer:
    paint: object  # "#rrggbb" or a style Gradient
    cells: list = None  # rows of 0/1 (bytearray) at (cell_x, cell_y); drawn as unit squares
    cell_x: int = 0
    cell_y: int = 0
    shapes: list = field(default_factory=list)

    def runs(self):
        """The cells as horizontal runs of set modules: (x, y, length), in the drawing's units."""
        for y, row in enumerate(self.cells or ()):
            x, n = 0, len(row)
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    yield self.cell_x + start, self.cell_y + y, x - start
                else:
                    x += 1

    def is_pixel_aligned(self):
        return isinstance(self.paint, str) and all(
            isinstance(s, Rect) and s.r == 0 for s in self.shapes)


@dataclass
class Drawing:
    width: int
    height: int
    background: str | None  # None: transparent
    code_box: tuple  # (x, y, size) of the symbol itself, without its quiet zone
    layers: list = field(default_factory=list)
    logo: tuple = None  # (x, y, w, h, PIL image)
    logo_cells: tuple = None  # (cells under the logo, cells cleared around it), as (x, y) in the symbol
    text: tuple = None  # (text, centre x, centre y, size, colour)
    plain_matrix: object = None  # set for the plain fast path: segno's matrix as-is
    symbol: object = None  # segno's QRCode (version, error level, matrix; its vector PDF/EPS writers)
    # What the writers compute once per drawing (layer masks, the encoded logo): the gate
    # renders one drawing at a dozen sizes.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def is_pixel_aligned(self):
        return self.logo is None and self.text is None and all(
            layer.is_pixel_aligned() for layer in self.layers)


def make_symbol(payload, error):
    """segno's code for `payload`; `boost_error` only raises the level when the size stays.

    The same code segno.make returns, with its mask chosen faster (see masks.py).
    """
    return masks.make_symbol(payload, error)


def alignment_centres(version):
    if version < 2:
        return []
    positions = consts.ALIGNMENT_POS[version - 2]
    lo, hi = positions[0], positions[-1]
    finders = {(lo, lo), (lo, hi), (hi, lo)}
    return [(x, y) for x in positions for y in positions if (x, y) not in finders]


def build(payload, style, logo_image=None):
    qr = make_symbol(payload, style.error_correction)
    matrix = qr.matrix
    n = len(matrix)
    qz = style.quiet_zone
    pad, band = (1, max(4, round((n + 2 * qz) * 0.22))) if style.frame else (0, 0)
    side = n + 2 * qz
    drawing = Drawing(width=side + 2 * pad, height=side + 2 * pad + band,
                      background=None if style.transparent else style.light,
                      code_box=(pad + qz, pad + qz, n), symbol=qr)
    ox = oy = pad + qz
    if style.is_plain() and style.finder == style.dark == style.finder_dot == style.alignment:
        drawing.plain_matrix = matrix
        drawing.layers.append(Layer(style.dark, cells=list(matrix), cell_x=ox, cell_y=oy))
        return drawing

    data = [bytearray(row) for row in matrix]
    for fx, fy in ((0, 0), (n - FINDER, 0), (0, n - FINDER)):
        for row in data[fy:fy + FINDER]:
            row[fx:fx + FINDER] = bytes(FINDER)
    align = [bytearray(n) for _ in range(n)]
    for cx, cy in alignment_centres(qr.version):
        for y in range(cy - 2, cy + 3):
            align[y][cx - 2:cx + 3] = matrix[y][cx - 2:cx + 3]
            data[y][cx - 2:cx + 3] = bytes(5)
    if logo_image is not None:
        drawing.logo, drawing.logo_cells = _place_logo(data, align, n, ox, oy, style.logo_size,
                                                       logo_image)

    drawing.layers.append(_module_layer(data, style.gradient or style.dark, style.module_shape, ox, oy))
    alignment = style.alignment_color or style.gradient or style.dark
    drawing.layers.append(_module_layer(align, alignment, style.module_shape, ox, oy))
    rings, dots = _finders(n, ox, oy, style.finder_shape)
    drawing.layers.append(Layer(style.finder, shapes=rings))
    drawing.layers.append(Layer(style.finder_dot, shapes=dots))
    if style.frame:
        _add_frame(drawing, side, pad, band, style.frame)
    return drawing


def logo_box(n, fraction, size):
    """(x, y, w, h) in modules of a logo of pixel `size` centred on an n-module symbol."""
    box = n * fraction
    w, h = size
    lw, lh = (box, box * h / w) if w >= h else (box * w / h, box)
    return (n - lw) / 2, (n - lh) / 2, lw, lh


def logo_cells(n, box):
    """(cells under the logo, cells in the clear margin around it) as (x, y) in the symbol."""
    x0, y0, lw, lh = box
    under, margin = set(), set()
    for y in range(max(0, math.floor(y0 - LOGO_MARGIN)), min(n, math.ceil(y0 + lh + LOGO_MARGIN))):
        for x in range(max(0, math.floor(x0 - LOGO_MARGIN)), min(n, math.ceil(x0 + lw + LOGO_MARGIN))):
            inside = x + 1 > x0 and x < x0 + lw and y + 1 > y0 and y < y0 + lh
            (under if inside else margin).add((x, y))
    return frozenset(under), frozenset(margin)


def _place_logo(data, align, n, ox, oy, fraction, image):
    """Centre the logo and clear the modules under it and LOGO_MARGIN around it, so it sits
    on a clean patch: a module half hidden by the logo's edge would read either way."""
    box = logo_box(n, fraction, image.size)
    cells = logo_cells(n, box)
    image = image if image.mode == "RGBA" else image.convert("RGBA")  # once, not per size drawn
    for x, y in cells[0] | cells[1]:
        data[y][x] = align[y][x] = 0
    x0, y0, lw, lh = box
    return (ox + x0, oy + y0, lw, lh, image), cells


def _neighbours(cells, x, y):
    n = len(cells)
    up = y > 0 and cells[y - 1][x]
    down = y < n - 1 and cells[y + 1][x]
    left = x > 0 and cells[y][x - 1]
    right = x < n - 1 and cells[y][x + 1]
    return up, right, down, left


def _module_layer(cells, paint, shape, ox, oy):
    if shape == "square":
        return Layer(paint, cells=cells, cell_x=ox, cell_y=oy)
    shapes = []
    for y, row in enumerate(cells):
        for x, dark in enumerate(row):
            if not dark:
                continue
            if shape == "dots":
                shapes.append(Circle(ox + x + 0.5, oy + y + 0.5, 0.5))
                continue
            up, right, down, left = _neighbours(cells, x, y)
            corners = (not (up or left), not (up or right), not (down or right), not (down or left))
            if shape == "classy":
                corners = (corners[0], False, corners[2], False)
            radius = 0.5 if shape == "extra-rounded" else 0.35
            shapes.append(Rect(ox + x, oy + y, 1, 1, radius if any(corners) else 0, corners))
    return Layer(paint, shapes=shapes)


def _finders(n, ox, oy, shape):
    rings, dots = [], []
    for fx, fy in ((0, 0), (n - FINDER, 0), (0, n - FINDER)):
        x, y = ox + fx, oy + fy
        if shape == "circle":
            rings.append(Ring(Circle(x + 3.5, y + 3.5, 3.5), Circle(x + 3.5, y + 3.5, 2.5)))
            dots.append(Circle(x + 3.5, y + 3.5, 1.5))
        else:
            r_out, r_in, r_dot = (2.0, 1.2, 0.8) if shape == "rounded" else (0, 0, 0)
            rings.append(Ring(Rect(x, y, 7, 7, r_out), Rect(x + 1, y + 1, 5, 5, r_in)))
            dots.append(Rect(x + 2, y + 2, 3, 3, r_dot))
    return rings, dots


def _add_frame(drawing, side, pad, band, frame):
    outer = Rect(0, 0, drawing.width, drawing.height, 1.5)
    inner = Rect(pad, pad, side, side, 0.5)
    drawing.layers.append(Layer(frame.color, shapes=[Ring(outer, inner)]))
    size = min(band * 0.55, drawing.width * 1.6 / max(len(frame.text), 4))
    drawing.text = (frame.text, drawing.width / 2, pad + side + band / 2, size, frame.text_color)
