"""Storage as the app uses it: every call through the `storage` breaker and the shared retry policy.

`get_storage()` hands out a `GuardedStorage` around the backend. A call that fails
because storage itself failed (unreachable, timed out, throttled, a 5xx, the disk)
is tried again by the shared tenacity policy when that may help, counts against the
`storage` breaker, and is raised as `StorageUnavailable` (a `ServiceUnavailable`:
a 503 with Retry-After in a request, a failed attempt that RQ retries in a job).
While the breaker is open calls fail at once. A missing file stays FileNotFoundError
and a bad key ValueError: those are answers, not failures.

Not retried: `put_stream`, whose iterable cannot be read twice (a job's retry
writes the whole file again), and the reads of an open file after its first GET
(botocore retries each request; a stream cut short fails the reader).
"""
import logging
import time

import pybreaker

from webapp.infra.resilience.breakers import storage_breaker
from webapp.infra.resilience.failures import StorageUnavailable, storage_error
from webapp.infra.resilience.guard import guard, open_until
from webapp.infra.resilience.retries import retrying

log = logging.getLogger(__name__)

MESSAGE = "File storage is not answering right now; try again in a moment."


class GuardedStorage:
    def __init__(self, backend, app):
        self.backend, self.app = backend, app

    def __getattr__(self, name):  # the backend's own attributes: bucket, prefix, root, name()
        return getattr(self.backend, name)

    def _call(self, func, *args, retry=True, **kwargs):
        breaker = storage_breaker(self.app)
        try:
            if retry:
                return retrying(self.app.config)(guard, breaker, func, *args, **kwargs)
            return guard(breaker, func, *args, **kwargs)
        except pybreaker.CircuitBreakerError:
            raise StorageUnavailable(MESSAGE, retry_after=self._retry_after(breaker)) from None
        except Exception as exc:
            if not storage_error(exc) or isinstance(exc, StorageUnavailable):
                raise
            log.warning("storage: %s failed: %r", getattr(func, "__name__", func), exc)
            raise StorageUnavailable(MESSAGE, retry_after=self._retry_after(breaker)) from exc

    def _retry_after(self, breaker):
        try:
            until = open_until(breaker) if breaker.current_state == "open" else None
        except Exception:  # Redis down too: the breaker's state cannot say
            until = None
        default = self.app.config["UNAVAILABLE_RETRY_AFTER"]
        if until is None:
            return default
        return max(1, min(default, round(until - time.time())))

    def put(self, key, data, **metadata):
        return self._call(self.backend.put, key, data, **metadata)

    def put_stream(self, key, chunks):
        return self._call(self.backend.put_stream, key, chunks, retry=False)

    def abort_uploads(self, key):
        return self._call(self.backend.abort_uploads, key)

    def open(self, key):
        return self._call(self.backend.open, key)

    def get(self, key):
        return self._call(self.backend.get, key)

    def size(self, key):
        return self._call(self.backend.size, key)

    def exists(self, key):
        return self._call(self.backend.exists, key)

    def delete(self, key):
        return self._call(self.backend.delete, key)
