from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.models.base import JSONType, UTCDateTime, new_id, utcnow

# The columns the code list searches (services/codes/filters.py).
SEARCHED_COLUMNS = ("title", "slug", "target_url", "content")


def _trigram_index(column):
    """A pg_trgm GIN index, so `ILIKE '%text%'` is an index scan, not a walk of every row.

    PostgreSQL only: `info["only_on"]` makes migrations/env.py leave it out of the
    comparison on other databases, and migration 0007 creates it only there.
    """
    return Index(f"ix_qr_codes_{column}_trgm", column, postgresql_using="gin",
                 postgresql_ops={column: "gin_trgm_ops"}, info={"only_on": "postgresql"})


class QrCode(db.Model):
    __tablename__ = "qr_codes"
    __table_args__ = (
        # Keyset pagination walks (workspace, created_at, id), newest first.
        Index("ix_qr_codes_workspace_created", "workspace_id", "created_at", "id"),
        # The list's filters walk the same order within one kind or one active state.
        Index("ix_qr_codes_workspace_kind_created", "workspace_id", "kind", "created_at", "id"),
        Index("ix_qr_codes_workspace_active_created", "workspace_id", "active", "created_at", "id"),
        Index("ix_qr_codes_workspace_folder_created", "workspace_id", "folder", "created_at", "id"),
        *(_trigram_index(column) for column in SEARCHED_COLUMNS if column != "slug"),
        # A bulk job finds the codes it already made by (workspace, "<job id>:<line>"), and the
        # database refuses a second code for the same line even from a run that raced.
        UniqueConstraint("workspace_id", "import_key", name="uq_qr_codes_workspace_import_key"),
        # Slugs are unique per domain: among the codes of one custom domain, and among the
        # codes on PUBLIC_BASE_URL (no domain), which the scan path finds by this index.
        Index("ux_qr_codes_domain_slug", "domain_id", "slug", unique=True),
        Index("ux_qr_codes_slug_no_domain", "slug", unique=True,
              sqlite_where=text("domain_id IS NULL"), postgresql_where=text("domain_id IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(String(64))
    # The custom domain of its scan URL; NULL: PUBLIC_BASE_URL/s/<slug>. A domain in use
    # cannot be deleted (the app says 409; the database refuses too).
    domain_id: Mapped[str | None] = mapped_column(ForeignKey("custom_domains.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))  # dynamic | static
    content_type: Mapped[str] = mapped_column(String(16), default="url")
    target_url: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    # The form fields a structured static code (Wi-Fi, vCard, e-mail, geo) was built from.
    content_fields = mapped_column(JSONType, nullable=True)
    style = mapped_column(JSONType, default=dict, nullable=False)
    active: Mapped[bool] = mapped_column(default=True)
    expires_at = mapped_column(UTCDateTime, nullable=True)
    scannable: Mapped[bool | None] = mapped_column()
    # Which decoders read it in which views, as the scannability gate found when it was saved.
    scan_report = mapped_column(JSONType, nullable=True)
    scan_count: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    # Set on codes a bulk import made: "<job id>:<CSV line>"; NULL otherwise.
    import_key: Mapped[str | None] = mapped_column(String(40))
    # Smart redirects (services/redirects): {"rules", "split", "utm"}, NULL for a plain code.
    redirect = mapped_column(JSONType, nullable=True)
    max_scans: Mapped[int | None] = mapped_column(BigInteger)
    expired_url: Mapped[str | None] = mapped_column(Text)
    # Scans counted against max_scans: only a conditional UPDATE below the limit raises it.
    limit_used: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # One folder per code, or none (NULL); its tags are rows of code_tags (models/tags.py).
    folder: Mapped[str | None] = mapped_column(String(100))

    domain = relationship("CustomDomain", lazy="select")

    def __repr__(self):
        return f"<QrCode {self.slug}>"


# The slug's trigram index is on lower(slug), searched as `lower(slug) LIKE` (migration 0020):
# one on the bare column also answers `slug = …`, and PostgreSQL took it for a bulk job's
# `slug IN (500 slugs)`, a hundred times slower than the btree indexes above.
Index("ix_qr_codes_slug_lower_trgm", func.lower(QrCode.slug).label("slug_lower"),
      postgresql_using="gin", postgresql_ops={"slug_lower": "gin_trgm_ops"},
      info={"only_on": "postgresql"})


class StylePreset(db.Model):
    """A style a workspace saved under a name, to start new codes from."""

    __tablename__ = "style_presets"
    __table_args__ = (UniqueConstraint("workspace_id", "name", name="uq_style_presets_workspace_name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    style = mapped_column(JSONType, default=dict, nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
