"""Does it scan? Contrast, then the logo's cost, then real decoders read the rendered pixels.

The certificate must hold for what we hand out, not for one picture, and for the
scanners people use, not for one decoder. A decoder's success at one size says
little about the next: zxing binarises in 8-pixel blocks, and anti-aliased curves
and a resampled logo land differently on every pixel grid. So two independent
decoders, zxing-cpp and WeChat's (OpenCV contrib, `decoders.py`), must each read
back exactly the payload from every clean view:

- the PNG at every scale from MIN_PNG_SCALE to 12 pixels per module, and at 16
  (modules two blocks wide line up with them, where zxing trips: the one larger
  size where a saved code failed in our survey of thousands): the very pictures
  the PNG download serves at those scales;
- the PNG shrunk to CAMERA_PX_PER_MODULE without pixel alignment;
- for a code with a logo, the SVG as an SVG renderer (resvg) draws it at every
  scale from MIN_PNG_SCALE to 12: a viewer resamples the embedded logo its own
  way, and a logo can hold a shape a decoder takes for an alignment pattern.

A plain code's PNGs are one matrix enlarged by nearest neighbour; WeChat is asked
about its smallest one and the shrunk one only (PLAIN_WECHAT_VIEWS): it read every
scale of every plain code in tests/qr/test_two_decoders.py, and asking about all
of them would cost a bulk job ten times its gate. WeChat's binding cannot hand over
text that is not UTF-8 (segno writes ISO 8859-1 where it fits): for such a payload its
readings are recorded as None, and zxing-cpp alone vouches for the clean views.

Then a phone camera's view (`camera.py`: tilted, turned, unevenly lit, blurred,
JPEG; the same every time) must read in at least one of the two. A plain black-on-white
code (square modules and finders, no logo) is not asked (`camera_proven`): in the survey
behind issue 20, under simulated phone cameras, every plain code was read where 2.6% of
styled codes of the same payloads were not, and tests/qr/test_two_decoders.py keeps
trying the camera view of the codes it draws; the view is a quarter of a plain code's
gate, which a bulk job pays per row. OpenCV's classic
detector, which some older scanner apps use, is asked about the 3-pixel PNG to
warn, not to refuse: it reads almost no code with round finders.
The verdict keeps which decoder read which view (`report`), stored with the code.
"""
import io
from collections import deque
from dataclasses import dataclass, field

import numpy
from PIL import Image

from webapp.qr import decoders, reading, svg_views
from webapp.qr.camera import camera_view
from webapp.qr.contrast import check_contrast
from webapp.qr.decoders import CLASSIC, REQUIRED, WECHAT, ZXING
from webapp.qr.logo_budget import logo_too_large
from webapp.qr.raster import from_master, plain_cells, render_image
from webapp.qr.svg import write_svg

MIN_PNG_SCALE = 3  # pixels per module: below it curves and logos cannot be drawn faithfully
CHECK_SCALES = tuple(range(MIN_PNG_SCALE, 13))
LARGE_SCALES = (16,)
CAMERA_FROM, CAMERA_PX_PER_MODULE = 6, 2.5
SHRUNK = "shrunk to phone-camera size"
CAMERA = "as a phone camera sees it (tilted, unevenly lit, blurred, JPEG)"
PLAIN_WECHAT_VIEWS = (f"as a PNG at {MIN_PNG_SCALE} pixels per module", SHRUNK)
REPORT_VERSION = 1


@dataclass
class Verdict:
    ok: bool
    reasons: list = field(default_factory=list)  # (style field or "", message)
    warnings: list = field(default_factory=list)  # plain words on scanners that may not read it
    report: dict = None  # {"version", "views": [{"view", "kind", "read": {decoder: bool}}], "warnings"}

    @property
    def message(self):
        return " ".join(message for _, message in self.reasons)


def decode(image):
    """The texts zxing-cpp reads in a Pillow image (no inverted codes: phones often miss them)."""
    return decoders.zxing(image)


def on_white(image):
    """The image as printed on white paper, in grey (what a camera hands a decoder)."""
    if image.mode == "P" and "transparency" not in image.info or image.mode in ("RGB", "L"):
        return image.convert("L")
    image = image.convert("RGBA")
    alpha = image.getchannel("A")
    if alpha.getextrema()[0] == 255:
        return image.convert("L")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=alpha)
    return flat.convert("L")


def gate_image(drawing, scale):
    """The drawing in grey on white paper, as the decoder gets it (a Pillow image)."""
    pixels = gate_pixels(drawing, scale)
    return pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)


def gate_pixels(drawing, scale):
    """`gate_image`, as a numpy array for a plain code.

    A plain code's PNG is its matrix at one pixel per module, enlarged without
    smoothing, and greying works pixel by pixel: so the matrix is greyed once and
    each scale is a nearest-neighbour enlargement of that, the very pixels of the
    PNG served at that scale for a fifth of the work. As an array, the decoders read
    it without Pillow copying it out first (a quarter of a plain code's gate).
    """
    if drawing.plain_matrix is None:
        return on_white(render_image(drawing, scale))
    grey = drawing.cache.get("grey cells")
    if grey is None:
        grey = drawing.cache["grey cells"] = numpy.asarray(on_white(plain_cells(drawing, 1)))
    return grey.repeat(scale, axis=0).repeat(scale, axis=1)


def check(payload, style, drawing, survey=True, beside=True):
    """The verdict for `drawing` (built from payload and style).

    `survey=False` skips OpenCV's classic detector (it only warns; a bulk job's codes
    are reported without it).

    OpenCV lets go of the GIL while it reads and drawing a view does not, so WeChat (and
    the classic detector) read each view in a thread beside us while the next view is
    drawn, and a logo code's SVG views are drawn by a process of their own (`svg_views`):
    both cores work on one verdict. The views are still judged in order, so the verdict,
    its report and the first refusal are what reading one after the other gives.
    `beside=False` does it all in the calling thread: a bulk job gets its speed from a
    worker per core, where more threads and processes per job only make them contend.
    """
    reasons = quick_check(style, drawing)
    if reasons:
        return Verdict(False, reasons)
    rows, pending, drawn = [], deque(), views(drawing, elsewhere=beside)
    beside = reading.beside() if beside else reading.INLINE
    try:
        while True:
            try:
                name, kind, image = next(drawn)
                read = {ZXING: decoders.reads(ZXING, image, payload)}
            except StopIteration:
                break
            except Exception:
                # Read one after another, an earlier view's refusal would have come first.
                refusal = _judge(pending, rows, style, drawing, payload, wait=True)
                if refusal is not None:
                    return refusal
                raise
            rest = [d for d in _asked(drawing, name, kind, survey) if d != ZXING]
            if kind == "camera" and read[ZXING]:
                rest = []  # one reader of the camera view is the proof
            later = beside.submit(reading.read, rest, image, payload) if rest else None
            pending.append((name, kind, image, read, later))
            # A clean view zxing missed refuses the design: judge every view up to it.
            refusal = _judge(pending, rows, style, drawing, payload,
                             wait=kind == "clean" and read[ZXING] is False)
            if refusal is not None:
                return refusal
        refusal = _judge(pending, rows, style, drawing, payload, wait=True)
        if refusal is not None:
            return refusal
    finally:
        drawn.close()
        for *_, later in pending:  # views no longer needed once the verdict is known
            if later is not None:
                later.cancel()
    warnings = _warnings(style, rows, survey)
    return Verdict(True, warnings=warnings,
                   report={"version": REPORT_VERSION, "views": rows, "warnings": warnings})


def _judge(pending, rows, style, drawing, payload, wait):
    """Judges the views whose readings are in (all of them with `wait`), in order; the
    refusal of the first that fails, else None."""
    while pending and (wait or pending[0][4] is None or pending[0][4].done()):
        name, kind, image, read, later = pending.popleft()
        if later is not None:
            read.update(later.result())
        rows.append({"view": name, "kind": kind, "read": read})
        missed = [d for d in REQUIRED if read.get(d) is False]
        if kind == "clean" and missed:
            return Verdict(False, [_unread(style, drawing, payload, missed[0], name, image)])
        if kind == "camera" and not any(read.get(d) for d in REQUIRED):
            return Verdict(False, [("style", "This design does not scan from a phone's camera: "
                                    f"neither decoder read it {CAMERA}. Try {_hints(style)}.")])
    return None


def quick_check(style, drawing):
    """The reasons found without decoding (contrast, the logo's cost): a few milliseconds."""
    reasons = check_contrast(style)
    if not reasons and drawing.logo_cells is not None:
        reason = logo_too_large(style, drawing)
        reasons = [reason] if reason else []
    return reasons


def _asked(drawing, name, kind, survey):
    asked = [ZXING, WECHAT]
    if kind == "clean" and drawing.plain_matrix is not None and name not in PLAIN_WECHAT_VIEWS:
        asked.remove(WECHAT)
    if survey and name == PLAIN_WECHAT_VIEWS[0]:
        asked.append(CLASSIC)
    return asked


def _unread(style, drawing, payload, decoder, name, image):
    try:
        texts = decoders.READERS[decoder](image)
    except decoders.NotText:
        texts = []
    read = f" (it read {texts[0][:60]!r} instead)" if texts else ""
    if drawing.logo is not None:
        return ("style.logo", f"The logo trips the {decoder} decoder: it could not read the code "
                f"back {name}{read}. Make the logo smaller, choose a plainer image (a simple mark, "
                "few fine details), or one with a white patch behind the mark.")
    return ("style", f"This design does not scan: the {decoder} decoder could not read the code "
            f"back {name}{read}. Try {_hints(style)}.")


def _warnings(style, rows, survey=True):
    """Plain words for a design that a known weaker scanner (OpenCV's classic detector) misses.
    Not asked (`survey=False`), it is taken to miss what it is known to: round finders."""
    missed = any(row["read"].get(CLASSIC) is False for row in rows)
    if not survey:
        missed = style.finder_shape != "square"
    if not missed:
        return []
    if style.finder_shape != "square":
        return [f"{style.finder_shape.capitalize()} corners: a few older scanner apps cannot read "
                "them. Square corners read everywhere."]
    if style.module_shape != "square":
        return [f"{style.module_shape.replace('-', ' ').capitalize()} modules: a few older scanner "
                "apps cannot read them. Square modules read everywhere."]
    return ["A few older scanner apps cannot read this design; phones' built-in cameras can."]


def camera_proven(drawing):
    """A plain black-on-white code: its camera view is not asked (see the module's notes)."""
    return (drawing.plain_matrix is not None and drawing.background == "#ffffff"
            and drawing.layers[0].paint == "#000000")


def views(drawing, elsewhere=False):
    """(how it was drawn, "clean" or "camera", greyscale image), the telling ones first;
    a plain code's PNG views are numpy arrays, which every decoder reads as they are.
    `elsewhere`: a logo code's SVG views are drawn by the drawing process (`svg_views`),
    all asked for first so that it draws them while the PNG views are drawn here."""
    svgs = [write_svg(drawing, scale) for scale in CHECK_SCALES] if drawing.logo is not None else []
    futures = []
    try:
        futures.extend(svg_views.start_drawing(svg) if elsewhere else None for svg in svgs)
        yield from _png_views(drawing)
        for scale, svg, future in zip(CHECK_SCALES, svgs, futures):
            drawn = svg_views.picture(future, svg)
            yield (f"as an SVG drawn at {scale} pixels per module", "clean",
                   on_white(Image.open(io.BytesIO(drawn))))
    finally:  # pictures no longer needed once the verdict is known
        for future in futures:
            if future is not None:
                future.cancel()


def _png_views(drawing):
    order = (CAMERA_FROM, MIN_PNG_SCALE) + tuple(s for s in CHECK_SCALES + LARGE_SCALES
                                                 if s not in (CAMERA_FROM, MIN_PNG_SCALE))
    for scale in order:
        if scale in LARGE_SCALES and not (drawing.is_pixel_aligned() or from_master(drawing, scale)):
            continue  # a code too large to draw cheaply at this size
        pixels = gate_pixels(drawing, scale)
        yield f"as a PNG at {scale} pixels per module", "clean", pixels
        if scale == CAMERA_FROM:
            image = pixels if isinstance(pixels, Image.Image) else Image.fromarray(pixels)
            size = (round(image.width * CAMERA_PX_PER_MODULE / scale),
                    round(image.height * CAMERA_PX_PER_MODULE / scale))
            yield SHRUNK, "clean", image.resize(size, Image.Resampling.BILINEAR)
            if not camera_proven(drawing):
                yield CAMERA, "camera", camera_view(image)


def _hints(style):
    hints = []
    if style.quiet_zone < 4:
        hints.append("a quiet zone of 4 modules (the blank margin scanners look for)")
    if style.logo:
        hints.append("a smaller or plainer logo")
    if style.module_shape != "square":
        hints.append("square modules")
    if style.finder_shape != "square":
        hints.append("square finder patterns")
    if style.error_correction != "H":
        hints.append("a higher error correction level")
    if not hints:
        hints.append("fewer effects (no frame or gradient)")
    return ", or ".join(hints)
