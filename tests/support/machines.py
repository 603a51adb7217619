"""Machines for the multi-machine test: web and worker processes that share no disk path.

Each machine is a directory of its own with an empty working directory (`cwd`) and its
own temporary directory; the processes find the code through PYTHONPATH, as a deploy
finds it in its image. What they share is what the environment names: the database,
Redis and the bucket. `STORAGE_DIR` points into the machine's own working directory, so
a file written to local disk by mistake is one the test sees there (and the other
machines cannot read).
"""
import os
from contextlib import ExitStack
from urllib.parse import urljoin

import requests

from tests.support.faultproxy import FaultProxy
from tests.support.processes import WorkerProcess, descendants, gunicorn


class Machine:
    def __init__(self, root, name):
        self.name = name
        self.cwd = root / name / "work"
        self.tmp = root / name / "tmp"
        self.log_path = root / f"{name}.log"
        self.cwd.mkdir(parents=True)
        self.tmp.mkdir(parents=True)

    @property
    def env(self):
        return {"STORAGE_DIR": self.cwd / "storage", "TMPDIR": self.tmp}

    def files_on_disk(self):
        """Everything the machine's processes left in its working directory."""
        found = []
        for folder, _, names in os.walk(self.cwd):
            found += [os.path.relpath(os.path.join(folder, name), self.cwd) for name in names]
        return sorted(found)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Web(Machine):
    """The Procfile's web process on a machine of its own; `get`/`post` call its API."""

    def __init__(self, root, name, api_headers):
        super().__init__(root, name)
        self.api_headers = api_headers
        self.port = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, stack, app, **env):
        self.port = stack.enter_context(gunicorn(app, self.log_path, "--threads", "8",
                                                 cwd=self.cwd, **self.env, **env))
        return self

    def get(self, path, **options):
        return requests.get(urljoin(self.url, path), headers=self.api_headers, timeout=30, **options)

    def post(self, path, **options):
        return requests.post(urljoin(self.url, path), headers=self.api_headers, timeout=30,
                             **options)


class Worker(Machine):
    """`python -m workers` on a machine of its own, reaching the bucket through a fault proxy
    of its own (its network link, which the test may slow down)."""

    def __init__(self, root, name, s3_server):
        super().__init__(root, name)
        self.link = FaultProxy("127.0.0.1", s3_server.port).start()
        self.process = None

    def start(self, app, **env):
        self.process = WorkerProcess(app, self.log_path, cwd=self.cwd, **self.env, **env,
                                     S3_ENDPOINT_URL=f"http://127.0.0.1:{self.link.port}")
        self.process.start()
        return self

    def runs(self, claimed_by):
        """Whether the work horse named in a job row's `claimed_by` (host:pid) is this worker's."""
        pid = int(claimed_by.rsplit(":", 1)[1])
        return self.process.proc.poll() is None and pid in descendants(self.process.proc.pid)

    def stop(self):
        if self.process:
            self.process.stop()
        self.link.stop()


def start_machines(stack: ExitStack, tmp_path, app, s3_server, api_headers, **env):
    """(web A, web B, [worker 1, worker 2]), all running; stopped when `stack` closes."""
    workers = [Worker(tmp_path, f"worker-{n}", s3_server) for n in (1, 2)]
    for worker in workers:
        stack.callback(worker.stop)
        worker.start(app, **env)
    webs = [Web(tmp_path, name, api_headers).start(stack, app, **env) for name in ("web-a", "web-b")]
    return webs[0], webs[1], workers


def bucket_keys(s3_server, bucket, prefix=""):
    pages = s3_server.client().get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                         Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def unfinished_uploads(s3_server, bucket):
    """The multipart uploads begun and neither completed nor aborted: (key, upload id)."""
    uploads = s3_server.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    return [(upload["Key"], upload["UploadId"]) for upload in uploads]
