"""The code object of docs/api.md, as the API, the NDJSON stream and webhooks send it."""
from webapp.services.codes.content import scan_url
from webapp.services.codes.organise import tags_of


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def code_to_dict(code, tags=None):
    """`tags`: the code's tag names when the caller loaded a page's at once (`tags_of`);
    None reads this code's."""
    data = {"id": code.id, "kind": code.kind, "slug": code.slug, "title": code.title}
    if code.kind == "dynamic":
        data["target_url"] = code.target_url
        data["scan_url"] = scan_url(code.slug)
    else:
        data["content_type"] = code.content_type
        data["content"] = code.content
        if code.content_fields:
            data["content_fields"] = code.content_fields
    data.update(style=code.style, active=code.active, expires_at=_iso(code.expires_at),
                scannable=code.scannable, scan_count=code.scan_count,
                tags=tags_of([code.id])[code.id] if tags is None else tags, folder=code.folder,
                created_at=_iso(code.created_at), updated_at=_iso(code.updated_at))
    return data
