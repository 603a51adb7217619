"""The layout holds: modules import in any order, no import hides in a function, modules
stay small. (The layering itself is `lint-imports`' job; see .importlinter.)"""
import ast
import random
import subprocess
import sys
from pathlib import Path

import pytest
from werkzeug.utils import import_string

from webapp.services.jobs import periodic, queues
from webapp.services.webhooks import dispatch

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("webapp", "workers")
MAX_LINES = 300


def source_files():
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


IMPORT_EACH_FIRST = """
import ast, importlib, os, sys, traceback
names = sys.argv[1:]
# Third-party packages load once here; each module is then imported first in a fork.
def imported(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
for name in {name for path in sys.stdin.read().split() for node in ast.walk(ast.parse(open(path).read()))
             for name in imported(node) if name.split(".")[0] not in ("webapp", "workers")}:
    importlib.import_module(name)
failed = []
for name in names:
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1]:
        failed.append(name)
print(" ".join(failed))
sys.exit(1 if failed else 0)
"""


def run_python(code, names, stdin=""):
    return subprocess.run([sys.executable, "-c", code, *names], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_every_module_imports_first_and_in_any_order():
    """A cycle hidden by import order shows up as a partly built module in some order."""
    paths = source_files()
    names = [module_name(path) for path in paths]
    shuffled = random.Random(len(names)).sample(names, len(names))
    in_order = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    for order in (names, names[::-1], shuffled):
        result = run_python(in_order, order)
        assert result.returncode == 0, result.stderr
    result = run_python(IMPORT_EACH_FIRST, names, stdin="\n".join(map(str, paths)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_import_hides_inside_a_function():
    """Imports belong at the top of a module, where a cycle cannot hide behind one."""
    found = []
    for path in source_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{path.relative_to(ROOT)}:{inner.lineno} in {node.name}()"
                          for inner in ast.walk(node)
                          if isinstance(inner, (ast.Import, ast.ImportFrom))]
    assert found == []


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_over_300_lines(package):
    long = {str(path.relative_to(ROOT)): lines for path in (ROOT / package).rglob("*.py")
            if (lines := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_every_dotted_path_the_app_names_resolves():
    """Job types, periodic tasks and the webhook drain are named by strings (RQ stores them
    in Redis), which no import checks: a module moved without them would fail at run time."""
    names = [spec.func for spec in queues.JOB_TYPES.values()]
    names += [task.func for task in periodic.PERIODIC.values()]
    names.append(dispatch.DRAIN_JOB)
    assert [name for name in names if not callable(import_string(name, silent=True))] == []
