"""One module per aggregate; importing the package registers every table."""
from .images import ImageAsset
from .jobs import BackgroundJob
from .qrcodes import QrCode
from .scans import ScanEvent
from .users import ApiKey, User
from .webhooks import WebhookAttempt, WebhookEndpoint, WebhookOutbox

__all__ = [
    "ApiKey", "BackgroundJob", "ImageAsset", "QrCode", "ScanEvent",
    "User", "WebhookAttempt", "WebhookEndpoint", "WebhookOutbox",
]
