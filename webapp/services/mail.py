"""Outgoing e-mail: plain text through SMTP_URL, or into the log when it is unset.

Only jobs call `send` (workers/mail.py): an SMTP server may take seconds to answer
or be down, and a request must not wait for it or lose the mail when it fails.
"""
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from flask import current_app

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class MailError(Exception):
    """Sending failed in a way a later attempt may not (the job retries it)."""


class Undeliverable(MailError):
    """The server refused the recipient: another attempt would be refused too."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url):
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise MailError("SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        return cls(parts.scheme, parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme],
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


def compose(to, subject, body):
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(body)
    return message


def send(to, subject, body):
    """Sends one plain-text message; raises MailError (or an OSError) when it did not go."""
    message = compose(to, subject, body)
    url = current_app.config["SMTP_URL"]
    if not url:
        log.info("SMTP_URL is unset, so this mail is only logged.\nTo: %s\nSubject: %s\n\n%s",
                 to, subject, body)
        return message
    deliver(message, SmtpServer.from_url(url), current_app.config["MAIL_TIMEOUT"])
    log.info("mail %r sent to %s", subject, to)
    return message


def deliver(message, server, timeout):
    context = ssl.create_default_context()
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    try:
        with client:
            client.ehlo()
            if server.scheme == "smtp":
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif server.username:
                    raise MailError(f"{server.host}:{server.port} does not offer STARTTLS; "
                                    "the SMTP password is not sent in clear (use smtps:// or a server with TLS)")
            if server.username:
                client.login(server.username, server.password or "")
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise Undeliverable(f"the mail server refused {', '.join(exc.recipients)}") from exc
    except smtplib.SMTPException as exc:
        raise MailError(f"{server.host}:{server.port}: {exc}") from exc
