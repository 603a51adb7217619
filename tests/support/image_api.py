"""Calling the images API as a program does: a bearer key and multipart uploads."""
import io
import os
from urllib.parse import urlsplit

from tests.support.auth import PASSWORD
from webapp.extensions import db
from webapp.services.accounts import api_keys, users


class ImageApi:
    def __init__(self, app, client, email="ada@example.com"):
        self.app, self.client = app, client
        with app.app_context():
            user = users.create_user(email, PASSWORD, min_length=10)
            _, self.key = api_keys.create_api_key(user, "tests")
            db.session.commit()
        self.headers = {"Authorization": f"Bearer {self.key}"}

    def upload(self, data, filename="logo.png", content_type="image/png", **options):
        form = {name: str(value) for name, value in options.items()}
        form["file"] = (io.BytesIO(data), filename, content_type)
        return self.client.post("/api/images/upload", data=form, headers=self.headers,
                                content_type="multipart/form-data")

    def get(self, image_id):
        return self.client.get(f"/api/images/{image_id}", headers=self.headers)

    def fetch(self, url, **headers):
        """GET an image URL as any browser would: no credentials."""
        return self.client.get(urlsplit(url).path, headers=headers)


def stored_files(app):
    """Every file under the test's storage directory, as relative paths."""
    root = app.config["STORAGE_DIR"]
    found = []
    for folder, _, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in files]
    return sorted(found)
