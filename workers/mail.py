"""The mail job: write and send one account mail, with retries when the SMTP server fails."""
import logging

from webapp.services import mail
from webapp.services.accounts import emails
from workers.context import tracked

log = logging.getLogger(__name__)


@tracked
def send_account_mail(run):
    try:
        sent = emails.send_account_mail(run.payload["kind"], run.payload["email"])
    except mail.Undeliverable as exc:
        log.warning("mail job %s: %s; not retried", run.id, exc)
        return {"sent": False, "refused": True}
    return {"sent": sent}
