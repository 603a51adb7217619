"""The drawing as SVG: one <path> per layer, unit squares merged into runs."""
import base64
import io
import math
from xml.sax.saxutils import escape, quoteattr

from webapp.qr.drawing import Circle, Ring

FONT_FAMILY = "Aileron, 'Helvetica Neue', Helvetica, Arial, sans-serif"


def _num(value):
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _runs(layer):
    return "".join(f"M{x} {y}h{length}v1h{-length}z" for x, y, length in layer.runs())


def _rect(s):
    x, y, w, h = s.x, s.y, s.w, s.h
    if not s.r:
        return f"M{_num(x)} {_num(y)}h{_num(w)}v{_num(h)}h{_num(-w)}z"
    tl, tr, br, bl = (s.r if c else 0 for c in s.corners)
    out = [f"M{_num(x + tl)} {_num(y)}"]
    for (lx, ly), (ax, ay), r in (  # clockwise: straight edge, then the corner's arc
        ((x + w - tr, y), (x + w, y + tr), tr),
        ((x + w, y + h - br), (x + w - br, y + h), br),
        ((x + bl, y + h), (x, y + h - bl), bl),
        ((x, y + tl), (x + tl, y), tl),
    ):
        out.append(f"L{_num(lx)} {_num(ly)}")
        if r:
            out.append(f"A{_num(r)} {_num(r)} 0 0 1 {_num(ax)} {_num(ay)}")
    return "".join(out) + "z"


def _circle(c):
    r = _num(c.r)
    return (f"M{_num(c.cx - c.r)} {_num(c.cy)}a{r} {r} 0 1 1 {_num(2 * c.r)} 0"
            f"a{r} {r} 0 1 1 {_num(-2 * c.r)} 0z")


def shape_path(shape):
    """Holes (a Ring's inner shape) open because every layer is filled even-odd."""
    if isinstance(shape, Ring):
        return shape_path(shape.outer) + shape_path(shape.inner)
    if isinstance(shape, Circle):
        return _circle(shape)
    return _rect(shape)


def _gradient(gid, g, box):
    x, y, size = box
    cx, cy = x + size / 2, y + size / 2
    stops = (f'<stop offset="0" stop-color="{g.start}"/><stop offset="1" stop-color="{g.end}"/>')
    if g.type == "radial":
        return (f'<radialGradient id="{gid}" gradientUnits="userSpaceOnUse" cx="{_num(cx)}" '
                f'cy="{_num(cy)}" r="{_num(size * math.sqrt(0.5))}">{stops}</radialGradient>')
    dx, dy = math.cos(math.radians(g.rotation)), math.sin(math.radians(g.rotation))
    d = size / 2 * (abs(dx) + abs(dy))
    return (f'<linearGradient id="{gid}" gradientUnits="userSpaceOnUse" x1="{_num(cx - d * dx)}" '
            f'y1="{_num(cy - d * dy)}" x2="{_num(cx + d * dx)}" y2="{_num(cy + d * dy)}">'
            f'{stops}</linearGradient>')


def write_svg(drawing, scale=10, title=None):
    w, h = drawing.width, drawing.height
    crisp = ' shape-rendering="crispEdges"' if drawing.is_pixel_aligned() else ""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_num(w * scale)}" '
           f'height="{_num(h * scale)}" viewBox="0 0 {w} {h}"{crisp}>']
    if title:
        out.append(f"<title>{escape(title)}</title>")
    if "svg body" not in drawing.cache:  # in module units: the same at every scale
        drawing.cache["svg body"] = _body(drawing)
    out.append(drawing.cache["svg body"])
    if drawing.logo:
        out.append(_logo(drawing, scale))
    if drawing.text:
        text, cx, cy, size, colour = drawing.text
        out.append(f'<text x="{_num(cx)}" y="{_num(cy)}" fill="{colour}" font-size="{_num(size)}" '
                   f'font-family={quoteattr(FONT_FAMILY)} text-anchor="middle" '
                   f'dominant-baseline="central">{escape(text)}</text>')
    out.append("</svg>")
    return "".join(out)


def _body(drawing):
    w, h = drawing.width, drawing.height
    out = []
    if drawing.background:
        out.append(f'<path fill="{drawing.background}" d="M0 0h{w}v{h}h-{w}z"/>')
    for i, layer in enumerate(drawing.layers):
        d = _runs(layer) + "".join(
            shape_path(s) for s in layer.shapes)
        if not d:
            continue
        if isinstance(layer.paint, str):
            fill = layer.paint
        else:
            out.append(f"<defs>{_gradient(f'g{i}', layer.paint, drawing.code_box)}</defs>")
            fill = f"url(#g{i})"
        out.append(f'<path fill="{fill}" fill-rule="evenodd" d="{d}"/>')
    return "".join(out)


def _logo(drawing, scale):
    x, y, lw, lh, image = drawing.logo
    # Embedded at the pixel size the PNG uses at this scale (at least 256 px), as PNG,
    # which every SVG viewer and rasteriser reads. Encoded once per drawing and size:
    # the gate writes the SVG at a dozen scales.
    target = max(256, round(max(lw, lh) * scale))
    cache, key = drawing.cache, ("svg logo", target)
    if key not in cache:
        thumb = image.copy()
        thumb.thumbnail((target, target))
        buf = io.BytesIO()
        thumb.save(buf, "PNG", optimize=False)
        cache[key] = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    return (f'<image x="{_num(x)}" y="{_num(y)}" width="{_num(lw)}" height="{_num(lh)}" '
            f'preserveAspectRatio="xMidYMid meet" href="{cache[key]}"/>')
