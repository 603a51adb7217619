"""One module per aggregate; importing the package registers every table."""
from .images import ImageAsset
from .jobs import BackgroundJob
from .qrcodes import QrCode, StylePreset
from .scans import ScanCounter, ScanDailyRollup, ScanEvent, ScanRollupDay
from .users import ApiKey, User
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookOutbox

__all__ = [
    "ApiKey", "BackgroundJob", "ImageAsset", "QrCode", "ScanCounter", "ScanDailyRollup",
    "ScanEvent", "ScanRollupDay", "StylePreset", "User", "WebhookAttempt", "WebhookEndpoint",
    "WebhookOutbox",
]
