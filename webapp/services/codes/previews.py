"""The editor's live preview: the picture at once, the gate's verdict by a second request.

The picture is the drawing written as SVG: no decoder runs for it. The verdict is
the gate's (`qrcodes.checked_verdict`), cached by what it judged, so the save that
follows a preview costs a look-up. A stored code's page shows the verdict it was
saved with and never runs the gate.
"""
from webapp import qr
from webapp.qr.decoders import ALL as DECODERS
from webapp.qr.scannability import quick_check
from webapp.services import ServiceError
from webapp.services.codes import verdicts
from webapp.services.codes.content import payload_of, scan_url, static_content
from webapp.services.codes.qrcodes import checked_verdict, fits
from webapp.services.codes.styles import check_logo, validated_style
from webapp.services.ids import has_nul

PREVIEW_SLUG = "preview0"  # same length as a random slug, so the preview's version matches
PREVIEW_SCALE = 8
SCANS_MESSAGE = ("Scans: two decoders (zxing-cpp and WeChat's) read it back exactly at every small "
                 f"size ({qr.MIN_PNG_SCALE} to 12 pixels per module) and at 16, and one of them "
                 "from a simulated phone camera's view (tilted, unevenly lit, blurred).")
SAVED_MESSAGE = "Scans: both decoders and the phone-camera view passed this design when it was stored."
CHECKING = "Checking that it scans…"


def _inputs(actor, data, code):
    """(payload, style, logo) the editor shows, or ServiceError."""
    if code is not None and code.kind == "dynamic":
        payload = payload_of(code)
    elif (code.kind if code is not None else data.get("kind")) == "static":
        _, payload, _ = static_content(data.get("content_type"), data.get("content"))
    else:
        slug = (data.get("slug") or data.get("draft_slug") or PREVIEW_SLUG).strip().lower()
        payload = scan_url(slug, data.get("domain") or None)
    if has_nul(data):
        raise ServiceError("The text contains a NUL character (\\0); remove it.")
    style = validated_style(data.get("style"))
    return payload, style, check_logo(actor, style)


def _failed(exc):
    """(None, state, message): content not filled in yet is a step to take (None), not a ✗."""
    waiting = exc.fields and all(f.startswith("content") and ("required" in m or "Enter" in m)
                                 for f, m in exc.fields.items())
    return None, None if waiting else False, exc.message


def picture(actor, data, code=None):
    """(svg text or None, state, message): the drawing at once; state None means "checking"."""
    try:
        payload, style, logo = _inputs(actor, data, code)
        with fits(style):
            drawing = qr.build(payload, style, logo)
        verdicts.seed_pictures(drawing)
        svg = qr.write_svg(drawing, PREVIEW_SCALE)
    except ServiceError as exc:
        return _failed(exc)
    refused = quick_check(style, drawing)  # no decoder: a bad contrast shows with the picture
    if refused:
        return svg, False, " ".join(message for _, message in refused)
    return svg, None, CHECKING


def verdict(actor, data, code=None):
    """(state, message, warnings) of the gate for what the editor shows; bad input is reported."""
    try:
        payload, style, logo = _inputs(actor, data, code)
        result, _ = checked_verdict(payload, style, logo)
    except ServiceError as exc:
        _, state, message = _failed(exc)
        return state, message, []
    if result.ok:
        return True, SCANS_MESSAGE, result.warnings
    return False, result.message, []


def saved_warnings(code):
    """What the stored report warns about, in the gate's words (no decoder runs)."""
    return (code.scan_report or {}).get("warnings", [])


def report_rows(report):
    """(decoder, clean views read, clean views asked, camera: True, False or None) per decoder."""
    if not report:
        return []
    rows = []
    for decoder in DECODERS:
        clean = [row["read"][decoder] for row in report["views"]  # None: read, text not comparable
                 if row["kind"] == "clean" and row["read"].get(decoder) is not None]
        camera = next((row["read"].get(decoder) for row in report["views"] if row["kind"] == "camera"), None)
        rows.append((decoder, sum(clean), len(clean), camera))
    return rows
