"""One module per aggregate; importing the package registers every table."""
from webapp.models.domains import CustomDomain
from webapp.models.identities import UserIdentity
from webapp.models.images import ImageAsset
from webapp.models.jobs import BackgroundJob, JobChunk
from webapp.models.qrcodes import QrCode, StylePreset
from webapp.models.scans import (
    ScanCounter,
    ScanDailyRollup,
    ScanEvent,
    ScanRollupDay,
    WorkspaceDailyRollup,
)
from webapp.models.tags import CodeTag, Tag
from webapp.models.two_factor import RecoveryCode
from webapp.models.users import ApiKey, User, UserSession
from webapp.models.webhooks import WebhookAttempt, WebhookEndpoint, WebhookOutbox
from webapp.models.workspaces import (
    AuditEntry,
    RetiredSlug,
    Workspace,
    WorkspaceInvitation,
    WorkspaceMember,
)

__all__ = [
    "ApiKey", "AuditEntry", "BackgroundJob", "CodeTag", "CustomDomain", "ImageAsset", "JobChunk", "QrCode", "RecoveryCode", "RetiredSlug", "ScanCounter",
    "ScanDailyRollup", "ScanEvent", "ScanRollupDay", "StylePreset", "Tag", "User", "UserIdentity",
    "UserSession", "WebhookAttempt", "WebhookEndpoint", "WebhookOutbox", "Workspace",
    "WorkspaceDailyRollup", "WorkspaceInvitation", "WorkspaceMember",
]
