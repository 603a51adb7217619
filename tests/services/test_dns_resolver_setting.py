"""DNS_RESOLVER is checked at start: a value the verification could not use stops the app."""
import pytest

from webapp.config import Config, ConfigError
from webapp.services.domains.dns_check import split_host_port


@pytest.mark.parametrize("value, parsed", [
    ("127.0.0.1", ("127.0.0.1", 53)), ("127.0.0.1:5353", ("127.0.0.1", 5353)),
    ("ns1.example", ("ns1.example", 53)), ("::1", ("::1", 53)), ("[::1]:5353", ("::1", 5353)),
])
def test_usable_values_are_taken(value, parsed):
    Config().update(SECRET_KEY="x", DNS_RESOLVER=value).finalise()
    assert split_host_port(value) == parsed


@pytest.mark.parametrize("value", ["host:port", "a b", "[::1]x", "1.2.3.4:53:53"])
def test_unusable_values_stop_the_app(value):
    with pytest.raises(ConfigError, match="DNS_RESOLVER"):
        Config().update(SECRET_KEY="x", DNS_RESOLVER=value).finalise()
