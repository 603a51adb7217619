"""Pieces for the benchmarks: gunicorn as the Procfile starts it, wrk, CPU accounting."""
import http.client
import json
import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, timeout=30):
    """Until the server answers anything (redirects are not followed: nothing leaves the machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("HEAD", path)
            conn.getresponse()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {port} did not answer within {timeout}s")


def procfile_web_command():
    """The Procfile's web line, bound to 127.0.0.1 instead of every interface."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.split(":", 1)[1].strip().replace("0.0.0.0", "127.0.0.1")
    raise SystemExit("Procfile has no web line")


class Gunicorn:
    """`app_path` served by the Procfile's web command on `port`; stopped on exit."""

    def __init__(self, app_path, env, cwd, log, port):
        self.command = procfile_web_command().replace("wsgi:app", app_path)
        self.env = dict(env, PORT=str(port))
        self.cwd, self.log, self.port = cwd, log, port

    def __enter__(self):
        self.proc = subprocess.Popen(["bash", "-c", "exec " + self.command], env=self.env,
                                     cwd=self.cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        wait_http(self.port, "/s/warm-up")
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def pids(self):
        return descendants(self.proc.pid)


def cpu_seconds(pid):
    """user + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid):
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def run_wrk(url, script, script_args, seconds, connections, threads, meters=None):
    """One wrk run; returns its WRK_JSON result with req/s and CPU µs per request by part.

    `meters`: name → callable returning the pids whose CPU to count. The machine is
    shared, so req/s swings with other load; CPU per request does not, and on two
    cores it is what decides throughput.
    """
    meters = meters or {}
    pids = {name: find() for name, find in meters.items()}
    before = {name: sum(cpu_seconds(p) for p in group) for name, group in pids.items()}
    proc = subprocess.Popen(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s",
         "-s", str(script), url, "--", *map(str, script_args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.stdout.read(), proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    used = {name: sum(cpu_seconds(p) for p in group) - before[name] for name, group in pids.items()}
    used["wrk"] = usage.ru_utime + usage.ru_stime
    for line in out.splitlines():
        if line.startswith("WRK_JSON "):
            result = json.loads(line[len("WRK_JSON "):])
            result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
            result["cpu_us"] = {name: seconds / max(result["requests"], 1) * 1e6
                                for name, seconds in used.items()}
            return result
    raise SystemExit(f"wrk printed no result (exit {proc.returncode}):\n{out}{err}")
