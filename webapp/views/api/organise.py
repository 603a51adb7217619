"""Organising codes in the API: tags and folders with their counts, duplicate, batch actions."""
from typing import Literal

from flask import g, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from webapp.extensions import db
from webapp.services.codes import batch, organise
from webapp.services.codes.objects import code_to_dict
from webapp.views.api.blueprint import bp
from webapp.views.api.schema import operation, parse_body
from webapp.web.access import needs


@bp.get("/tags")
@needs("viewer")
@operation("GET", "/api/tags", "The workspace's tags with their code counts", tag="qr-codes")
def list_tags():
    return jsonify(items=organise.tag_counts(g.actor.workspace_id))


@bp.get("/folders")
@needs("viewer")
@operation("GET", "/api/folders", "The workspace's folders with their code counts", tag="qr-codes")
def list_folders():
    return jsonify(items=organise.folder_counts(g.actor.workspace_id))


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(description=f"the codes to act on ({batch.MAX_BATCH:,} at most)")
    action: Literal["pause", "resume", "delete", "tag", "untag", "move"]
    tags: list[str] | None = Field(None, description="tag and untag: the tag names")
    folder: str | None = Field(None, description="move: the folder, or null for none")


class DuplicateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, description="the copy's title; default: the original's and “(copy)”")


@bp.post("/qr-codes/<code_id>/duplicate")
@needs("editor")
@operation("POST", "/api/qr-codes/{code_id}/duplicate", "A copy of a code with a new slug (the body "
           "is optional)", body=DuplicateRequest, status=201, tag="qr-codes")
def duplicate_code(code_id):
    body = parse_body(DuplicateRequest) if request.content_length else DuplicateRequest()
    code = batch.duplicate_code(g.actor, code_id, body.title)
    db.session.commit()
    return jsonify(code_to_dict(code)), 201


@bp.post("/qr-codes/batch")
@needs("editor")
@operation("POST", "/api/qr-codes/batch", "Pause, resume, delete, tag, untag or move many codes: "
           "the counts of changed, unchanged and not found", body=BatchRequest, tag="qr-codes")
def batch_codes():
    body = parse_body(BatchRequest)
    counts = batch.run_batch(g.actor, body.ids, body.action, body.tags, body.folder)
    db.session.commit()
    return jsonify(counts)
