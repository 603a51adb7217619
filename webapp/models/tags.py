"""Tags: a workspace's labels, and which codes carry them.

A code's folder is a column on qr_codes (one per code); tags are many per code,
so they are rows. `CodeTag.code_created_at` copies the code's created_at (which
never changes) so a list filtered by one tag is a keyset walk of
(tag_id, code_created_at, qr_code_id) newest first, as cheap on page 1,000 as
on page 1, however few or many codes carry the tag.
"""
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import UTCDateTime, utcnow


class Tag(db.Model):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_tags_workspace_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(50))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class CodeTag(db.Model):
    __tablename__ = "code_tags"
    __table_args__ = (
        Index("ix_code_tags_tag_created", "tag_id", "code_created_at", "qr_code_id"),
        # A code's tags, and the cascade when a code is deleted.
        Index("ix_code_tags_qr_code_id", "qr_code_id"),
    )

    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    qr_code_id: Mapped[str] = mapped_column(ForeignKey("qr_codes.id", ondelete="CASCADE"), primary_key=True)
    code_created_at = mapped_column(UTCDateTime, nullable=False)
