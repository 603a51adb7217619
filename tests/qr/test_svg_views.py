"""A logo code's SVG views drawn by the drawing process are the pictures resvg draws here,
and the gate still judges every view when that process dies, or in a forked child; the
process ends with its owner."""
import logging
import os
import signal
import subprocess
import sys

import pytest
from PIL import ImageChops

from tests.support.processes import wait_for
from tests.support.qrcodes import logo_image
from webapp.qr import build, parse_style, svg_views
from webapp.qr.scannability import views
from webapp.qr.svg import write_svg

URL = "http://127.0.0.1:5000/s/svgviews"


@pytest.fixture(autouse=True)
def own_drawing_process():
    """Each test starts without a drawing process and leaves none behind."""
    svg_views._after_fork_in_child()
    yield
    executor = svg_views._pool["executor"]
    svg_views._after_fork_in_child()
    if executor is not None:
        executor.shutdown(wait=True, cancel_futures=True)


@pytest.fixture
def drawing():
    return build(URL, parse_style({"logo": "x", "logo_size": 0.2, "module_shape": "dots"}),
                 logo_image("coffee.png"))


def svg_pictures(drawing, elsewhere):
    return [(name, image) for name, _, image in views(drawing, elsewhere=elsewhere)
            if "SVG" in name]


def drawing_pid():
    executor = svg_views._pool["executor"]
    return next(iter(executor._processes)) if executor is not None and executor._processes else None


def test_the_svg_views_drawn_elsewhere_are_the_pictures_drawn_here(drawing, caplog):
    here = svg_pictures(drawing, False)
    with caplog.at_level(logging.WARNING, logger=svg_views.__name__):
        there = svg_pictures(drawing, True)
    assert caplog.text == ""  # none was drawn here after a failure there
    assert [name for name, _ in here] == [name for name, _ in there] and len(here) == 10
    for (_, mine), (_, theirs) in zip(here, there):
        assert mine.size == theirs.size and ImageChops.difference(mine, theirs).getbbox() is None
    assert drawing_pid() not in (None, os.getpid())  # they were drawn by another process


def test_a_killed_drawing_process_costs_no_view_and_is_started_again(drawing, caplog,
                                                                     monkeypatch):
    expected = svg_pictures(drawing, False)
    svg_pictures(drawing, True)
    first = drawing_pid()
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{first}") or _zombie(first), timeout=10,
             message="the drawing process to die")
    with caplog.at_level(logging.WARNING, logger=svg_views.__name__):
        again = svg_pictures(drawing, True)
    assert "drawing here" in caplog.text
    for (_, mine), (_, theirs) in zip(expected, again):
        assert ImageChops.difference(mine, theirs).getbbox() is None
    assert svg_views._pool["executor"] is None  # it is not restarted at once ...
    monkeypatch.setattr(svg_views, "RETRY_AFTER", 0)
    svg_pictures(drawing, True)  # ... but after RETRY_AFTER
    assert drawing_pid() not in (None, first)


def _zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"
    except FileNotFoundError:  # reaped meanwhile
        return True


# Starts a drawing process, says its pid, and waits to be killed.
OWNER = """
import pathlib, sys
from webapp.qr import svg_views
svg = pathlib.Path(sys.argv[1]).read_text()
assert svg_views.picture(svg_views.start_drawing(svg), svg)
print(next(iter(svg_views._pool["executor"]._processes)), flush=True)
sys.stdin.readline()
"""


def test_the_drawing_process_ends_when_its_owner_is_killed(drawing, tmp_path):
    (tmp_path / "code.svg").write_text(write_svg(drawing, 3))
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(tmp_path / "code.svg")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        helper = int(owner.stdout.readline())
        assert not _zombie(helper)
    finally:
        owner.kill()
        owner.wait()
    wait_for(lambda: not os.path.exists(f"/proc/{helper}") or _zombie(helper), timeout=10,
             message="the drawing process to end with its owner")


def test_a_forked_child_starts_its_own_drawing_process(drawing):
    svg = write_svg(drawing, 4)
    expected = svg_views.draw(svg)
    svg_views.picture(svg_views.start_drawing(svg), svg)  # the parent's process is running
    parent = drawing_pid()
    pid = os.fork()
    if pid == 0:  # the child: its parent's executor has no threads or pipes here
        signal.alarm(30)
        code = 1
        try:
            future = svg_views.start_drawing(svg)
            mine = drawing_pid()
            code = 0 if future is not None and future.result(20) == expected and mine != parent else 2
            svg_views._pool["executor"].shutdown(wait=True)
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert drawing_pid() == parent  # the parent's is untouched
