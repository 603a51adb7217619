from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import BigIntPK, UTCDateTime, utcnow


class ScanEvent(db.Model):
    __tablename__ = "scan_events"
    __table_args__ = (Index("ix_scan_events_code_time", "qr_code_id", "scanned_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    qr_code_id: Mapped[str] = mapped_column(ForeignKey("qr_codes.id", ondelete="CASCADE"))
    scanned_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    device_type: Mapped[str] = mapped_column(String(16), default="other")
    os: Mapped[str] = mapped_column(String(64), default="")
    browser: Mapped[str] = mapped_column(String(64), default="")
    referrer: Mapped[str] = mapped_column(String(512), default="")
    # Salted with a daily secret: unique-per-day counts without keeping the address.
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    is_bot: Mapped[bool] = mapped_column(default=False)
