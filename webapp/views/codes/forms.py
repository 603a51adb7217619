"""The editor's form fields ↔ the plain values the qrcodes service takes.

The editor is one HTML form with many optional parts; WTForms would add little
over reading it here, and the service validates everything anyway.
"""
import re

from webapp.qr.payloads import FIELDS
from webapp.services.codes.organise import tags_of
from webapp.services.codes.slugs import ALPHABET, RANDOM_LENGTH

STYLE_DEFAULTS = {"dark": "#000000", "light": "#ffffff", "module_shape": "square",
                  "finder_shape": "square", "error_correction": "M", "quiet_zone": 4}

DRAFT_SLUG = re.compile(f"[{ALPHABET}]{{{RANDOM_LENGTH}}}")


def _checked(form, name):
    return form.get(name) in (True, "on", "1", "true", "yes")


def style_from_form(form):
    style = {
        "dark": form.get("dark", "#000000"),
        "light": form.get("light", "#ffffff"),
        "transparent": _checked(form, "transparent"),
        "module_shape": form.get("module_shape", "square"),
        "finder_shape": form.get("finder_shape", "square"),
        "error_correction": form.get("error_correction", "M"),
        "quiet_zone": _int(form.get("quiet_zone"), 4),
    }
    if _checked(form, "own_finder_colours"):
        style["finder_color"] = form.get("finder_color") or None
        style["finder_dot_color"] = form.get("finder_dot_color") or None
    if _checked(form, "own_alignment_colour"):
        style["alignment_color"] = form.get("alignment_color") or None
    if form.get("gradient") in ("linear", "radial"):
        style["gradient"] = {"type": form["gradient"], "start": form.get("gradient_start", "#000000"),
                             "end": form.get("gradient_end", "#1d6fdc"),
                             "rotation": _int(form.get("gradient_rotation"), 0)}
    if form.get("logo"):
        style["logo"] = form["logo"]
        size = _int(form.get("logo_size"), 20)
        style["logo_size"] = size / 100 if isinstance(size, int) else size
    if _checked(form, "frame"):
        style["frame"] = {"text": form.get("frame_text", ""), "color": form.get("frame_color", "#000000"),
                          "text_color": form.get("frame_text_color", "#ffffff")}
    return style


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return value if value not in (None, "") else default


def content_from_form(form):
    """(content_type, content) of a static code as the service takes them."""
    content_type = form.get("content_type", "url")
    if content_type in FIELDS:
        prefix = content_type + "-"
        return content_type, {name: form.get(prefix + name, "") for name in FIELDS[content_type]
                              if name != "hidden" or _checked(form, prefix + name)}
    return content_type, form.get("content", "")


def code_data_from_form(form, creating):
    data = {"title": form.get("title", ""), "style": style_from_form(form)}
    kind = form.get("kind", "dynamic") if creating else None
    if creating:
        data["kind"] = kind
        if form.get("slug", "").strip():
            data["slug"] = form["slug"]
        elif DRAFT_SLUG.fullmatch(form.get("draft_slug", "")):
            data["draft_slug"] = form["draft_slug"]  # the random slug the preview drew with
    if kind == "dynamic" or (not creating and "target_url" in form):
        data["target_url"] = form.get("target_url", "")
    if "domain" in form:  # the select is shown when the workspace has verified domains
        data["domain"] = form.get("domain") or None
    if kind == "static" or (not creating and "content_type" in form):
        data["content_type"], data["content"] = content_from_form(form)
    for field in ("tags", "folder"):  # tags: comma-separated, as in a CSV cell
        if field in form:
            data[field] = form[field]
    return data


def form_values(code=None, style=None):
    """What the editor's inputs show: a code's values, or the defaults for a new one."""
    values = {"kind": "dynamic", "content_type": "url", "title": "", "target_url": "", "slug": "",
              "content": "", "domain": "", "tags": "", "folder": ""}
    if code is not None:
        values.update(kind=code.kind, content_type=code.content_type or "url", title=code.title,
                      target_url=code.target_url or "", slug=code.slug, folder=code.folder or "",
                      tags=", ".join(tags_of([code.id])[code.id]),
                      domain=code.domain.hostname if code.domain is not None else "")
        if code.content_fields:
            for name, value in code.content_fields.items():
                values[f"{code.content_type}-{name}"] = value
        else:
            values["content"] = code.content or ""
    values.update(style_values(style if style is not None else (code.style if code else {})))
    return values


def style_values(style):
    style = dict(STYLE_DEFAULTS, **(style or {}))
    values = {k: style.get(k) for k in ("dark", "light", "transparent", "module_shape", "finder_shape",
                                        "error_correction", "quiet_zone", "logo")}
    values["own_finder_colours"] = bool(style.get("finder_color") or style.get("finder_dot_color"))
    values["finder_color"] = style.get("finder_color") or style["dark"]
    values["finder_dot_color"] = style.get("finder_dot_color") or values["finder_color"]
    values["own_alignment_colour"] = bool(style.get("alignment_color"))
    values["alignment_color"] = style.get("alignment_color") or style["dark"]
    gradient = style.get("gradient") or {}
    values.update(gradient=gradient.get("type", ""), gradient_start=gradient.get("start", style["dark"]),
                  gradient_end=gradient.get("end", "#1d6fdc"), gradient_rotation=gradient.get("rotation", 0))
    values["logo_size"] = round((style.get("logo_size") or 0.2) * 100)
    frame = style.get("frame") or {}
    values.update(frame=bool(frame), frame_text=frame.get("text", "Scan me"),
                  frame_color=frame.get("color", "#000000"), frame_text_color=frame.get("text_color", "#ffffff"))
    return values


def merge_form(values, form):
    """The editor as the user left it (after a refused save): their input wins over stored values."""
    merged = dict(values)
    for key in form:
        merged[key] = form.get(key)
    for box in ("transparent", "own_finder_colours", "own_alignment_colour", "frame"):
        merged[box] = _checked(form, box)
    return merged
