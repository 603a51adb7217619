from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import JSONType, UTCDateTime, new_id, utcnow

JOB_STATUSES = ("pending", "processing", "completed", "failed")
ACTIVE_STATUSES = ("pending", "processing")


class BackgroundJob(db.Model):
    """One unit of background work as its workspace sees it; RQ only carries it.

    A run owns the row through `lease` while it works: progress, completion and
    failure only land while the lease is still the run's, so a run that lost
    the row (its worker was presumed dead and the job was handed on) cannot
    overwrite the one that took over. `heartbeat_at` is how the reaper tells a
    working run from a vanished one.
    """

    __tablename__ = "background_jobs"
    __table_args__ = (
        Index("ix_background_jobs_workspace_created", "workspace_id", "created_at"),
        # The reaper and the sweep look for stale rows by state.
        Index("ix_background_jobs_status_updated", "status", "updated_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Who submitted it: the job runs with their rights, checked again when it runs.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    queue: Mapped[str] = mapped_column(String(16), default="default")
    payload = mapped_column(JSONType, default=dict, nullable=False)
    result = mapped_column(JSONType, nullable=True)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str | None] = mapped_column(Text)
    # {"count": n, "sample": [{"line": 4, "message": "..."}], "key": storage key of the full CSV}
    row_errors = mapped_column(JSONType, nullable=True)
    # Whatever a rerun needs to resume where the last committed chunk ended.
    checkpoint = mapped_column(JSONType, nullable=True)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    lease: Mapped[str | None] = mapped_column(String(32))
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    heartbeat_at = mapped_column(UTCDateTime, nullable=True)
    cancel_requested_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at = mapped_column(UTCDateTime, nullable=True)
    finished_at = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    # Rows that workers have gone through in chunks not yet committed (jobs/chunks.py): set
    # for display by services.jobs.owned.with_rows_in_hand, never stored.
    in_hand = 0

    @property
    def is_active(self):
        return self.status in ACTIVE_STATUSES

    @property
    def percent(self):
        """0–100, or None while the total is unknown."""
        if self.status == "completed":
            return 100
        if not self.progress_total:
            return None
        return max(0, min(100, int(self.shown_done * 100 / self.progress_total)))

    @property
    def shown_done(self):
        """Rows done as the pages show them: committed, and those in chunks in hand."""
        done = self.progress_done + self.in_hand
        return min(done, self.progress_total) if self.progress_total else done

    @property
    def files(self):
        """Result files by name: {"csv": {"key", "filename", "content_type", "bytes"}}."""
        return dict((self.result or {}).get("files") or {})

    def __repr__(self):
        return f"<BackgroundJob {self.type} {self.id} {self.status}>"


class JobChunk(db.Model):
    """One slice of a chunked job's rows, claimed and done by whichever worker is free.

    The job's run plans its chunks; every worker helping it claims one at a time
    (`webapp/services/jobs/chunks.py`). A chunk's work commits with the UPDATE that
    marks it done, and only while `lease` is still the job's: a chunk a dead or
    superseded worker held is claimed again. `heartbeat_at` tells a live claim
    from a dead one.
    """

    __tablename__ = "job_chunks"

    job_id: Mapped[str] = mapped_column(ForeignKey("background_jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    start: Mapped[int] = mapped_column(Integer)  # rows before it
    rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, claimed, done
    claim: Mapped[str | None] = mapped_column(String(32))  # the claimer's token
    lease: Mapped[str | None] = mapped_column(String(32))  # the job's lease it was claimed under
    claimed_by: Mapped[str | None] = mapped_column(String(120))  # host:pid
    heartbeat_at = mapped_column(UTCDateTime, nullable=True)
    # What the chunk did: its counts, and its refused rows' count and first few.
    result = mapped_column(JSONType, nullable=True)

    def __repr__(self):
        return f"<JobChunk {self.job_id}#{self.number} {self.status}>"
