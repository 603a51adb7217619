"""The one tenacity retry policy."""
import logging

import tenacity
from flask import current_app

from webapp.infra.resilience.failures import transient

log = logging.getLogger(__name__)


def retrying(config=None, **overrides):
    """The one tenacity policy: exponential backoff with jitter, transient errors only,
    a few attempts, then the last error is raised as itself."""
    config = config or current_app.config
    options = dict(
        retry=tenacity.retry_if_exception(transient),
        stop=tenacity.stop_after_attempt(config["RETRY_ATTEMPTS"]),
        wait=tenacity.wait_exponential_jitter(multiplier=config["RETRY_WAIT_INITIAL"],
                                              max=config["RETRY_WAIT_MAX"]),
        reraise=True,
        before_sleep=lambda state: log.info("retrying %s after %r (attempt %d)",
                                            getattr(state.fn, "__name__", state.fn),
                                            state.outcome.exception(), state.attempt_number),
    )
    options.update(overrides)
    return tenacity.Retrying(**options)
