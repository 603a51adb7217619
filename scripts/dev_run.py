"""`make run`'s processes: Procfile.dev under honcho, ended by Ctrl-C with status 0.

honcho answers Ctrl-C by stopping every process and exiting 130, which make
would report as "*** Error 130". An interrupt is how a local run ends, so here
it is a success; any other ending keeps honcho's status (a process that failed
to start, say). Extra arguments go to `honcho start` (the process names).
"""
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTERRUPTED = (128 + signal.SIGINT, 128 + signal.SIGTERM)


def main(argv):
    honcho = Path(sys.executable).with_name("honcho")
    process = subprocess.Popen([str(honcho) if honcho.exists() else "honcho", "start",
                                "-f", str(ROOT / "Procfile.dev"), *argv], cwd=ROOT)
    signalled = []

    def forward(signum, frame):
        # From a terminal honcho has the signal already (same process group); from `kill`
        # it has not. Twice is harmless: honcho stops its processes once.
        signalled.append(signum)
        if process.poll() is None:
            os.kill(process.pid, signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    status = process.wait()
    return 0 if signalled and status in INTERRUPTED else status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
