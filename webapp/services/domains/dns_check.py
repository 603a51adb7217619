"""The DNS look-up that proves control of a hostname: TXT `_scanlink-challenge.<hostname>`.

The server asked is `DNS_RESOLVER` (`host` or `host:port`, e.g. a resolver the tests run
on 127.0.0.1), else the system's; every look-up gives up after `DNS_TIMEOUT` seconds.
"""
import ipaddress
import socket

import dns.exception
import dns.resolver
from flask import current_app

from webapp.services import ServiceError

CHALLENGE_PREFIX = "_scanlink-challenge."


def challenge_name(hostname):
    return CHALLENGE_PREFIX + hostname


def resolver():
    setting = current_app.config.get("DNS_RESOLVER")
    if not setting:
        made = dns.resolver.Resolver()
    else:
        made = dns.resolver.Resolver(configure=False)
        host, port = split_host_port(setting)
        made.nameservers = [host if _is_ip(host) else socket.gethostbyname(host)]
        made.port = port
    made.lifetime = made.timeout = current_app.config["DNS_TIMEOUT"]
    return made


def split_host_port(setting):
    """("host", port) from "host", "host:port", "[v6]" or "[v6]:port"."""
    setting = setting.strip()
    if setting.startswith("["):
        host, _, rest = setting[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if setting.count(":") == 1:
        host, port = setting.split(":")
        return host, int(port)
    return setting, 53


def _is_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def txt_values(hostname):
    """The TXT strings at the challenge name, or a ServiceError saying what the DNS answered."""
    name = challenge_name(hostname)
    try:
        answer = resolver().resolve(name, "TXT", raise_on_no_answer=False)
    except OSError:  # DNS_RESOLVER names a host that does not resolve, or the socket failed
        raise ServiceError("The DNS server (DNS_RESOLVER) could not be reached; try again later.",
                           status=503, code="unavailable") from None
    except dns.resolver.NXDOMAIN:
        raise not_verified(f"No TXT record found: {name} does not exist in DNS.") from None
    except dns.exception.Timeout:
        raise ServiceError(f"The DNS server did not answer about {name} in time; try again "
                           "in a minute.", status=503, code="unavailable") from None
    except dns.resolver.NoNameservers as exc:
        raise not_verified(f"The DNS servers for {name} answered with an error ({exc}).") from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer.rrset or ()]


def not_verified(message):
    return ServiceError(message, fields={"verification": message}, status=422, code="not_verified")
