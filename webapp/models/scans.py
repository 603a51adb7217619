from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import BigIntPK, JSONType, UTCDateTime, utcnow


class ScanEvent(db.Model):
    __tablename__ = "scan_events"
    __table_args__ = (
        Index("ix_scan_events_code_time", "qr_code_id", "scanned_at"),
        # The daily rollup reads one day of every code at once. Events arrive in time
        # order, so on PostgreSQL a BRIN index (a few pages, nearly free to keep up on
        # every scan) serves that as well as a B-tree would.
        Index("ix_scan_events_scanned_at", "scanned_at", postgresql_using="brin"),
        # Only scans that went through the Redis buffer have a key (see services/scans/buffer.py).
        Index("uq_scan_events_buffer_key", "buffer_key", unique=True,
              postgresql_where=text("buffer_key IS NOT NULL"),
              sqlite_where=text("buffer_key IS NOT NULL")),
    )

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
    buffer_key: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # What the redirect served: "default", "rule:N", "split:N", "expired" ('' before 0015).
    served: Mapped[str] = mapped_column(String(16), default="", server_default="")


class ScanCounter(db.Model):
    """One of a few counter rows per code; a code's count is the sum of its shards.

    Concurrent scans of one hot code pick a random shard, so they rarely wait on
    the same row lock (PostgreSQL holds it until commit).
    """

    __tablename__ = "scan_counters"

    qr_code_id: Mapped[str] = mapped_column(
        ForeignKey("qr_codes.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    scans: Mapped[int] = mapped_column(BigInteger, default=0)
    bot_scans: Mapped[int] = mapped_column(BigInteger, default=0)


class ScanDailyRollup(db.Model):
    """One code's scans of one UTC day, computed from the events by `rollup_scans`."""

    __tablename__ = "scan_daily_rollups"
    __table_args__ = (
        # A workspace's top codes over a range: the sum of its scanned code-days, read
        # from this index alone (every column the sum needs is in it) on both databases.
        Index("ix_scan_daily_rollups_workspace_day", "workspace_id", "day", "qr_code_id", "scans"),
    )

    qr_code_id: Mapped[str] = mapped_column(
        ForeignKey("qr_codes.id", ondelete="CASCADE"), primary_key=True)
    day = mapped_column(Date, primary_key=True)
    # The code's workspace when it was rolled up, kept so that the workspace's rows are
    # found without a join to its codes. Whatever moves a code to another workspace must
    # call analytics.workspace_rollups.move_codes (which also fixes the workspaces' rows).
    workspace_id: Mapped[int] = mapped_column(Integer)
    scans: Mapped[int] = mapped_column(BigInteger, default=0)  # people, bots excluded
    uniques: Mapped[int] = mapped_column(BigInteger, default=0)
    bots: Mapped[int] = mapped_column(BigInteger, default=0)
    # {"device": {"mobile": 3, ...}, "os": {...}, "browser", "referrer", "country"}
    breakdowns = mapped_column(JSONType, default=dict, nullable=False)


class ScanRollupDay(db.Model):
    """Marks a UTC day whose rollup is complete for every code."""

    __tablename__ = "scan_rollup_days"

    day = mapped_column(Date, primary_key=True)
    rolled_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    events: Mapped[int] = mapped_column(Integer, default=0)


class WorkspaceDailyRollup(db.Model):
    """A workspace's scans of one UTC day: the sum of its codes' rollups of that day.

    Written by `rollup_scans` with the codes' rows; a deleted code's rows are taken
    off it (analytics.workspace_rollups). The workspace analytics read these rows, one
    per day, rather than every scanned code's.
    """

    __tablename__ = "workspace_daily_rollups"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    day = mapped_column(Date, primary_key=True)
    scans: Mapped[int] = mapped_column(BigInteger, default=0)  # people, bots excluded
    uniques: Mapped[int] = mapped_column(BigInteger, default=0)  # the codes' uniques, summed
    bots: Mapped[int] = mapped_column(BigInteger, default=0)
    breakdowns = mapped_column(JSONType, default=dict, nullable=False)
