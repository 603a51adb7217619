"""Whether storage is down, for the pages that show images to say so."""
import logging

from flask import g

from webapp.infra.resilience.breakers import storage_breaker

log = logging.getLogger(__name__)


def storage_down():
    """True while the `storage` breaker is open (asked once per request): images will not
    load and uploads are refused with a 503 until it closes."""
    if "storage_down" not in g:
        try:
            g.storage_down = storage_breaker().current_state == "open"
        except Exception:  # Redis down: the breaker's state cannot be read; say nothing
            log.debug("storage breaker unreadable", exc_info=True)
            g.storage_down = False
    return g.storage_down
