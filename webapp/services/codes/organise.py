"""Tags and folders: how a workspace organises many codes.

A folder is one name per code (or none); tags are many per code. Both are
plain names the workspace makes by using them: tagging a code "summer" makes
the tag, and a folder exists while a code is in it. Names are trimmed, inner
whitespace collapsed; a tag holds no comma (a CSV cell lists tags with commas).
"""
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import CodeTag, QrCode, Tag
from webapp.services.codes.content import invalid

MAX_TAG = 50
MAX_TAGS = 20  # per code
MAX_FOLDER = 100


def _name(value, field, limit):
    if not isinstance(value, str):
        raise invalid(field, f"A {field.rstrip('s')} is a name (text).")
    name = " ".join(value.split())
    if any(ord(ch) < 32 for ch in value if ch not in " \t\n\r"):
        raise invalid(field, f"A {field.rstrip('s')} holds no control characters.")
    if len(name) > limit:
        raise invalid(field, f"“{name[:20]}…” is too long ({len(name)} characters; {limit} at most).")
    return name


def check_folder(value):
    """The folder name, or None for no folder ("" or null)."""
    if value is None:
        return None
    return _name(value, "folder", MAX_FOLDER) or None


def check_tags(value):
    """Distinct tag names in the order given, from a list or a comma-separated text."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, (list, tuple)):
        raise invalid("tags", "Give tags as a list of names (or comma-separated text).")
    names = []
    for item in value:
        name = _name(item, "tags", MAX_TAG)
        if "," in name:
            raise invalid("tags", f"A tag holds no comma: “{name}”.")
        if name and name not in names:
            names.append(name)
    if len(names) > MAX_TAGS:
        raise invalid("tags", f"{len(names)} tags: a code carries {MAX_TAGS} at most.")
    return names


def by_name(names):
    """Names in one order on every database (collations differ): ignoring case, then by case."""
    return sorted(names, key=lambda name: (name.casefold(), name))


def tags_of(code_ids):
    """{code id: [tag names, by_name]} for these codes, in one query."""
    ids = list(code_ids)
    tags = {code_id: [] for code_id in ids}
    if ids:
        rows = db.session.execute(select(CodeTag.qr_code_id, Tag.name).join(Tag, Tag.id == CodeTag.tag_id)
                                  .where(CodeTag.qr_code_id.in_(ids)))
        for code_id, name in rows:
            tags[code_id].append(name)
    return {code_id: by_name(names) for code_id, names in tags.items()}


def tag_ids(workspace_id, names):
    """{name: id} for these tags of the workspace, making those it has not got yet."""
    found = dict(db.session.execute(select(Tag.name, Tag.id).where(
        Tag.workspace_id == workspace_id, Tag.name.in_(names))).all()) if names else {}
    for name in names:
        if name in found:
            continue
        try:
            with db.session.begin_nested():  # another request may make the same tag at once
                tag = Tag(workspace_id=workspace_id, name=name)
                db.session.add(tag)
            found[name] = tag.id
        except IntegrityError:
            found[name] = db.session.scalar(select(Tag.id).where(Tag.workspace_id == workspace_id,
                                                                 Tag.name == name))
    return found


def add_tags(workspace_id, codes, names):
    """Tags `codes` with `names`; the codes that gained a tag."""
    if not names or not codes:
        return []
    ids = tag_ids(workspace_id, names)
    have = set(db.session.execute(select(CodeTag.qr_code_id, CodeTag.tag_id).where(
        CodeTag.qr_code_id.in_([c.id for c in codes]), CodeTag.tag_id.in_(ids.values()))).all())
    changed = []
    for code in codes:
        new = [(code.id, tag_id) for tag_id in ids.values() if (code.id, tag_id) not in have]
        db.session.add_all(CodeTag(qr_code_id=code_id, tag_id=tag_id, code_created_at=code.created_at)
                           for code_id, tag_id in new)
        if new:
            changed.append(code)
    db.session.flush()
    return changed


def remove_tags(workspace_id, codes, names):
    """Takes `names` off `codes`; the codes that lost a tag. Unknown names change nothing."""
    if not names or not codes:
        return []
    ids = select(Tag.id).where(Tag.workspace_id == workspace_id, Tag.name.in_(names))
    by_id = {c.id: c for c in codes}
    had = set(db.session.scalars(select(CodeTag.qr_code_id).where(
        CodeTag.qr_code_id.in_(list(by_id)), CodeTag.tag_id.in_(ids))))
    if had:
        db.session.execute(delete(CodeTag).where(CodeTag.qr_code_id.in_(list(had)), CodeTag.tag_id.in_(ids)))
    return [by_id[code_id] for code_id in by_id if code_id in had]


def replace_tags(workspace_id, code, names):
    """Sets the code's tags to exactly `names`; (before, after) when they changed, else None."""
    before = tags_of([code.id])[code.id]
    after = by_name(names)
    if before == after:
        return None
    remove_tags(workspace_id, [code], [n for n in before if n not in names])
    add_tags(workspace_id, [code], [n for n in names if n not in before])
    return before, after


def tag_counts(workspace_id):
    """[{name, count}] of the workspace's tags, by name; a tag no code carries counts 0."""
    counts = dict(db.session.execute(
        select(Tag.name, func.count(CodeTag.qr_code_id)).outerjoin(CodeTag, CodeTag.tag_id == Tag.id)
        .where(Tag.workspace_id == workspace_id).group_by(Tag.id, Tag.name)).all())
    return [{"name": name, "count": counts[name]} for name in by_name(counts)]


def folder_counts(workspace_id):
    """[{name, count}] of the folders codes are in, by name (an index-only walk)."""
    counts = dict(db.session.execute(
        select(QrCode.folder, func.count()).where(QrCode.workspace_id == workspace_id,
                                                  QrCode.folder.is_not(None))
        .group_by(QrCode.folder)).all())
    return [{"name": name, "count": counts[name]} for name in by_name(counts)]
