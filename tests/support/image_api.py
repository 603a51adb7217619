"""Calling the images API as a program does: a bearer key and multipart uploads."""
import io
import os
from urllib.parse import urlsplit

from tests.factories import make_api_user


class ImageApi:
    def __init__(self, app, client, email="ada@example.com"):
        self.app, self.client = app, client
        with app.app_context():
            _, self.headers = make_api_user(email)

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
