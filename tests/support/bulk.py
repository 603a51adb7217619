"""Helpers for bulk tests: CSV files to upload, and reading what the job made."""
import csv
import io
import zipfile

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import QrCode
from webapp.services.csvfiles import writer

HEADER = "target_url,kind,title"


def dynamic_rows(count, start=0, title="Product {n}"):
    return [f"https://shop.example.com/p/{n},dynamic,{title.format(n=n)}"
            for n in range(start, start + count)]


def csv_file(lines, header=HEADER, encoding="utf-8", bom=False):
    text = "\n".join([header, *lines]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def upload(client, data, headers=None, path="/api/bulk/qr-codes", filename="codes.csv", **form):
    fields = {"file": (io.BytesIO(data), filename), **form}
    return client.post(path, data=fields, headers=headers or {}, content_type="multipart/form-data")


def read_csv(data):
    text = data.decode("utf-8")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def result_files(client, job):
    """{name: bytes} of the job's result files (and `errors` when rows were refused)."""
    files = {entry["name"]: client.get(entry["url"]).get_data() for entry in job["result"]["files"]}
    if job["errors"]["url"]:
        files["errors"] = client.get(job["errors"]["url"]).get_data()
    return files


def zip_entries(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def code_count(app, **where):
    with app.app_context():
        query = select(func.count()).select_from(QrCode)
        for name, value in where.items():
            query = query.where(getattr(QrCode, name) == value)
        count = db.session.scalar(query)
        db.session.remove()
    return count


def titles_made_more_than_once(app, workspace_id):
    with app.app_context():
        rows = db.session.execute(
            select(QrCode.title, func.count()).where(QrCode.workspace_id == workspace_id)
            .group_by(QrCode.title).having(func.count() > 1)).all()
        db.session.remove()
    return rows


assert writer.BOM == b"\xef\xbb\xbf"
