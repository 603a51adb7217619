"""A workspace's own hostnames: its codes' scan URLs can be `https://<hostname>/<slug>`."""
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import UTCDateTime, new_id, utcnow

PENDING, VERIFIED = "pending", "verified"


class CustomDomain(db.Model):
    __tablename__ = "custom_domains"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    # Lower case, in its IDNA ASCII (punycode) form: what a Host header carries.
    hostname: Mapped[str] = mapped_column(String(253), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # The value the TXT record _scanlink-challenge.<hostname> must hold.
    verification_token: Mapped[str] = mapped_column(String(64))
    verified_at = mapped_column(UTCDateTime, nullable=True)
    # Where `/` of the domain sends people; unset, it answers 404.
    root_url: Mapped[str | None] = mapped_column(Text)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def verified(self):
        return self.status == VERIFIED

    def __repr__(self):
        return f"<CustomDomain {self.hostname}>"
