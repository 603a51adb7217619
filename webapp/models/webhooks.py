from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import BigIntPK, JSONType, UTCDateTime, new_id, utcnow

OUTBOX_STATUSES = ("pending", "processing", "delivered", "failed")
# Rows a worker may still have to send; written out (not bound) so that the planner
# can match it against the partial index below.
WAITING = text("webhook_outbox.status IN ('pending', 'processing')")


class WebhookEndpoint(db.Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    secret: Mapped[str] = mapped_column(String(100))
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at = mapped_column(UTCDateTime, nullable=True)
    events = mapped_column(JSONType, default=list, nullable=False)
    # No foreign key: a qr.deleted event must still reach an endpoint filtered on that code.
    qr_code_id: Mapped[str | None] = mapped_column(String(26))
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    failure_streak: Mapped[int] = mapped_column(Integer, default=0)
    failing_since = mapped_column(UTCDateTime, nullable=True)
    last_success_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class WebhookOutbox(db.Model):
    __tablename__ = "webhook_outbox"
    __table_args__ = (
        # Claiming walks waiting rows in due order and stops after a batch; delivered
        # rows (nearly all of them, in time) are not in this index at all.
        Index("ix_webhook_outbox_due", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'processing')"),
              sqlite_where=text("status IN ('pending', 'processing')")),
        Index("ix_webhook_outbox_endpoint_created", "endpoint_id", "created_at"),
        # The delivery log filtered by status ("failed") must not walk every delivered row.
        Index("ix_webhook_outbox_endpoint_status", "endpoint_id", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    event_id: Mapped[str] = mapped_column(String(40))
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_type: Mapped[str] = mapped_column(String(40))
    # The exact body that is signed and sent, so every attempt carries the same bytes.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    locked_until = mapped_column(UTCDateTime, nullable=True)
    # Who holds the lease: a finished attempt only counts while its token still matches.
    lease_token: Mapped[str | None] = mapped_column(String(40))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class WebhookAttempt(db.Model):
    """One HTTP attempt (or an attempt cut short) of one outbox row, for the delivery log."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_outbox", "outbox_id", "attempted_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    outbox_id: Mapped[str] = mapped_column(ForeignKey("webhook_outbox.id", ondelete="CASCADE"))
    # Copied from the outbox row for per-endpoint figures; no foreign key or index of
    # its own: rows go with their outbox row, and each index costs every send.
    endpoint_id: Mapped[str] = mapped_column(String(26))
    number: Mapped[int] = mapped_column(Integer)
    attempted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | failed | interrupted
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
