"""Request validation and the OpenAPI document, from the same pydantic models.

A view declares its operation with `@operation(...)`; `parse_body`/`parse_query`
validate with the same models, so the document cannot drift from what is checked.
"""
import re

from flask import request
from pydantic import BaseModel, ValidationError

from webapp.services import ServiceError

OPERATIONS = []
REF = "#/components/schemas/{model}"


def _fields(exc):
    fields = {}
    for error in exc.errors():
        key = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(key, error["msg"])
    return fields


def validate(model, data):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceError("Some fields are not valid.", fields=_fields(exc), status=422, code="invalid")


def parse_body(model):
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ServiceError("Send a JSON object with Content-Type: application/json.",
                           status=400, code="bad_request")
    return validate(model, data)


def parse_query(model):
    return validate(model, request.args.to_dict())


def operation(method, path, summary, *, body=None, query=None, response=None, status=200,
              public=False, tag=None, content_type="application/json"):
    """Record an operation for /api/openapi.json. `path` is in OpenAPI form (`{id}`)."""
    def decorate(view):
        OPERATIONS.append(dict(method=method.lower(), path=path, summary=summary, body=body,
                               query=query, response=response, status=status, public=public,
                               tag=tag, content_type=content_type))
        return view
    return decorate


def _schema(model, components):
    schema = model.model_json_schema(ref_template=REF)
    for name, definition in schema.pop("$defs", {}).items():
        components[name] = definition
    components[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}


def openapi_document(title, version):
    components, paths = {}, {}
    error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"}, "fields": {"type": "object"}}}}}
    components["Error"] = error
    for op in OPERATIONS:
        entry = {"summary": op["summary"], "responses": {}}
        if op["tag"]:
            entry["tags"] = [op["tag"]]
        if not op["public"]:
            entry["security"] = [{"bearer": []}]
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _path_params(op["path"])]
        if op["query"] is not None:
            query = op["query"].model_json_schema()
            for name, prop in query.get("properties", {}).items():
                params.append({"name": name, "in": "query", "schema": prop,
                               "required": name in query.get("required", [])})
        if params:
            entry["parameters"] = params
        if op["body"] is not None:
            entry["requestBody"] = {"required": True, "content": {
                op["content_type"]: {"schema": _schema(op["body"], components)}}}
        ok = {"description": "OK"}
        if isinstance(op["response"], type) and issubclass(op["response"], BaseModel):
            ok["content"] = {"application/json": {"schema": _schema(op["response"], components)}}
        elif isinstance(op["response"], dict):
            ok["content"] = op["response"]
        entry["responses"][str(op["status"])] = ok
        entry["responses"]["4XX"] = {"description": "Refused", "content": {
            "application/json": {"schema": {"$ref": REF.format(model="Error")}}}}
        paths.setdefault(op["path"], {})[op["method"]] = entry
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _path_params(path):
    return re.findall(r"\{(\w+)\}", path)  # also `image.{fmt}`
