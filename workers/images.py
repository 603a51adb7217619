"""Image optimisation jobs: load by id, call the service, record the outcome."""
import logging

from webapp.extensions import db
from webapp.services.images import assets
from workers.context import tracked

log = logging.getLogger(__name__)

UNEXPECTED = "Optimisation failed unexpectedly; upload the file again to retry."


@tracked
def optimise_image(run):
    """`row.payload["image_id"]` → an optimised variant. Safe to run twice."""
    image_id = run.payload["image_id"]
    # Commit "processing" first, so the page and the API show that work has started.
    assets.mark_processing(image_id)
    db.session.commit()
    try:
        return assets.optimise_image(image_id)
    except Exception:
        # Storage or the database failed under us: the image must not stay
        # "processing" forever. A re-upload of the same file queues it again.
        db.session.rollback()
        log.exception("optimising image %s failed", image_id)
        assets.mark_failed(image_id, UNEXPECTED)
        db.session.commit()
        raise
