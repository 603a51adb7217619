"""The promise of the product: every code Scanlink saves decodes to exactly its payload."""
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import actor_for, make_api_user, make_logo
from tests.support.qrcodes import decode_png, decode_svg, photo_path
from webapp.extensions import db
from webapp.qr.style import FINDER_SHAPES, MIN_QUIET_ZONE, MODULE_SHAPES
from webapp.services import ServiceError
from webapp.services.codes import qrcodes as service
from webapp.services.codes.content import payload_of
from webapp.services.codes.slugs import ALPHABET, RANDOM_LENGTH

EXAMPLES = 350  # some seeds draw many unscannable colours; 200 saved codes must remain


def colour(lo, hi):
    channel = st.integers(lo, hi)
    return st.tuples(channel, channel, channel).map(lambda c: "#%02x%02x%02x" % c)


# Mostly dark-on-light (what people choose), sometimes anything at all (which the gate must judge).
darks = st.integers(0, 9).flatmap(lambda i: colour(0, 255) if i == 0 else colour(0, 110))
lights = st.integers(0, 9).flatmap(lambda i: colour(0, 255) if i == 0 else colour(200, 255))


@st.composite
def styles(draw, logo_id):
    style = {
        "dark": draw(darks), "light": draw(lights), "transparent": draw(st.booleans()),
        "module_shape": draw(st.sampled_from(MODULE_SHAPES)),
        "finder_shape": draw(st.sampled_from(FINDER_SHAPES)),
        "error_correction": draw(st.sampled_from("LMQH")),
        "quiet_zone": draw(st.integers(MIN_QUIET_ZONE, 8)),  # below the minimum: refused by validation
    }
    if draw(st.booleans()):
        style["finder_color"], style["finder_dot_color"] = draw(darks), draw(darks)
    if draw(st.booleans()):
        style["alignment_color"] = draw(darks)
    if draw(st.integers(0, 3)) == 0:
        style["gradient"] = {"type": draw(st.sampled_from(["linear", "radial"])), "start": draw(darks),
                             "end": draw(darks), "rotation": draw(st.integers(0, 359))}
    if draw(st.integers(0, 3)) == 0:
        style["logo"] = logo_id
        style["logo_size"] = draw(st.floats(0.1, 0.25))
    if draw(st.integers(0, 3)) == 0:
        style["frame"] = {"text": draw(st.text("abcdefghij KLMNOP!?", min_size=1, max_size=30).filter(str.strip)),
                          "color": draw(darks), "text_color": draw(lights)}
    return style


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=200)
# A dynamic code holds its scan URL. The slug is drawn here rather than left to the service's
# random choice so that a failing example replays as the same code: a random slug is 8
# characters of slugs.ALPHABET, a custom one anything the slug rules take.
random_slugs = st.text(ALPHABET, min_size=RANDOM_LENGTH, max_size=RANDOM_LENGTH)
custom_slugs = st.text("abcdefghjk0123456789-", min_size=3, max_size=20).map(lambda s: f"p{s}x")
payloads = st.one_of(
    st.builds(lambda path, slug: {"kind": "dynamic", "target_url": "https://example.com/" + path,
                                  "slug": slug},
              st.text("abcxyz019-_/", max_size=60), random_slugs),
    st.builds(lambda slug: {"kind": "dynamic", "target_url": "https://example.org", "slug": slug},
              custom_slugs),
    texts.filter(str.strip).map(lambda t: {"kind": "static", "content_type": "text", "content": t}),
    st.builds(lambda ssid, pw: {"kind": "static", "content_type": "wifi",
                                "content": {"ssid": ssid, "password": pw}},
              st.text(min_size=1, max_size=32).filter(str.strip), st.text(max_size=40)),
    st.builds(lambda lat, lng: {"kind": "static", "content_type": "geo", "content": {"lat": lat, "lng": lng}},
              st.floats(-90, 90), st.floats(-180, 180)),
    st.builds(lambda to, subject: {"kind": "static", "content_type": "email",
                                   "content": {"to": to, "subject": subject}},
              st.emails(), st.text(max_size=60)),
)


@pytest.mark.slow
@pytest.mark.timeout(900)  # a failure shrinks for up to 5 minutes; let it finish and report
def test_every_saved_code_decodes_to_its_payload_as_png_and_svg(app):
    photo_path()  # skips with the reason when the shared photos are absent
    stats = Counter()
    with app.app_context():
        user, _ = make_api_user("property@example.com")
        logo_id = make_logo(user)
        actor = actor_for(user)

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        @given(data=payloads, style=styles(logo_id), scale=st.integers(3, 12))
        def check(data, style, scale):
            stats["tried"] += 1
            try:
                code = service.create_code(actor, dict(data, style=style))
            except ServiceError as exc:
                db.session.rollback()
                # Refusals are fine (the gate's job) but they must come from the style or
                # content checks, each with a message.
                assert exc.status in (409, 422) and exc.message
                why = "decode" if "does not scan" in exc.message else next(iter(exc.fields or {"-": ""}))
                stats[f"refused:{exc.code}:{why}"] += 1
                return
            db.session.commit()
            stats["saved"] += 1
            payload = payload_of(code)
            try:
                assert decode_png(service.render_code(code, "png", scale=scale)) == [payload]
                assert decode_svg(service.render_code(code, "svg", scale=scale)) == [payload]
            finally:  # hypothesis replays examples: the next one may want the same slug
                service.delete_code(actor, code.id)
                db.session.commit()

        check()
    assert stats["tried"] >= EXAMPLES
    # The property has teeth only if most examples are real saved codes.
    assert stats["saved"] >= 200, stats
    print(dict(stats))
