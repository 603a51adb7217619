import pytest

from webapp.services import Conflict, ServiceError
from webapp.services.codes.slugs import ALPHABET, RANDOM_LENGTH, check_custom_slug, random_slug
from webapp.services.codes.target_urls import normalise_url


@pytest.mark.parametrize("raw, clean", [
    ("example.com/menu", "https://example.com/menu"),
    ("  HTTPS://Example.COM:443/a b?x=ä#top ", "https://example.com/a%20b?x=%C3%A4#top"),
    ("http://münchen.example", "http://xn--mnchen-3ya.example/"),
    ("https://example.com/already%20encoded", "https://example.com/already%20encoded"),
    ("localhost:8080/x", "https://localhost:8080/x"),
    ("https://[2001:db8::1]/", "https://[2001:db8::1]/"),
])
def test_urls_are_normalised(raw, clean):
    assert normalise_url(raw) == clean


@pytest.mark.parametrize("raw, words", [
    ("javascript:alert(1)", "javascript:"), ("JAVASCRIPT:alert(1)", "javascript:"),
    ("data:text/html;base64,PHNjcmlwdD4=", "data:"), ("file:///etc/passwd", "file:"),
    ("vbscript:msgbox", "vbscript:"), ("java\nscript:alert(1)", "line breaks"),
    ("https://exa mple.com", "not valid"), ("https://-bad-.example", "not valid"),
    ("intranet", "full domain name"), ("https://example.com/" + "x" * 2100, "too long"),
])
def test_urls_are_refused_with_a_reason(raw, words):
    with pytest.raises(ServiceError) as refused:
        normalise_url(raw)
    assert words in refused.value.message and refused.value.status == 422


def test_random_slugs_are_short_and_unguessable():
    slugs = {random_slug() for _ in range(2000)}
    assert len(slugs) == 2000
    assert all(len(s) == RANDOM_LENGTH and set(s) <= set(ALPHABET) for s in slugs)


def test_custom_slugs(app):
    with app.app_context():
        assert check_custom_slug("  Spring-Sale ") == "spring-sale"
        for bad in ("ab", "x" * 65, "with space", "under_score", "trailing-", "login", "S"):
            with pytest.raises(ServiceError):
                check_custom_slug(bad)
        with pytest.raises(ServiceError) as reserved:
            check_custom_slug("Admin")
        assert not isinstance(reserved.value, Conflict) and "reserved" in reserved.value.message
