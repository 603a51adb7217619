"""The documentation stays true to the repository: README.md and docs/*.md.

- every relative link resolves to a file in the repository, and a `#anchor` into a
  markdown file names one of its headings (GitHub's slugs);
- no document points outside the repository (a workplace's shared folder, an absolute
  path on one machine);
- every setting webapp/config.py reads from the environment is in
  docs/configuration.md, every setting listed there is read somewhere, and the
  defaults listed there are the code's.

No app, database or Redis: plain files and `Config()`.
"""
import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CONFIGURATION = ROOT / "docs" / "configuration.md"

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`]*`")
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # https:, mailto:, …
# Paths that exist only on some machine, never in a clone of the repository.
OUTSIDE = re.compile(r"\.\./shared|/work/|(?<![\w.])/(?:home|tmp|root|Users)/")


def prose(text):
    """The text without code blocks and inline code, where link syntax means nothing."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(text):
    body = prose(text)
    return INLINE_LINK.findall(body) + REFERENCE_LINK.findall(body)


def slug(heading):
    """GitHub's anchor for a heading: the rendered text, lower case, punctuation dropped,
    spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    """Every heading's anchor in a markdown file; repeats get -1, -2, … as on GitHub."""
    seen, found = {}, set()
    for _, heading in HEADING.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(doc):
    """(link, why) for each relative link of `doc` that does not resolve in the repository."""
    problems = []
    for target in links(doc.read_text(encoding="utf-8")):
        if EXTERNAL.match(target):
            continue
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if path_part.startswith("/"):
            problems.append((target, "an absolute path"))
            continue
        try:
            path.relative_to(ROOT)
        except ValueError:
            problems.append((target, "outside the repository"))
            continue
        if not path.exists():
            problems.append((target, "no such file"))
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            problems.append((target, f"no heading #{anchor} in {path.relative_to(ROOT)}"))
    return problems


def test_the_documents_are_there():
    names = {doc.name for doc in DOCS}
    assert {"README.md", "architecture.md", "configuration.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_every_relative_link_resolves(doc):
    assert broken_links(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: str(doc.relative_to(ROOT)))
def test_no_document_points_outside_the_repository(doc):
    found = [line.strip() for line in doc.read_text(encoding="utf-8").splitlines()
             if OUTSIDE.search(line)]
    assert found == []


def test_the_link_check_catches_what_it_should(tmp_path, monkeypatch):
    """The checks above would fail on a broken link, a missing heading or an outside path."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "here.md").write_text("# A heading, with `code`\n\n## Twice\n## Twice\n")
    doc = tmp_path / "README.md"
    doc.write_text(
        "[ok](docs/here.md) [ok](docs/here.md#a-heading-with-code) [ok](docs/here.md#twice-1)\n"
        "[ok](#top) [ok](https://example.com/x) `[not a link](nowhere.md)`\n"
        "[gone](docs/missing.md) [bad](docs/here.md#nope) [out](../shared/API.md)\n"
        "# Top\n")
    assert [target for target, _ in broken_links(doc)] == [
        "docs/missing.md", "docs/here.md#nope", "../shared/API.md"]
    assert OUTSIDE.search("see ../shared/DESIGN.md") and OUTSIDE.search("/work/shared/x")
    assert not OUTSIDE.search("webapp/services/scans/writes.py")


# --- settings -------------------------------------------------------------------------

READERS = {"env_bool", "env_int", "env_float", "env_seconds_list"}


def environment_reads(path):
    """Names `path` reads from the environment: env_*("NAME", …), os.environ.get("NAME"),
    os.environ["NAME"], os.getenv("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            if (isinstance(func, ast.Name) and func.id in READERS) or (
                    isinstance(func, ast.Attribute)
                    and ast.unparse(func) in ("os.environ.get", "os.getenv")):
                names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ" \
                and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def table_rows(path):
    """{setting name: default cell} of every table row whose first cell names settings."""
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.lstrip().startswith("|") or len(cells) < 3:
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
            rows[name] = cells[1]
    return rows


def test_every_setting_of_config_py_is_documented():
    read = environment_reads(ROOT / "webapp" / "config.py")
    assert {"SECRET_KEY", "DATABASE_URL", "WEBHOOK_RETRY_SCHEDULE"} <= read  # the parser works
    assert sorted(read - set(table_rows(CONFIGURATION))) == []


def test_every_documented_setting_is_read_somewhere():
    sources = [*ROOT.glob("webapp/**/*.py"), *ROOT.glob("workers/*.py"), *ROOT.glob("scripts/*.py"),
               *ROOT.glob("bench/*.py"), *ROOT.glob("tests/**/*.py"), ROOT / "gunicorn.conf.py",
               ROOT / "Procfile", ROOT / "Procfile.dev", ROOT / "Makefile"]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources
                     if path.name != "test_docs.py")
    missing = [name for name in table_rows(CONFIGURATION) if not re.search(rf"\b{name}\b", text)]
    assert missing == []


# The Config attribute of a setting, where the environment variable has another name.
ATTRIBUTE = {"MAX_UPLOAD_BYTES": "MAX_CONTENT_LENGTH", "DATABASE_URL": "SQLALCHEMY_DATABASE_URI"}


def documented_default(cell):
    """The default a cell states, as a value to compare: the first `…` in it, or None when
    the cell states none (unset, required, empty, off)."""
    found = re.match(r"\s*`([^`]*)`", cell)
    if not found:
        return None
    value = found.group(1)
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if re.fullmatch(r"[\d.]+(,[\d.]+)+", value):
        return tuple(float(part) for part in value.split(","))
    return value


def test_documented_defaults_are_the_codes(monkeypatch):
    from webapp.config import INSTANCE, Config

    documented = table_rows(CONFIGURATION)
    read = environment_reads(ROOT / "webapp" / "config.py")
    for name in read:
        monkeypatch.delenv(name, raising=False)
    config = Config()
    checked, wrong = 0, []
    for name in sorted(read):
        expected = documented_default(documented.get(name, ""))
        attribute = ATTRIBUTE.get(name, name)
        if expected is None or not hasattr(config, attribute):
            continue
        actual = getattr(config, attribute)
        if isinstance(expected, float):
            actual = float(actual)
        elif isinstance(expected, tuple):
            actual = tuple(float(part) for part in actual)
        else:  # paths are documented relative to the checkout
            actual = str(actual).replace(str(INSTANCE), "instance")
        checked += 1
        if actual != expected:
            wrong.append((name, expected, actual))
    assert checked > 50  # most settings state a default the code can be held to
    assert wrong == []


# --- paths ----------------------------------------------------------------------------

PATH_TOKEN = re.compile(r"`([a-z_.][\w.-]*/(?:[\w.-]+/)*[\w.-]*|[\w-]+\.(?:py|md|lua|cjs|toml|ini|txt))`")
# Made at run time or by `make`, never committed; and what only looks like a path.
GENERATED = ("instance/", "static/vendor/", "bench/node_modules", "node_modules/", ".venv/")
NOT_PATHS = ("application/", "text/", "image/")


def repository_paths():
    skip = {".git", ".venv", "node_modules", "__pycache__", "instance", "vendor"}
    paths = set()
    for path in ROOT.rglob("*"):
        if skip.isdisjoint(path.relative_to(ROOT).parts):
            paths.add(path.relative_to(ROOT).as_posix() + ("/" if path.is_dir() else ""))
    return paths


def test_every_path_named_in_the_docs_exists():
    """A file or folder named in code style (`webapp/services/scans/writes.py`, or
    `scans/writes.py` where the text says which package) is in the repository."""
    paths = repository_paths()
    missing = []
    for doc in DOCS:
        for token in PATH_TOKEN.findall(FENCE.sub("", doc.read_text(encoding="utf-8"))):
            if token.startswith(GENERATED + NOT_PATHS) or "<" in token:
                continue
            if not any(path == token or path.endswith("/" + token) for path in paths):
                missing.append((doc.name, token))
    assert missing == []
