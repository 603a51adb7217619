"""The gate's decoders: two must read, the camera view is the same every time, the classic
detector warns in plain words, and text WeChat's binding cannot hand over is no refusal."""
import pytest
from PIL import ImageChops

from tests.qr.test_scannability import CUP
from tests.support.qrcodes import logo_image
from webapp.qr import build, check, parse_style
from webapp.qr.camera import camera_view
from webapp.qr.decoders import CLASSIC, REQUIRED, WECHAT, ZXING, reads
from webapp.qr.scannability import CAMERA, _asked, gate_image, views

URL = "http://127.0.0.1:5000/s/gatecode"


def test_a_plain_code_reads_in_both_and_the_report_says_where():
    style = parse_style({})
    verdict = check(URL, style, build(URL, style))
    assert verdict.ok and not verdict.warnings
    rows = {row["view"]: row for row in verdict.report["views"]}
    assert all(row["read"][ZXING] for row in rows.values() if row["kind"] == "clean")
    assert rows["as a PNG at 3 pixels per module"]["read"] == {ZXING: True, WECHAT: True, CLASSIC: True}
    assert CAMERA not in rows  # a plain black-on-white code's camera view is not asked
    coloured = parse_style({"dark": "#1d3fdc"})
    rows = {row["view"]: row for row in check(URL, coloured, build(URL, coloured)).report["views"]}
    assert rows[CAMERA]["kind"] == "camera" and any(rows[CAMERA]["read"].values())


def test_round_finders_are_flagged_for_older_scanners_not_refused():
    style = parse_style({"finder_shape": "circle"})
    verdict = check(URL, style, build(URL, style))
    assert verdict.ok
    assert verdict.warnings == ["Circle corners: a few older scanner apps cannot read them. "
                                "Square corners read everywhere."]
    assert any(row["read"].get(CLASSIC) is False for row in verdict.report["views"])


def test_the_camera_view_is_the_same_every_time_and_not_the_picture():
    image = gate_image(build(URL, parse_style({})), 6)
    first, again = camera_view(image), camera_view(image)
    assert first.tobytes() == again.tobytes()
    assert first.size != image.size and ImageChops.difference(first, camera_view(image, seed=21)).getbbox()


def test_latin_1_text_that_wechat_cannot_hand_over_is_not_refused():
    """segno writes "café" in ISO 8859-1; OpenCV's binding raises on non-UTF-8 text."""
    style = parse_style({})
    verdict = check("café crème", style, build("café crème", style))
    assert verdict.ok
    clean = [row["read"] for row in verdict.report["views"] if row["kind"] == "clean"]
    assert all(read[ZXING] for read in clean) and all(read.get(WECHAT) is None for read in clean)


def test_without_the_survey_round_finders_are_still_flagged_by_their_shape():
    """A bulk job skips the classic detector (it costs more than the rest of a plain code's gate)."""
    for shape, flagged in (("rounded", True), ("square", False)):
        style = parse_style({"finder_shape": shape})
        verdict = check(URL, style, build(URL, style), survey=False)
        assert verdict.ok and bool(verdict.warnings) == flagged
        assert not any(CLASSIC in row["read"] for row in verdict.report["views"])


def one_after_another(payload, style, drawing):
    """The gate's reading order without the thread beside it: each view, every decoder asked,
    in turn; (the report's rows, the first refused view and decoder)."""
    rows = []
    for name, kind, image in views(drawing):
        read = {}
        for decoder in _asked(drawing, name, kind, True):
            read[decoder] = reads(decoder, image, payload)
            if kind == "camera" and read[decoder] and decoder in REQUIRED:
                break
        rows.append({"view": name, "kind": kind, "read": read})
        missed = [d for d in REQUIRED if read.get(d) is False]
        if kind == "clean" and missed:
            return rows, (name, missed[0])
        if kind == "camera" and not any(read.get(d) for d in REQUIRED):
            return rows, (name, None)
    return rows, None


@pytest.mark.parametrize("payload, style", [
    (CUP, {"logo": "x", "logo_size": 0.25}),  # WeChat misses a PNG before zxing misses an SVG
    (URL, {"logo": "x", "logo_size": 0.2, "module_shape": "dots", "dark": "#1d3fdc"}),
    (URL, {"finder_shape": "circle", "dark": "#6b2f1a"}),
    (URL, {}),  # a plain code's PNG views are numpy arrays
])
@pytest.mark.parametrize("beside", [True, False])
def test_reading_beside_the_drawing_judges_as_reading_one_view_after_another(payload, style,
                                                                           beside):
    style = parse_style(style)
    logo = logo_image("coffee.png") if style.logo else None
    verdict = check(payload, style, build(payload, style, logo), beside=beside)
    rows, refused = one_after_another(payload, style, build(payload, style, logo))
    assert verdict.ok == (refused is None)
    if refused is None:
        assert verdict.report["views"] == rows
    else:
        name, decoder = refused
        assert name in verdict.message and (decoder is None or decoder in verdict.message)
