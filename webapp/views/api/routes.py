"""Every resource of the API; importing one adds its routes to `bp`."""
from webapp.views.api import (
    audit_log,
    bulk,
    domains,
    exports,
    images,
    jobs,
    meta,
    organise,
    public_scan,
    qrcodes,
    scans,
    webhooks,
    workspaces,
)
from webapp.views.api.blueprint import bp

RESOURCES = (meta, qrcodes, organise, public_scan, scans, images, bulk, exports, jobs, webhooks,
             workspaces, audit_log, domains)

__all__ = ["RESOURCES", "bp"]
