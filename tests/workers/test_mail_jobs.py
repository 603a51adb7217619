"""The mail job against real SMTP servers on 127.0.0.1: plain, STARTTLS with a login,
implicit TLS, down, refusing; and the log when no SMTP_URL is set."""
import logging

import pytest
from sqlalchemy import select

from tests.support.auth import csrf_token
from tests.support.servers import free_port
from tests.support.smtp import Logins, MailServer, self_signed_certificate, server_tls_context
from tests.support.workers import run_burst
from webapp.extensions import db
from webapp.models import BackgroundJob


def ask_for_reset(client, email="ada@example.com"):
    token = csrf_token(client, "/forgot-password")
    response = client.post("/forgot-password", data={"email": email, "csrf_token": token})
    assert response.status_code == 200


def mail_job(app):
    with app.app_context():
        row = db.session.scalar(select(BackgroundJob).where(BackgroundJob.type == "mail.account"))
        db.session.expunge_all()
        db.session.remove()
    return row


@pytest.fixture
def ada(auth):
    auth.signup()
    auth.logout()


@pytest.fixture
def trusted_cert(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1 that this process's TLS clients trust."""
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return server_tls_context(cert, key)


def test_without_smtp_url_the_mail_and_its_link_go_to_the_log(app, client, ada, run_jobs, caplog):
    ask_for_reset(client)
    with caplog.at_level(logging.INFO, logger="webapp.services.mail"):
        run_jobs()
    [record] = [r for r in caplog.records if r.name == "webapp.services.mail"]
    text = record.getMessage()
    assert "SMTP_URL is unset" in text and "To: ada@example.com" in text
    assert f"{app.config['PUBLIC_BASE_URL']}/reset-password/" in text
    assert mail_job(app).status == "completed"


@pytest.fixture
def down_port():
    return {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}", "MAIL_TIMEOUT": 2}


@pytest.mark.settings("down_port")
def test_a_mail_server_that_is_down_fails_the_attempt_and_the_retry_delivers(app, client, ada, redis):
    ask_for_reset(client)
    run_burst(app)

    row = mail_job(app)
    assert row.status == "pending" and row.attempts == 1 and row.max_attempts == 6
    assert "Connection refused" in row.error or "ConnectionRefused" in row.error
    assert redis.zscore("rq:scheduled:high", row.id) is not None  # RQ holds the retry

    port = int(app.config["SMTP_URL"].rsplit(":", 1)[1])
    with MailServer(port=port) as server:
        redis.zadd("rq:scheduled:high", {row.id: 0})  # the backoff has passed
        run_burst(app, with_scheduler=True)
        [message] = server.to("ada@example.com")
    assert "/reset-password/" in message.body
    row = mail_job(app)
    assert row.status == "completed" and row.attempts == 2 and row.result == {"sent": True}


def test_a_refused_recipient_is_not_retried(app, client, ada, redis):
    with MailServer(refuse={"ada@example.com"}) as server:
        app.config["SMTP_URL"] = server.url
        ask_for_reset(client)
        run_burst(app)
        assert server.messages == []
    row = mail_job(app)
    assert row.status == "completed" and row.result == {"sent": False, "refused": True}
    assert redis.zcard("rq:scheduled:high") == 0


def test_credentials_are_never_sent_to_a_server_without_starttls(app, client, ada):
    logins = Logins("mailer", "s3cret")
    with MailServer(authenticator=logins, auth_require_tls=False) as server:
        app.config["SMTP_URL"] = server.url_with("mailer", "s3cret")
        ask_for_reset(client)
        run_burst(app)
        assert server.messages == [] and logins.accepted == []
    row = mail_job(app)
    assert row.status == "pending" and "does not offer STARTTLS" in row.error


def test_starttls_then_login_then_the_mail(app, client, ada, trusted_cert):
    logins = Logins("mailer", "p@ss:word/")
    with MailServer(tls_context=trusted_cert, require_starttls=True, authenticator=logins) as server:
        app.config["SMTP_URL"] = server.url_with("mailer", "p%40ss%3Aword%2F")  # URL-quoted
        ask_for_reset(client)
        run_burst(app)
        [message] = server.to("ada@example.com")
    assert logins.accepted == [("mailer", True)]  # logged in over TLS
    assert "/reset-password/" in message.body


def test_implicit_tls_with_smtps(app, client, ada, trusted_cert):
    with MailServer(implicit_tls=trusted_cert) as server:
        app.config["SMTP_URL"] = server.url
        assert server.url.startswith("smtps://")
        ask_for_reset(client)
        run_burst(app)
        [message] = server.to("ada@example.com")
    assert message.subject == "Reset your Scanlink password"


def test_a_certificate_nobody_vouches_for_is_refused(app, client, ada, tmp_path):
    cert, key = self_signed_certificate(tmp_path)  # not trusted by the client
    with MailServer(tls_context=server_tls_context(cert, key)) as server:
        app.config["SMTP_URL"] = server.url
        ask_for_reset(client)
        run_burst(app)
        assert server.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in mail_job(app).error
