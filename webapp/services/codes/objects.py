"""The code object of docs/api.md, as the API, the NDJSON stream and webhooks send it."""
from webapp.services.codes.content import code_scan_url, hostname_of
from webapp.services.codes.organise import tags_of
from webapp.services.codes.redirect_fields import redirect_dict


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def code_to_dict(code, tags=None):
    """`tags`: the code's tag names when the caller loaded a page's at once (`tags_of`);
    None reads this code's."""
    data = {"id": code.id, "kind": code.kind, "slug": code.slug, "title": code.title}
    if code.kind == "dynamic":
        data["target_url"] = code.target_url
        data.update(scan_url=code_scan_url(code), **redirect_dict(code))
    else:
        data["content_type"] = code.content_type
        data["content"] = code.content
        if code.content_fields:
            data["content_fields"] = code.content_fields
    data.update(domain=hostname_of(code), style=code.style, active=code.active, expires_at=_iso(code.expires_at),
                scannable=code.scannable, scan_count=code.scan_count,
                tags=tags_of([code.id])[code.id] if tags is None else tags, folder=code.folder,
                created_at=_iso(code.created_at), updated_at=_iso(code.updated_at))
    return data
