"""The gate's verdict cache (real Redis): a verdict is reused only for exactly what it judged."""
import pytest
from PIL import Image

from tests.support.qrcodes import logo_image
from webapp import qr
from webapp.infra.redis_client import get_redis
from webapp.qr import parse_style
from webapp.services.codes import verdicts
from webapp.services.codes.qrcodes import checked_verdict

URL = "http://127.0.0.1:5000/s/cachetst"


@pytest.fixture
def gate_runs(app, monkeypatch):
    """How many times the real gate ran (it still runs: this only counts)."""
    runs = []
    real = qr.check

    def counted(*args, **kwargs):
        runs.append(args[0])
        return real(*args, **kwargs)
    monkeypatch.setattr(qr, "check", counted)
    with app.app_context():
        yield runs


def test_the_same_inputs_are_judged_once(gate_runs):
    style = parse_style({"module_shape": "dots"})
    first, _ = checked_verdict(URL, style, None)
    again, _ = checked_verdict(URL, parse_style({"module_shape": "dots"}), None)
    assert len(gate_runs) == 1 and first.ok and again.ok
    assert again.report == first.report and again.warnings == first.warnings


def test_a_cached_verdict_is_never_reused_for_another_payload_style_or_logo(gate_runs):
    logo_style = parse_style({"logo": "01m8mynvf9srsjcwj8nftg0g46", "logo_size": 0.15})
    coffee, rocket = logo_image("coffee.png"), logo_image("rocket.jpg")
    checked_verdict(URL, logo_style, coffee)
    # A refused design first, so that a wrong hit would also flip the answer.
    refused = parse_style({"dark": "#fefefe"})
    assert not checked_verdict(URL, refused, None)[0].ok
    for payload, style, logo in [
        (URL + "x", logo_style, coffee),                                    # another payload
        (URL, parse_style({"logo": logo_style.logo, "logo_size": 0.16}), coffee),  # another style
        (URL, logo_style, rocket),                                          # another logo
        (URL, logo_style, coffee.transpose(Image.Transpose.FLIP_LEFT_RIGHT)),  # same size, other pixels
        (URL, parse_style({"dark": "#fefefe", "light": "#000000"}), None),  # close to the refused one
    ]:
        runs = len(gate_runs)
        checked_verdict(payload, style, logo)
        assert len(gate_runs) == runs + 1, (payload, style)
    assert not checked_verdict(URL, refused, None)[0].ok and len(gate_runs) == 7


def test_a_logo_loaded_twice_from_the_same_bytes_shares_the_verdict(gate_runs):
    style = parse_style({"logo": "01m8mynvf9srsjcwj8nftg0g46", "logo_size": 0.15})
    checked_verdict(URL, style, logo_image("coffee.png"))
    checked_verdict(URL, style, logo_image("coffee.png"))
    assert len(gate_runs) == 1


def test_a_bulk_style_reuses_the_logo_picture(app):
    """The logo's encoded picture, made for one code, is in the next code's drawing from Redis."""
    style = parse_style({"logo": "01m8mynvf9srsjcwj8nftg0g46", "logo_size": 0.15})
    logo = logo_image("coffee.png")
    with app.app_context():
        first = qr.build(URL, style, logo)
        known = verdicts.seed_pictures(first)
        qr.write_svg(first, 8)
        verdicts.keep_pictures(first, known)
        second = qr.build(URL + "2", style, logo)
        assert verdicts.seed_pictures(second) and any(k[0] == "svg logo" for k in second.cache
                                                      if isinstance(k, tuple))
        assert qr.write_svg(second, 8) == qr.write_svg(qr.build(URL + "2", style, logo), 8)


def test_redis_down_costs_the_cache_not_the_check(app, gate_runs):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("scanlink_redis", None)
    try:
        assert checked_verdict(URL, parse_style({}), None)[0].ok
        assert checked_verdict(URL, parse_style({}), None)[0].ok
        assert len(gate_runs) == 2
    finally:
        app.extensions.pop("scanlink_redis", None)


def test_a_bulk_row_is_judged_without_filling_redis(app, gate_runs):
    assert checked_verdict(URL, parse_style({}), None, remember=False)[0].ok
    assert checked_verdict(URL, parse_style({}), None, remember=False)[0].ok
    assert len(gate_runs) == 2 and not list(get_redis().scan_iter(verdicts.PREFIX + "verdict:*"))
