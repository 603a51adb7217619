"""Workspaces own everything a team shares; users are their members, with a role.

Roles are ordered (services/workspaces/roles.py): viewer < editor < admin < owner.
"""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.models.base import BigIntPK, JSONType, UTCDateTime, new_id, utcnow


class Workspace(db.Model):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    # Made by sign-up for one user; it can be shared and renamed like any other.
    personal: Mapped[bool] = mapped_column(default=False)
    # The style preset new codes start from. No foreign key: presets belong to a workspace
    # already, and the cycle would make both tables awkward to create and empty.
    default_preset_id: Mapped[str | None] = mapped_column(String(26))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __repr__(self):
        return f"<Workspace {self.slug}>"


class WorkspaceMember(db.Model):
    __tablename__ = "workspace_members"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class WorkspaceInvitation(db.Model):
    """An e-mailed invitation; the link is signed and names this row, which makes it single-use."""

    __tablename__ = "workspace_invitations"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    accepted_at = mapped_column(UTCDateTime, nullable=True)
    accepted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at = mapped_column(UTCDateTime, nullable=True)


class AuditEntry(db.Model):
    """One change in a workspace: who, when, through what, and the fields before and after.

    Written in the transaction of the change it records (services/audit.py)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        # The log is read newest first, a keyset page at a time.
        Index("ix_audit_entries_workspace_id_id", "workspace_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The actor's address when it happened: the log outlives accounts.
    actor_email: Mapped[str] = mapped_column(String(254), default="")
    via: Mapped[str] = mapped_column(String(8))  # browser | api | job
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(24))
    object_id: Mapped[str] = mapped_column(String(64), default="")
    changes = mapped_column(JSONType, default=dict, nullable=False)


class RetiredSlug(db.Model):
    """Slugs of codes deleted with their workspace: the scan URL answers 410 and the slug is
    never handed to another code, so a printed code cannot lead to someone else's target."""

    __tablename__ = "retired_slugs"

    slug: Mapped[str] = mapped_column(String(64), primary_key=True)
    retired_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
