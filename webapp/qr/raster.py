"""The drawing as pixels (Pillow): the PNG writer, and the raster inside styled PDF/EPS.

Square-only drawings are painted one pixel per module and scaled up without
smoothing (fast, and exact). Curves are drawn into a mask at many pixels per
module and reduced by area averaging, which anti-aliases them the way an SVG
renderer does. Up to MASTER_UPTO pixels per module (every scale the scannability
gate decodes) the mask is drawn once per drawing at a master size and each scale
is reduced from it: the gate pays for one drawing, not a dozen, and the PNG served
at such a scale is exactly the picture the gate read.
"""
import io
import math

from PIL import Image, ImageChops, ImageDraw, ImageFont

from webapp.qr.drawing import Circle, Ring
from webapp.qr.style import rgb

SUPERSAMPLE = 4  # for scales above MASTER_UPTO, drawn directly
# Masters have many divisors, so most scales are an integer reduction (fast, exact area
# average); a scale is reduced from the master while that leaves at least 2× supersampling
# (48: up to 24 px per module, 4× and more up to 12).
MASTER_SIZES, MASTER_UPTO = (48, 36, 24, 12), 24
MAX_MASTER_SIDE = 4096  # pixels; huge codes get a coarser master rather than a memory problem
MAX_SIDE = 12000  # pixels; beyond this a PNG is no longer an image but a memory problem


def _rgba(colour, alpha=255):
    return rgb(colour) + (alpha,)


def render_image(drawing, scale):
    """The drawing at `scale` pixels per module, as an RGBA (or palette) Pillow image."""
    w, h = drawing.width * scale, drawing.height * scale
    if max(w, h) > MAX_SIDE:
        raise ValueError(f"{w}×{h} pixels is larger than {MAX_SIDE} on a side")
    if drawing.is_pixel_aligned():
        return _paint_cells(drawing, scale)
    canvas = Image.new("RGBA", (w, h), _rgba(drawing.background) if drawing.background else (0, 0, 0, 0))
    for paint, mask in _masks_by_paint(drawing, scale):
        if drawing.background and isinstance(paint, str):
            canvas.paste(_rgba(paint), mask=mask)  # on an opaque canvas, this is compositing
            continue
        image = _paint(paint, drawing.code_box, scale, (w, h))
        image.putalpha(mask)
        canvas.alpha_composite(image)
    if drawing.logo:
        _paste_logo(canvas, drawing.logo, scale)
    if drawing.text:
        _draw_text(canvas, drawing.text, scale)
    return canvas


def _paint_cells(drawing, scale):
    """Palette image, one pixel per module, then nearest-neighbour upscaling."""
    w, h = drawing.width, drawing.height
    palette = [drawing.background or "#ffffff"]
    index = bytearray(w * h)
    for layer in drawing.layers:
        palette.append(layer.paint)
        value = len(palette) - 1
        if layer.cells:
            for y, row in enumerate(layer.cells):
                start = (layer.cell_y + y) * w + layer.cell_x
                for x, dark in enumerate(row):
                    if dark:
                        index[start + x] = value
        for s in layer.shapes:
            for shape in (s.outer, s.inner) if isinstance(s, Ring) else (s,):
                fill = 0 if shape is getattr(s, "inner", None) else value
                for y in range(int(shape.y), int(shape.y + shape.h)):
                    index[y * w + int(shape.x):y * w + int(shape.x + shape.w)] = bytes([fill]) * int(shape.w)
    image = Image.frombytes("P", (w, h), bytes(index))
    image.putpalette([c for colour in palette for c in rgb(colour)])
    if drawing.background is None:
        image.info["transparency"] = 0
    return image.resize((w * scale, h * scale), Image.Resampling.NEAREST)


def plain_cells(drawing, scale):
    """The plain code: two colours, the matrix rows copied straight into pixels."""
    w, h = drawing.width, drawing.height
    layer = drawing.layers[0]
    table = bytes([0, 1]) + bytes(254)
    blank = bytes(w)
    rows = [blank] * layer.cell_y
    pad_l, pad_r = bytes(layer.cell_x), bytes(w - layer.cell_x - len(layer.cells))
    rows += [pad_l + bytes(row).translate(table) + pad_r for row in layer.cells]
    rows += [blank] * (h - len(rows))
    image = Image.frombytes("P", (w, h), b"".join(rows))
    image.putpalette(list(rgb(drawing.background or "#ffffff")) + list(rgb(layer.paint)))
    if drawing.background is None:
        image.info["transparency"] = 0
    return image.resize((w * scale, h * scale), Image.Resampling.NEAREST)


def _masks_by_paint(drawing, scale):
    """[(paint, coverage)], layers of one paint merged: they never overlap, so adding their
    masks is exact (and where two touch, seamless), and each paint is composited once."""
    merged = {}
    for index, layer in enumerate(drawing.layers):
        mask = _scaled_mask(drawing, index, scale)
        if mask is None:
            continue
        key = layer.paint if isinstance(layer.paint, str) else layer.paint.model_dump_json()
        if key in merged:
            merged[key] = (layer.paint, ImageChops.add(merged[key][1], mask))
        else:
            merged[key] = (layer.paint, mask)
    return list(merged.values())


def master_px(drawing):
    side = max(drawing.width, drawing.height)
    return next((m for m in MASTER_SIZES if m * side <= MAX_MASTER_SIDE), MASTER_SIZES[-1])


def from_master(drawing, scale):
    """Whether curves at `scale` are reduced from the drawing's master (else drawn directly)."""
    return scale <= MASTER_UPTO and 2 * scale <= master_px(drawing)


def _scaled_mask(drawing, index, scale):
    """Layer `index`'s coverage at `scale` pixels per module (None: it draws nothing)."""
    layer = drawing.layers[index]
    size = (drawing.width * scale, drawing.height * scale)
    if layer.is_pixel_aligned() or not from_master(drawing, scale):
        return _layer_mask(layer, scale, size, 1 if layer.is_pixel_aligned() else SUPERSAMPLE)
    key = ("mask levels", index)
    if key not in drawing.cache:
        px = master_px(drawing)
        master = _layer_mask(layer, px, (drawing.width * px, drawing.height * px), 1)
        drawing.cache[key] = None if master is None else {px: master}
    levels = drawing.cache[key]
    return None if levels is None else _reduce(levels, scale, size)


def _reduce(levels, scale, size):
    """The layer at `scale` by area averaging, from `levels` ({px per module: mask}, the master
    first, halved as needed). An integer reduction where one divides, else a short fractional
    step from a level at least twice as fine; reading the small levels keeps it cheap."""
    px = max(levels)
    while px % 2 == 0 and px // 2 >= MASTER_SIZES[-1]:
        if px // 2 not in levels:
            levels[px // 2] = levels[px].reduce(2)
        px //= 2
    ladder = sorted(levels)
    fine = [level for level in ladder if level >= 2 * scale] or ladder[-1:]
    exact = [level for level in fine if level % scale == 0]
    if exact:
        return levels[exact[0]].reduce(exact[0] // scale)
    return levels[fine[0]].resize(size, Image.Resampling.BOX)


def _layer_mask(layer, scale, size, k):
    if not layer.cells and not layer.shapes:
        return None
    k = max(1, min(k, MAX_SIDE // max(size)))
    s = scale * k
    mask = Image.new("L", (size[0] * k, size[1] * k), 0)
    draw = ImageDraw.Draw(mask)
    for x, y, length in layer.runs():
        draw.rectangle((x * s, y * s, (x + length) * s - 1, (y + 1) * s - 1), fill=255)
    for shape in layer.shapes:
        if isinstance(shape, Ring):
            _draw_shape(draw, shape.outer, s, 255)
            _draw_shape(draw, shape.inner, s, 0)
        else:
            _draw_shape(draw, shape, s, 255)
    return mask.reduce(k) if k > 1 else mask


def _draw_shape(draw, shape, s, fill):
    if isinstance(shape, Circle):
        box = ((shape.cx - shape.r) * s, (shape.cy - shape.r) * s,
               (shape.cx + shape.r) * s - 1, (shape.cy + shape.r) * s - 1)
        draw.ellipse(box, fill=fill)
        return
    box = (shape.x * s, shape.y * s, (shape.x + shape.w) * s - 1, (shape.y + shape.h) * s - 1)
    if not shape.r:
        draw.rectangle(box, fill=fill)
        return
    # Drawn by hand: Pillow's rounded_rectangle refuses some per-corner radii of half a module.
    x0, y0, x1, y1 = box
    d = shape.r * s * 2
    draw.rectangle(box, fill=fill)
    quarters = (((x0, y0), 180), ((x1 - d + 1, y0), 270), ((x1 - d + 1, y1 - d + 1), 0),
                ((x0, y1 - d + 1), 90))
    for ((cx, cy), start), rounded in zip(quarters, shape.corners):
        if not rounded:
            continue
        # Clear the corner's square back to what lies under it, then fill its quarter circle.
        sq_x = cx if start in (180, 90) else cx + d / 2
        sq_y = cy if start in (180, 270) else cy + d / 2
        draw.rectangle((sq_x, sq_y, sq_x + d / 2 - 1, sq_y + d / 2 - 1), fill=255 - fill)
        draw.pieslice((cx, cy, cx + d - 1, cy + d - 1), start, start + 90, fill=fill)


def _paint(paint, code_box, scale, size):
    if isinstance(paint, str):
        return Image.new("RGBA", size, _rgba(paint))
    x, y, side = (v * scale for v in code_box)
    cx, cy = x + side / 2, y + side / 2
    if paint.type == "radial":
        # radial_gradient('L') reaches 255 about 180.3 px from its centre (128, 128).
        k = 180.3 / (side * math.sqrt(0.5))
        ramp = Image.radial_gradient("L").transform(
            size, Image.Transform.AFFINE, (k, 0, 128 - k * cx, 0, k, 128 - k * cy),
            resample=Image.Resampling.BILINEAR, fillcolor=255)
    else:
        dx, dy = math.cos(math.radians(paint.rotation)), math.sin(math.radians(paint.rotation))
        d = side / 2 * (abs(dx) + abs(dy))
        k = 255 / (2 * d)  # linear_gradient('L'): the value is the row, 0 at the top
        ramp = Image.linear_gradient("L").transform(
            size, Image.Transform.AFFINE,
            (0, 0, 128, k * dx, k * dy, 127.5 - k * (dx * cx + dy * cy)),
            resample=Image.Resampling.BILINEAR, fillcolor=0)
    start = Image.new("RGBA", size, _rgba(paint.start))
    end = Image.new("RGBA", size, _rgba(paint.end))
    return Image.composite(end, start, ramp)


def _paste_logo(canvas, logo, scale):
    x, y, lw, lh, image = logo
    box = (round(x * scale), round(y * scale), round((x + lw) * scale), round((y + lh) * scale))
    if image.mode != "RGBA":
        image = image.convert("RGBA")
    fitted = image.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS)
    canvas.alpha_composite(fitted, box[:2])


def _draw_text(canvas, text_spec, scale):
    text, cx, cy, size, colour = text_spec
    font = ImageFont.load_default(size * scale)
    ImageDraw.Draw(canvas).text((cx * scale, cy * scale), text, fill=_rgba(colour), font=font,
                                anchor="mm", stroke_width=0)


def write_png(drawing, scale):
    image = plain_cells(drawing, scale) if drawing.plain_matrix is not None else render_image(drawing, scale)
    buf = io.BytesIO()
    if image.mode == "P":
        colours = len(image.getpalette()) // 3
        bits = 1 if colours <= 2 else 2 if colours <= 4 else 4 if colours <= 16 else 8
        image.save(buf, "PNG", bits=bits, compress_level=6)
    else:
        image.save(buf, "PNG", compress_level=6)
    return buf.getvalue()
