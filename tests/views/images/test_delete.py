"""Deleting an image over the API: refused while codes use it (409, the codes named), else
the row and the stored files no other image shares are removed, with an audit entry."""
from sqlalchemy import select

from tests.factories import make_code, make_user, workspace_of
from tests.support import images as samples
from tests.support.image_api import stored_files
from webapp.extensions import db
from webapp.models import AuditEntry, ImageAsset


def uploaded(image_api, run_jobs, quality=85):
    response = image_api.upload(samples.photo_bytes("coffee.png"), filename="coffee.png",
                                quality=quality, format="jpeg")
    assert response.status_code in (200, 202)
    run_jobs()
    image = image_api.get(response.json["id"]).json
    assert image["status"] == "ready"
    return image["id"]


def keys_of(app, image_id):
    with app.app_context():
        asset = db.session.get(ImageAsset, image_id)
        return asset.original_key, asset.variant_key


def delete(image_api, image_id):
    return image_api.client.delete(f"/api/images/{image_id}", headers=image_api.headers)


def test_an_image_in_use_is_refused_with_the_codes_named(app, image_api, run_jobs):
    image_id = uploaded(image_api, run_jobs)
    with app.app_context():
        ada = workspace_of(make_user("ada@example.com"))
        make_code(ada, "menu-card", title="Menu", style={"logo": image_id})
        make_code(ada, "door-sign", title="", style={"logo": image_id})
        make_code(ada, "no-logo", style={})
    files = stored_files(app)

    response = delete(image_api, image_id)

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "image_in_use"
    assert "2 codes use it" in error["message"]
    assert "“Menu” (menu-card)" in error["message"] and "door-sign" in error["message"]
    assert "no-logo" not in error["message"]
    assert error["fields"]["codes"] == ["menu-card", "door-sign"]
    assert image_api.get(image_id).status_code == 200
    assert stored_files(app) == files
    with app.app_context():
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "image.deleted")).all()


def test_an_unused_image_goes_with_its_unshared_files_only(app, image_api, run_jobs):
    # The same photo at two qualities: one original, two variants.
    first, second = uploaded(image_api, run_jobs, 85), uploaded(image_api, run_jobs, 40)
    original, first_variant = keys_of(app, first)
    same_original, second_variant = keys_of(app, second)
    assert original == same_original and first_variant != second_variant
    files = {f"/{path}" for path in stored_files(app)}
    assert any(path.endswith(original) for path in files)

    assert delete(image_api, first).status_code == 204

    assert image_api.get(first).status_code == 404
    left = stored_files(app)
    assert not any(path.endswith(first_variant.rsplit("/", 1)[-1]) for path in left)
    assert any(path.endswith(original.rsplit("/", 1)[-1]) for path in left)  # the other image's
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "image.deleted")).one()
        assert entry.object_id == first and entry.changes["name"] == "coffee.png"

    assert delete(image_api, second).status_code == 204
    assert stored_files(app) == []
    assert delete(image_api, second).status_code == 404


def test_a_code_of_another_workspace_neither_blocks_nor_sees_it(app, image_api, run_jobs):
    image_id = uploaded(image_api, run_jobs)
    with app.app_context():
        make_code(make_user("grace@example.com"), "graces", style={"logo": image_id})
    assert delete(image_api, image_id).status_code == 204
