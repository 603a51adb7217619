"""A heartbeat thread: proof that the process holding a job (or a chunk of one) still lives.

The reaper takes over a job row, and other participants a chunk, whose beat has
stopped for JOB_STALE_AFTER: the holder's process died. Each beat runs on a
connection of its own, so it never waits for (or commits) the work in hand.
"""
import logging
import threading

from webapp.extensions import db

log = logging.getLogger(__name__)


class Beat(threading.Thread):
    """Calls `beat(connection)` in a transaction of its own every JOB_HEARTBEAT_INTERVAL
    (or, looking every `every` seconds, whenever `due()`), until stopped or until `beat`
    returns False."""

    def __init__(self, app, name, beat, every=None):
        super().__init__(name=name, daemon=True)
        self.app, self.beat = app, beat
        self.interval = app.config["JOB_HEARTBEAT_INTERVAL"]
        self.every = every or self.interval
        self.stopping = threading.Event()

    def due(self):
        return True

    def run(self):
        with self.app.app_context():
            engine = db.engine
        while not self.stopping.wait(self.every):
            if not self.due():
                continue
            try:
                with engine.begin() as connection:
                    going = self.beat(connection)
            except Exception:  # a busy database: the next beat tries again
                log.warning("%s failed; the next beat tries again", self.name, exc_info=True)
                continue
            if going is False:
                return

    def stop(self):
        self.stopping.set()
        self.join(timeout=max(5.0, self.interval))
