"""Rename, set the default preset of, and delete a workspace."""
import logging

from sqlalchemy import delete, insert, select

from webapp.extensions import db
from webapp.models import CustomDomain, QrCode, RetiredSlug, StylePreset, Workspace
from webapp.services import ServiceError, audit, signals
from webapp.services.scans import targets
from webapp.services.workspaces import memberships
from webapp.services.workspaces.roles import ADMIN, OWNER

# Slugs are inserted into RetiredSlug and dropped from the cache this many at a time.
log = logging.getLogger(__name__)
CHUNK = 1000


def get_workspace(actor):
    return db.session.get(Workspace, actor.workspace_id)


def workspace_json(workspace, role):
    return {"id": workspace.id, "name": workspace.name, "slug": workspace.slug, "role": role,
            "personal": workspace.personal, "default_preset_id": workspace.default_preset_id,
            "created_at": workspace.created_at.isoformat().replace("+00:00", "Z")}


def rename(actor, name):
    actor.require(OWNER)
    workspace = get_workspace(actor)
    name = memberships.check_name(name)
    if name != workspace.name:
        audit.record(actor, "workspace.renamed", "workspace", workspace.id,
                     audit.before_after({"name": (workspace.name, name)}))
    workspace.name = name
    return workspace


def set_default_preset(actor, preset_id):
    """None clears it; a preset of another workspace is refused as unknown (422)."""
    actor.require(ADMIN)
    workspace = get_workspace(actor)
    if preset_id is not None:
        preset = db.session.get(StylePreset, preset_id) if isinstance(preset_id, str) else None
        if preset is None or preset.workspace_id != workspace.id:
            message = "No such style preset in this workspace."
            raise ServiceError(message, fields={"default_preset_id": message}, status=422)
    if preset_id != workspace.default_preset_id:
        audit.record(actor, "workspace.default_preset_changed", "workspace", workspace.id,
                     audit.before_after({"default_preset_id": (workspace.default_preset_id, preset_id)}))
    workspace.default_preset_id = preset_id
    return workspace


def delete_workspace(actor, confirm):
    """Deletes the workspace and everything in it, once `confirm` is its exact name.

    Its codes' slugs are retired first, in the same transaction: a printed code of the
    deleted workspace then answers 410 and its slug is never handed to another code.
    """
    actor.require(OWNER)
    workspace = get_workspace(actor)
    if workspace.personal:
        # Every user keeps one workspace to land in; it goes with their account.
        raise ServiceError("A personal workspace cannot be deleted; it goes with its account.",
                           status=422)
    if confirm != workspace.name:
        message = "Type the workspace's name exactly to confirm that it and its codes are deleted."
        raise ServiceError(message, fields={"confirm": message}, status=422)
    rows = db.session.execute(select(QrCode.slug, CustomDomain.hostname)
                              .outerjoin(CustomDomain, CustomDomain.id == QrCode.domain_id)
                              .where(QrCode.workspace_id == workspace.id)).all()
    # Only PUBLIC_BASE_URL's slugs are retired: a custom domain goes with the workspace.
    slugs = [slug for slug, hostname in rows if hostname is None]
    keys = [targets.cache_key(slug, hostname) for slug, hostname in rows]
    for hostname in db.session.scalars(select(CustomDomain.hostname)
                                       .where(CustomDomain.workspace_id == workspace.id)):
        signals.domain_changed.send(hostname)
    for start in range(0, len(slugs), CHUNK):
        db.session.execute(insert(RetiredSlug), [{"slug": slug} for slug in slugs[start:start + CHUNK]])
    # The database cascades to codes, scans, images, jobs, presets, webhooks, keys, members.
    db.session.execute(delete(QrCode).where(QrCode.workspace_id == workspace.id))
    db.session.delete(workspace)
    db.session.flush()
    for start in range(0, len(keys), CHUNK):
        signals.after_commit(targets.invalidate_keys, *keys[start:start + CHUNK])
    # Its audit log goes with it: the application log keeps who deleted what.
    log.info("workspace %s (%s) and its %d codes deleted by user %s", workspace.id, workspace.slug,
             len(rows), actor.user_id)
    return len(rows)
