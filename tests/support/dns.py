"""A real DNS server on 127.0.0.1 (dnslib, UDP) whose TXT records a test sets and changes.

`records` maps a name (no trailing dot, any case) to its TXT strings; a name not in it is
NXDOMAIN, a name mapped to [] exists without a TXT record. Point the app at it with
`DNS_RESOLVER=127.0.0.1:<port>` (the `dns_settings` fixture).
"""
from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSServer

from tests.support.servers import free_port


class TxtResolver(BaseResolver):
    def __init__(self):
        self.records = {}
        self.asked = []

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.asked.append(name)
        if name not in self.records:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in self.records[name]:
                reply.add_answer(RR(request.q.qname, QTYPE.TXT, rdata=TXT(value), ttl=1))
        return reply


class TxtServer:
    def __init__(self):
        self.resolver = TxtResolver()
        self.port = free_port()
        self.server = DNSServer(self.resolver, port=self.port, address="127.0.0.1", tcp=False,
                                logger=_Quiet())

    @property
    def records(self):
        return self.resolver.records

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        self.server.start_thread()
        return self

    def __exit__(self, *exc):
        self.server.stop()


class _Quiet:
    """dnslib logs every query to stdout by default."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None
