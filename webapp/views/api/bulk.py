"""Bulk create and update over the API: a multipart CSV in, 202 with the job to follow."""
from typing import Literal

from flask import g, jsonify, request, url_for
from pydantic import BaseModel, Field

from webapp.services.bulk import uploads
from webapp.views.api.blueprint import bp
from webapp.views.api.exports import JobAccepted
from webapp.views.api.schema import operation
from webapp.views.bulk.csv_upload import uploaded_csv
from webapp.web.access import needs

Encoding = Literal["utf-8", "windows-1252", "latin-1"]


class BulkCreateUpload(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"},
                        description="CSV with the columns target_url or content, kind, title, "
                                    "slug (optional), style (optional: the name of one of your "
                                    "style presets); up to 100,000 rows")
    format: Literal["svg", "png", "pdf", "eps"] = Field(
        "png", description="format of the images in the result ZIP")
    encoding: Encoding = Field("utf-8", description="how the file is encoded (a BOM means UTF-8)")


class BulkUpdateUpload(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"},
                        description="CSV with the column slug and one or more of target_url, "
                                    "title, active; an empty cell leaves that field as it is")
    encoding: Encoding = "utf-8"


def accepted(row):
    response = jsonify(job_id=row.id)
    response.status_code = 202
    response.headers["Location"] = url_for("api.get_job", job_id=row.id)
    return response


@bp.post("/bulk/qr-codes")
@needs("editor")
@operation("POST", "/api/bulk/qr-codes",
           "Create codes from a CSV in the background; follow the job at /api/jobs/{job_id}",
           body=BulkCreateUpload, content_type="multipart/form-data", response=JobAccepted,
           status=202, tag="jobs")
def bulk_create():
    row = uploads.start_bulk_create(g.actor, uploaded_csv(),
                                         request.form.get("encoding"), request.form.get("format"))
    return accepted(row)


@bp.post("/bulk/qr-codes/update")
@needs("editor")
@operation("POST", "/api/bulk/qr-codes/update",
           "Change codes from a CSV of slugs and new values, in the background",
           body=BulkUpdateUpload, content_type="multipart/form-data", response=JobAccepted,
           status=202, tag="jobs")
def bulk_update():
    row = uploads.start_bulk_update(g.actor, uploaded_csv(), request.form.get("encoding"))
    return accepted(row)
