"""A real S3-compatible server on 127.0.0.1: moto's server mode, in a process of its own.

Tests talk to it over HTTP with the same boto3 client production uses; nothing
patches the client. Each test gets a bucket of its own (`new_bucket`), so one
server serves the whole session.
"""
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

from tests.support.servers import free_port
from webapp.infra.storage import storage_for

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "scanlink-test", "aws_secret_access_key": "scanlink-test"}


class MotoServer:
    def __init__(self, log_path):
        self.port = free_port()
        self.log_path = Path(log_path)
        self.proc = None
        self._client = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited: {self.log_path.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not listen on {self.port} within 30 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def client(self):
        """A plain boto3 client, to look at the bucket from outside the storage."""
        if self._client is None:
            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.url, region_name=REGION, **CREDENTIALS,
                config=Config(retries={"mode": "standard", "total_max_attempts": 1}))
        return self._client

    def new_bucket(self):
        name = f"scanlink-{uuid.uuid4().hex[:16]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket, prefix="files"):
        """App settings that put storage in `bucket` under `prefix`."""
        return {"STORAGE_URL": f"s3://{bucket}/{prefix}", "S3_ENDPOINT_URL": self.url,
                "AWS_REGION": REGION, "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
                "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"]}

    def storage(self, bucket, prefix="files", **options):
        """An S3Storage on `bucket`, made from settings as the app makes it."""
        return storage_for({"STORAGE_DIR": "", **self.settings(bucket, prefix), **options})
