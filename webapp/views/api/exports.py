"""Exports in the API: start one; the file is downloaded from the jobs page."""
from typing import Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict

from webapp.services.exports import export_jobs
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body
from webapp.web.access import needs


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: Literal["codes", "scans", "images"]
    format: str | None = None


class JobAccepted(BaseModel):
    job_id: str


@bp.post("/exports")
@needs("editor")
@operation("POST", "/api/exports", "Start an export; follow it at /api/jobs/{job_id}",
           body=ExportRequest, response=JobAccepted, status=202, tag="jobs")
def start_export():
    body = parse_body(ExportRequest)
    row = export_jobs.start_export(g.actor, body.what, body.format)
    return jsonify(job_id=row.id), 202
