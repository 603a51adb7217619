"""/api/audit-log: the workspace's changes, newest first, a keyset page at a time."""
from typing import Any, Literal

from flask import g, jsonify
from pydantic import BaseModel, ConfigDict, Field

from webapp.services import audit
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_query
from webapp.web.access import needs


class AuditLogQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = Field(audit.DEFAULT_PAGE, ge=1, le=audit.MAX_PAGE)
    cursor: str | None = Field(None, max_length=20, description="next_cursor of the page before")


class AuditEntryOut(BaseModel):
    id: str
    at: str
    actor: str | None = Field(description="the member's e-mail address when it happened")
    via: Literal["browser", "api", "job", "cli"]
    action: str = Field(description='"<object>.<what happened>", e.g. "code.updated"')
    object_type: str
    object_id: str
    changes: dict[str, Any] = Field(description="{field: [before, after]}; other values are facts "
                                                "(a bulk job's counts, a rotated secret)")


class AuditLogPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


@bp.get("/audit-log")
@needs(audit.READ_ROLE)
@operation("GET", "/api/audit-log", "The workspace's changes, newest first (admins)",
           query=AuditLogQuery, response=AuditLogPage, tag="audit-log")
def audit_log():
    query = parse_query(AuditLogQuery)
    entries, next_cursor = audit.page(g.actor, query.cursor, query.limit)
    return jsonify(items=[audit.to_dict(entry) for entry in entries], next_cursor=next_cursor)
