"""A real SMTP server on 127.0.0.1 (aiosmtpd), keeping what it receives for the tests."""
import ipaddress
import re
import ssl
import threading
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        if address in self.server.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        with self.server.lock:
            self.server.messages.append(Received(envelope))
        return "250 Message accepted for delivery"


class MailServer:
    """`refuse`: addresses answered with a permanent 550 at RCPT; `smtp_options` go to
    aiosmtpd's SMTP (a TLS context for STARTTLS, an authenticator, ...)."""

    def __init__(self, port=None, refuse=(), implicit_tls=None, **smtp_options):
        self.port = port or free_port()
        self.refuse = set(refuse)
        self.messages = []
        self.lock = threading.Lock()
        self.scheme = "smtps" if implicit_tls else "smtp"
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                     ssl_context=implicit_tls, **smtp_options)

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url_with(self, username, password):
        return f"{self.scheme}://{username}:{password}@127.0.0.1:{self.port}"

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


def self_signed_certificate(directory, host="127.0.0.1"):
    """(cert path, key path) of a fresh certificate for `host`, its own authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "scanlink test mail server")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "mail-cert.pem", directory / "mail-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def server_tls_context(cert_path, key_path):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


class Logins:
    """An aiosmtpd authenticator that accepts one user and remembers who logged in."""

    def __init__(self, username, password):
        self.expected = (username.encode(), password.encode())
        self.accepted = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == self.expected
        if ok:
            self.accepted.append((auth_data.login.decode(), session.ssl is not None))
        return AuthResult(success=ok)
