"""Configuration read from the environment; every setting is in docs/configuration.md."""
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"
# host, host:port, an IPv6 address, or [IPv6]:port
_DNS_RESOLVER = re.compile(r"^(?:[\w.-]+(?::\d{1,5})?|[0-9a-fA-F:]+:[0-9a-fA-F:.]*|\[[0-9a-fA-F:.]+\](?::\d{1,5})?)$")


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def env_seconds_list(name, default):
    """A comma-separated list of seconds, e.g. the retry schedule "0,5,300"."""
    value = os.environ.get(name) or default
    return tuple(float(part) for part in value.split(",") if part.strip())


def database_url(value):
    """Platforms hand out `postgres://` URLs; SQLAlchemy wants the driver named."""
    if not value:
        INSTANCE.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE / 'scanlink.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value[len(prefix):]
    return value


def local_secret_key():
    """A key kept in instance/ so that local sessions survive restarts."""
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


class ConfigError(RuntimeError):
    pass


class Config:
    def __init__(self):
        self.SCANLINK_ENV = os.environ.get("SCANLINK_ENV", "production")
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or None

        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        self.SQLITE_BUSY_TIMEOUT_MS = env_int("SQLITE_BUSY_TIMEOUT_MS", 5000)
        self.DB_CONNECT_TIMEOUT = env_int("DB_CONNECT_TIMEOUT", 5)
        self.DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 15000)
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

        self.REDIS_URL = os.environ.get("REDIS_URL") or (
            f"redis://127.0.0.1:{env_int('EMBEDDED_REDIS_PORT', 6380)}/0"
        )
        self.REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 2.0)
        self.REDIS_RETRIES = env_int("REDIS_RETRIES", 1)

        # Resilience (webapp/infra/resilience/): breakers, retries, what a scan does in an outage.
        self.DB_BREAKER_FAIL_MAX = env_int("DB_BREAKER_FAIL_MAX", 5)
        self.DB_BREAKER_RESET_SECONDS = env_float("DB_BREAKER_RESET_SECONDS", 30)
        self.REDIS_BREAKER_FAIL_MAX = env_int("REDIS_BREAKER_FAIL_MAX", 3)
        self.REDIS_BREAKER_RESET_SECONDS = env_float("REDIS_BREAKER_RESET_SECONDS", 10)
        self.RETRY_ATTEMPTS = env_int("RETRY_ATTEMPTS", 3)
        self.RETRY_WAIT_INITIAL = env_float("RETRY_WAIT_INITIAL", 0.2)
        self.RETRY_WAIT_MAX = env_float("RETRY_WAIT_MAX", 5.0)
        self.UNAVAILABLE_RETRY_AFTER = env_int("UNAVAILABLE_RETRY_AFTER", 30)
        self.SCAN_BUFFER_FLUSH_INTERVAL = env_float("SCAN_BUFFER_FLUSH_INTERVAL", 15.0)
        self.SCAN_BUFFER_BATCH = env_int("SCAN_BUFFER_BATCH", 1000)
        # /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`; unset: no /metrics.
        self.METRICS_TOKEN = os.environ.get("METRICS_TOKEN") or None

        self.PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
        # Strict-Transport-Security's max-age when PUBLIC_BASE_URL is https (0 makes browsers forget it).
        self.HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 31536000)  # a year
        self.CRON_SECRET = os.environ.get("CRON_SECRET") or None
        # The DNS server that verifies custom domains (`host` or `host:port`); unset: the system's.
        self.DNS_RESOLVER = os.environ.get("DNS_RESOLVER") or None
        self.DNS_TIMEOUT = env_float("DNS_TIMEOUT", 5.0)
        # e.g. CF-IPCountry; only set it when a CDN in front sets (and strips) that header.
        self.TRUSTED_COUNTRY_HEADER = os.environ.get("TRUSTED_COUNTRY_HEADER") or None

        # Background jobs: liveness, recovery and periodic work (seconds).
        self.JOB_HEARTBEAT_INTERVAL = env_float("JOB_HEARTBEAT_INTERVAL", 10.0)
        self.JOB_STALE_AFTER = env_float("JOB_STALE_AFTER", 90.0)
        self.JOB_ENQUEUE_GRACE = env_float("JOB_ENQUEUE_GRACE", 60.0)
        self.JOB_PROGRESS_INTERVAL = env_float("JOB_PROGRESS_INTERVAL", 1.0)
        self.JOB_REAPER_INTERVAL = env_float("JOB_REAPER_INTERVAL", 60.0)
        self.SCAN_ROLLUP_INTERVAL = env_float("SCAN_ROLLUP_INTERVAL", 3600.0)
        self.WEBHOOK_SWEEP_INTERVAL = env_float("WEBHOOK_SWEEP_INTERVAL", 30.0)
        self.JOB_SWEEP_INTERVAL = env_float("JOB_SWEEP_INTERVAL", 60.0)
        self.JOB_FILES_RETENTION_DAYS = env_int("JOB_FILES_RETENTION_DAYS", 7)
        self.JOB_PLUGINS = [name.strip() for name in os.environ.get("JOB_PLUGINS", "").split(",")
                            if name.strip()]
        self.WORKER_MAINTENANCE_INTERVAL = env_int("WORKER_MAINTENANCE_INTERVAL", 60)
        self.WORKER_JOB_MONITORING_INTERVAL = env_int("WORKER_JOB_MONITORING_INTERVAL", 30)
        self.EXPORT_CHUNK_ROWS = env_int("EXPORT_CHUNK_ROWS", 2000)
        # Up to this many rows a CSV export is streamed at once; above it an export job makes it.
        self.EXPORT_STREAM_MAX_ROWS = env_int("EXPORT_STREAM_MAX_ROWS", 10_000)
        self.BULK_CHUNK_ROWS = env_int("BULK_CHUNK_ROWS", 500)
        self.CSV_MAX_ROWS = env_int("CSV_MAX_ROWS", 100_000)
        self.CSV_MAX_BYTES = env_int("CSV_MAX_BYTES", 20 * 1024 * 1024)
        self.CSV_MAX_LINE_BYTES = env_int("CSV_MAX_LINE_BYTES", 64 * 1024)

        self.RATELIMIT_STORAGE_URI = self.REDIS_URL
        self.RATELIMIT_AUTH = os.environ.get("RATELIMIT_AUTH", "10 per minute; 50 per hour")
        # Wrong two-factor codes per account, from any address (a right code clears the count).
        self.RATELIMIT_TWO_FACTOR = os.environ.get("RATELIMIT_TWO_FACTOR",
                                                   "5 per 15 minutes; 20 per day")
        # Wrong current passwords per user at the account pages that re-check it, from any
        # address: a stolen session cookie must not buy unlimited guesses at the password.
        self.RATELIMIT_PASSWORD_CHECK = os.environ.get("RATELIMIT_PASSWORD_CHECK",
                                                       "5 per 15 minutes; 20 per day")
        self.TWO_FACTOR_PENDING_SECONDS = env_int("TWO_FACTOR_PENDING_SECONDS", 300)
        self.RATELIMIT_MAIL_PER_ADDRESS = os.environ.get("RATELIMIT_MAIL_PER_ADDRESS", "5 per hour")
        self.RATELIMIT_INVITATIONS = os.environ.get("RATELIMIT_INVITATIONS", "30 per hour")
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_SWALLOW_ERRORS = True
        self.RATELIMIT_KEY_PREFIX = "scanlink-limits"

        self.STORAGE_DIR = os.environ.get("STORAGE_DIR") or str(INSTANCE / "storage")
        # A path or file:///abs/path (a local directory) or s3://bucket/prefix; unset means
        # STORAGE_DIR. webapp/infra/storage/ makes the backend it names.
        self.STORAGE_URL = os.environ.get("STORAGE_URL") or None
        # The S3 backend's; unset credentials and region fall to boto3's own chain.
        self.S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
        self.AWS_REGION = os.environ.get("AWS_REGION") or None
        self.AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
        self.AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
        self.STORAGE_CONNECT_TIMEOUT = env_float("STORAGE_CONNECT_TIMEOUT", 3.0)
        self.STORAGE_READ_TIMEOUT = env_float("STORAGE_READ_TIMEOUT", 15.0)
        self.STORAGE_MAX_ATTEMPTS = env_int("STORAGE_MAX_ATTEMPTS", 3)
        self.STORAGE_BREAKER_FAIL_MAX = env_int("STORAGE_BREAKER_FAIL_MAX", 5)
        self.STORAGE_BREAKER_RESET_SECONDS = env_float("STORAGE_BREAKER_RESET_SECONDS", 30)
        # A public base (a CDN, a public bucket) that optimised images are served from: the
        # image URLs become <STORAGE_PUBLIC_URL>/<key>. Unset: the app streams them itself.
        self.STORAGE_PUBLIC_URL = (os.environ.get("STORAGE_PUBLIC_URL") or "").rstrip("/") or None
        self.PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)
        self.MAX_CONTENT_LENGTH = env_int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
        self.MAX_IMAGE_BYTES = env_int("MAX_IMAGE_BYTES", 15 * 1024 * 1024)
        self.IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 50_000_000)
        self.IMAGE_MAX_FRAMES = env_int("IMAGE_MAX_FRAMES", 100)
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = self.PUBLIC_BASE_URL.startswith("https://")
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        # A browser session (services/accounts/sessions.py) unused this long is over; the
        # remember-me cookie lasts as long.
        self.SESSION_LIFETIME_DAYS = env_int("SESSION_LIFETIME_DAYS", 30)
        self.WTF_CSRF_TIME_LIMIT = None  # tied to the session instead of a clock
        self.PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 10)
        self.PASSWORD_RESET_SECONDS = env_int("PASSWORD_RESET_SECONDS", 3600)
        self.SIGNUP_LINK_SECONDS = env_int("SIGNUP_LINK_SECONDS", 86400)

        # Mail: smtp://user:pass@host:587 (STARTTLS) or smtps://… (TLS); unset: mails go to the log.
        self.SMTP_URL = os.environ.get("SMTP_URL") or None
        self.MAIL_FROM = os.environ.get("MAIL_FROM") or "Scanlink <scanlink@localhost>"
        self.MAIL_TIMEOUT = env_float("MAIL_TIMEOUT", 10.0)

        # Single sign-on through an OpenID Connect provider; off while OIDC_ISSUER is unset.
        self.OIDC_ISSUER = (os.environ.get("OIDC_ISSUER") or "").strip() or None
        self.OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID") or None
        self.OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET") or None
        self.OIDC_NAME = os.environ.get("OIDC_NAME") or "single sign-on"
        self.OIDC_SCOPES = os.environ.get("OIDC_SCOPES") or "openid email profile"
        self.OIDC_TIMEOUT = env_float("OIDC_TIMEOUT", 5.0)

        # Webhooks: what a receiver may be, how long we wait for it, how often we retry.
        self.WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP")
        self.WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE")
        self.WEBHOOK_CONNECT_TIMEOUT = env_float("WEBHOOK_CONNECT_TIMEOUT", 3.0)
        self.WEBHOOK_READ_TIMEOUT = env_float("WEBHOOK_READ_TIMEOUT", 10.0)
        self.WEBHOOK_MAX_RESPONSE_BYTES = env_int("WEBHOOK_MAX_RESPONSE_BYTES", 65536)
        self.WEBHOOK_RETRY_SCHEDULE = env_seconds_list(
            "WEBHOOK_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,36000")
        self.WEBHOOK_RETRY_JITTER = env_float("WEBHOOK_RETRY_JITTER", 0.2)
        self.WEBHOOK_RETRY_AFTER_MAX = env_float("WEBHOOK_RETRY_AFTER_MAX", 36000)
        self.WEBHOOK_LEASE_SECONDS = env_float("WEBHOOK_LEASE_SECONDS", 60)
        self.WEBHOOK_BATCH_SIZE = env_int("WEBHOOK_BATCH_SIZE", 200)
        self.WEBHOOK_DRAIN_SECONDS = env_float("WEBHOOK_DRAIN_SECONDS", 60)
        self.WEBHOOK_DISABLE_AFTER_SECONDS = env_float("WEBHOOK_DISABLE_AFTER_SECONDS", 5 * 86400)
        self.WEBHOOK_SECRET_OVERLAP_SECONDS = env_float("WEBHOOK_SECRET_OVERLAP_SECONDS", 86400)
        self.WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
        self.WEBHOOK_BREAKER_FAIL_MAX = env_int("WEBHOOK_BREAKER_FAIL_MAX", 5)
        self.WEBHOOK_BREAKER_RESET_SECONDS = env_float("WEBHOOK_BREAKER_RESET_SECONDS", 60)

    def update(self, **overrides):
        for key, value in overrides.items():
            setattr(self, key, value)
        return self

    def finalise(self):
        """Checks that only make sense once overrides are applied."""
        if not self.SECRET_KEY:
            if self.SCANLINK_ENV == "production":
                raise ConfigError(
                    "SECRET_KEY is required in production; "
                    "set it, or set SCANLINK_ENV=development for a local run"
                )
            self.SECRET_KEY = local_secret_key()
        self.REMEMBER_COOKIE_DURATION = timedelta(days=self.SESSION_LIFETIME_DAYS)
        if self.OIDC_ISSUER and not (self.OIDC_CLIENT_ID and self.OIDC_CLIENT_SECRET):
            raise ConfigError("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
        if self.OIDC_ISSUER and "openid" not in self.OIDC_SCOPES.split():
            raise ConfigError("OIDC_SCOPES must include openid (it asks for the ID token)")
        schedule = tuple(self.WEBHOOK_RETRY_SCHEDULE)
        if not schedule or any(step < 0 for step in schedule):
            raise ConfigError("WEBHOOK_RETRY_SCHEDULE needs at least one wait, none negative")
        self.WEBHOOK_RETRY_SCHEDULE = schedule
        storage_url = self.STORAGE_URL or ""
        if "://" in storage_url and not storage_url.startswith(("file:///", "s3://")):
            raise ConfigError("STORAGE_URL must be a path, file:///abs/path or s3://bucket/prefix")
        if storage_url.startswith("s3://") and not storage_url[len("s3://"):].split("/")[0]:
            raise ConfigError("STORAGE_URL names no bucket; s3://bucket/prefix")
        if self.DNS_RESOLVER and not _DNS_RESOLVER.match(self.DNS_RESOLVER.strip()):
            raise ConfigError("DNS_RESOLVER must be host, host:port, [v6 address] or [v6 address]:port")
        if self.SMTP_URL and not self.SMTP_URL.startswith(("smtp://", "smtps://")):
            raise ConfigError("SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (TLS)")
        # The lease is renewed about once a second between sends, so one send must fit in it.
        if self.WEBHOOK_LEASE_SECONDS <= self.WEBHOOK_CONNECT_TIMEOUT + self.WEBHOOK_READ_TIMEOUT + 1:
            raise ConfigError("WEBHOOK_LEASE_SECONDS must exceed the webhook connect and read "
                              "timeouts together plus a second, or a slow send loses its lease")
        return self


class TestConfig(Config):
    """What the test suite runs with; the fixtures add the database and Redis URLs."""

    def __init__(self):
        super().__init__()
        self.TESTING = True
        self.SCANLINK_ENV = "testing"
        self.SECRET_KEY = "test-secret-key"
        self.PASSWORD_MIN_LENGTH = 10
        self.STORAGE_URL = None  # each test has its own STORAGE_DIR (tests/conftest.py)
        self.SMTP_URL = None  # a test that sends mail starts its own server (tests/support/smtp.py)
