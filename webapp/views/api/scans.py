"""`GET /api/qr-codes/<id>/scans`: a code's scan summary over a UTC range."""
from typing import Optional

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from webapp.services.analytics import reports
from webapp.views.api import schema
from webapp.views.api.blueprint import bp
from webapp.web.access import needs


class ScansQuery(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    from_: Optional[str] = Field(None, alias="from", max_length=40,
                                 description="Start: a date (whole UTC day) or an ISO 8601 time. "
                                             "Default: 30 days before `to`.")
    to: Optional[str] = Field(None, max_length=40,
                              description="End: a date (that day included) or an ISO 8601 time "
                                          "(excluded). Default: the end of today, UTC.")


class Count(BaseModel):
    name: str
    scans: int


class Day(BaseModel):
    date: str
    scans: int
    unique: int
    bots: int


class TargetCount(BaseModel):
    name: str = Field(description='"rule:N", "split:N", "default" or "expired"')
    target_url: Optional[str] = Field(description="the code's target for it now")
    scans: int
    unique: int


class ScanSummary(BaseModel):
    code_id: str
    from_: str = Field(alias="from")
    to: str
    total: int = Field(description="Scans by people (bots excluded)")
    unique: int = Field(description="Unique visitors, counted per UTC day and summed")
    bots: int
    by_day: list[Day]
    devices: list[Count]
    os: list[Count]
    browsers: list[Count]
    referrers: list[Count]
    countries: list[Count]
    by_target: list[TargetCount] = Field(description="which rule or split variant served the scans")


@bp.get("/qr-codes/<code_id>/scans")
@needs("viewer")
@schema.operation("GET", "/api/qr-codes/{code_id}/scans", "A code's scans: totals, uniques, bots, "
                  "by day, devices, OS, browsers, referrers, countries, by target", query=ScansQuery,
                  response=ScanSummary, tag="analytics")
def code_scans(code_id):
    code = reports.code_for_owner(g.actor.workspace_id, code_id)
    query = schema.parse_query(ScansQuery)
    start, end = reports.parse_range(query.from_, query.to)
    return jsonify(reports.scan_summary(code, start, end))
