"""The mail jobs: write and send one account mail or workspace invitation, with retries when
the SMTP server fails."""
import logging

from webapp.services import mail
from webapp.services.accounts import emails
from webapp.services.teams import invitations
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


@tracked
def send_invitation_mail(run):
    try:
        sent = invitations.send_invitation_mail(run.payload["invitation_id"])
    except mail.Undeliverable as exc:
        log.warning("mail job %s: %s; not retried", run.id, exc)
        return {"sent": False, "refused": True}
    return {"sent": sent}
