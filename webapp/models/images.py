from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import UTCDateTime, new_id, utcnow


class ImageAsset(db.Model):
    __tablename__ = "image_assets"
    __table_args__ = (
        # The same bytes with the same options are optimised once per workspace.
        UniqueConstraint(
            "workspace_id", "content_hash", "max_width", "max_height", "quality", "format",
            name="uq_image_assets_source_options",
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    max_width: Mapped[int] = mapped_column(Integer)
    max_height: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    format: Mapped[str] = mapped_column(String(8))
    # The uploaded file's name, only for showing people which image is which.
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    original_key: Mapped[str] = mapped_column(String(255))
    original_format: Mapped[str] = mapped_column(String(16), default="")
    original_bytes: Mapped[int] = mapped_column(Integer, default=0)
    original_width: Mapped[int | None] = mapped_column(Integer)
    original_height: Mapped[int | None] = mapped_column(Integer)
    variant_key: Mapped[str | None] = mapped_column(String(255))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    bytes: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
