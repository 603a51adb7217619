"""Done when (issue 20): what the gate accepts, among the property test's random styles with
the shared photos as logos, reads in both decoders in every clean view and in at least one
from a phone's camera; checked with the tests' own pictures and decoder calls
(tests/support/scanners.py), not the gate's."""
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from segno import DataOverflowError

from tests.qr.test_property_scans import styles
from tests.support.qrcodes import logo_image, photo_path
from tests.support.scanners import DECODERS, grey_png, grey_svg, phone_photo
from webapp import qr
from webapp.qr.payloads import PayloadInvalid, build_payload

SAMPLE = 24  # drawn from a fixed seed: the same codes on every run
PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "hubble_deep_field.jpg", "rocket.jpg")
SCALES = tuple(range(3, 13)) + (16,)

payloads = st.one_of(
    st.text("abcdefghjkmnpqrstuvwxyz23456789", min_size=8, max_size=8).map(
        lambda slug: "http://127.0.0.1:5000/s/" + slug),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=120).filter(str.strip),
    st.builds(lambda ssid, pw: ("wifi", {"ssid": ssid, "password": pw}), st.text(min_size=1, max_size=20).filter(
        str.strip), st.text(min_size=1, max_size=20)),
    st.builds(lambda lat, lng: ("geo", {"lat": lat, "lng": lng}), st.floats(-90, 90), st.floats(-180, 180)),
)


def sample():
    drawn = []

    @settings(max_examples=SAMPLE, derandomize=True, database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(payload=payloads, style=styles("logo"), photo=st.sampled_from(PHOTOS))
    def draw(payload, style, photo):
        drawn.append((payload, style, photo))

    draw()
    return drawn


def text_of(payload):
    if isinstance(payload, str):
        return payload
    try:
        return build_payload(*payload)[0]
    except PayloadInvalid:
        return None


def clean_views(payload, style, logo):
    """(name, grey picture): the served PNGs, the PNG shrunk to 2.5 px per module, and with a
    logo the served SVGs as resvg draws them."""
    for scale in SCALES:
        png = grey_png(qr.render(payload, style, "png", scale=scale, logo=logo))
        yield f"PNG at {scale}", png
        if scale == 6:
            shrunk = png.resize((round(png.width / 2.4), round(png.height / 2.4)))
            yield "PNG shrunk", shrunk
    if logo is not None:
        for scale in range(3, 13):
            yield f"SVG at {scale}", grey_svg(qr.render(payload, style, "svg", scale=scale, logo=logo))


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_what_the_gate_accepts_reads_in_both_decoders_and_from_a_camera():
    photo_path()  # skips with the reason when the shared photos are absent
    accepted, misses = 0, []
    for raw_payload, raw_style, photo in sample():
        payload = text_of(raw_payload)
        try:
            style = qr.parse_style(raw_style)
        except qr.StyleInvalid:
            continue
        logo = logo_image(photo) if style.logo else None
        try:
            if payload is None or not qr.verdict(payload, style, logo).ok:
                continue
        except DataOverflowError:
            continue
        accepted += 1
        for name, image in clean_views(payload, style, logo):
            for decoder, read in DECODERS.items():
                if read(image) != [payload]:
                    misses.append((decoder, name, payload, raw_style, photo))
        camera = phone_photo(grey_png(qr.render(payload, style, "png", scale=6, logo=logo)))
        if not any(read(camera) == [payload] for read in DECODERS.values()):
            misses.append(("both", "camera", payload, raw_style, photo))
    assert accepted >= SAMPLE // 3, accepted  # the check has teeth only on real accepted codes
    assert not misses, misses
