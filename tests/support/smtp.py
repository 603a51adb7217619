"""A real SMTP server on 127.0.0.1 (aiosmtpd), keeping what it receives for the tests."""
import re
import threading
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.support.servers import free_port

LINK = re.compile(r"https?://\S+")


class Received:
    """One message as the server got it: the envelope and the parsed mail."""

    def __init__(self, envelope):
        self.mail_from = envelope.mail_from
        self.recipients = list(envelope.rcpt_tos)
        self.message = message_from_bytes(envelope.original_content, policy=policy.default)

    @property
    def to(self):
        return self.message["To"]

    @property
    def subject(self):
        return self.message["Subject"]

    @property
    def body(self):
        return self.message.get_content()

    def links(self):
        return LINK.findall(self.body)

    def path_of(self, link_prefix):
        """The path (from `link_prefix` on) of the one link that holds it."""
        [link] = [link for link in self.links() if link_prefix in link]
        return link[link.index(link_prefix):]


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_DATA(self, smtp, session, envelope):
        with self.server.lock:
            self.server.messages.append(Received(envelope))
        return "250 Message accepted for delivery"


class MailServer:
    def __init__(self, **smtp_options):
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     **smtp_options)

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def to(self, address):
        with self.lock:
            return [message for message in self.messages if address in message.recipients]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
