from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import JSONType, UTCDateTime, new_id, utcnow

JOB_STATUSES = ("pending", "processing", "completed", "failed")


class BackgroundJob(db.Model):
    __tablename__ = "background_jobs"
    __table_args__ = (
        Index("ix_background_jobs_owner_created", "owner_id", "created_at"),
        # The reaper and the sweep look for stale rows by state.
        Index("ix_background_jobs_status_updated", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    queue: Mapped[str] = mapped_column(String(16), default="default")
    payload = mapped_column(JSONType, default=dict, nullable=False)
    result = mapped_column(JSONType, nullable=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at = mapped_column(UTCDateTime, nullable=True)
    finished_at = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
