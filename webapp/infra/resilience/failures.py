"""What counts as a failure of a service, as opposed to a refusal of a request.

Breakers count only failures of the service itself (gone, unreachable, too slow);
the retry policy retries only what may succeed in a moment.
"""
import botocore.exceptions
import pybreaker
import redis.exceptions
import requests
from sqlalchemy import exc as sa_exc


class ServiceUnavailable(Exception):
    """Neither the primary nor the fallback could answer; shown as a 503."""

    def __init__(self, message, retry_after=30):
        super().__init__(message)
        self.message, self.retry_after = message, retry_after


class StorageUnavailable(ServiceUnavailable):
    """Storage (the bucket or the disk) did not answer, or its breaker is open."""

    service = "storage"


# S3's answers that mean "not now" rather than "no": throttling and the server's own trouble.
STORAGE_BUSY = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded",
                "RequestTimeout", "RequestTimeTooSkewed", "InternalError", "ServiceUnavailable"}


def database_error(exc):
    """True for a failure of the database itself (gone, unreachable, too slow), not of a
    statement it refused (integrity, data): only those count against its breaker."""
    if isinstance(exc, pybreaker.CircuitBreakerError):
        return True
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated
    # a driver's own error that reached us without SQLAlchemy wrapping it
    kind = type(exc)
    return (kind.__module__.split(".")[0] in ("psycopg", "sqlite3")
            and kind.__name__ in ("OperationalError", "InterfaceError"))


def redis_error(exc):
    return isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                            pybreaker.CircuitBreakerError))


def storage_error(exc):
    """A failure of storage itself: unreachable, cut off, too slow, throttling or a 5xx,
    or the local disk failing. A missing file, a refused request (4xx) or a bad key is not."""
    if isinstance(exc, (pybreaker.CircuitBreakerError, StorageUnavailable)) or bucket_error(exc):
        return True
    # the local disk's failures, and a stream cut short (s3_reader); not a missing file
    return isinstance(exc, OSError) and not isinstance(exc, (FileNotFoundError, IsADirectoryError))


def bucket_error(exc):
    """An S3-compatible store's failure, the kind worth another try."""
    if isinstance(exc, (botocore.exceptions.HTTPClientError, botocore.exceptions.ConnectionError)):
        return True  # connect/read timeouts, refused or cut connections, a body cut short
    if isinstance(exc, botocore.exceptions.ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return status >= 500 or status == 429 or error.get("Code") in STORAGE_BUSY
    return False


def transient(exc):
    """Worth another try: the service may answer in a moment. Never an open breaker (it
    says "not now" on purpose) and never a 4xx (the same request gets the same answer)."""
    if isinstance(exc, pybreaker.CircuitBreakerError):
        return False
    if isinstance(exc, requests.HTTPError):
        status = exc.response.status_code if exc.response is not None else None
        return status is None or status >= 500 or status == 429
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return True
    return database_error(exc) or redis_error(exc) or bucket_error(exc)
