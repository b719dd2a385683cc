"""A real Celery worker process on a real Redis, against the test database, for task tests.

`WorkerProcess` runs on the shared test Redis (`TEST_REDIS_URL`) unless given a `broker_url`,
such as that of a `RedisServer` of the test's own (a private redis-server that a test may stop
and start again)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import redis
from celery import Celery
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent


def test_redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class WorkerProcess:
    """Starts `celery -A config worker` in a subprocess and stops it; its log is kept for asserts.

    `broker_url` replaces the shared test Redis; `env` adds variables to the worker's
    environment (e.g. `NOTIFICATIONS_SEND_DELAY`). The worker leads its own process group, so
    `kill()` takes its pool processes down with it, as a crashed machine would."""

    def __init__(
        self,
        log_path: Path,
        *extra_args: str,
        broker_url: str | None = None,
        env: dict[str, str] | None = None,
    ):
        self.log_path = log_path
        self.extra_args = extra_args
        self.broker_url = broker_url
        self.extra_env = env or {}
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 90) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": self.broker_url or test_redis_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            **self.extra_env,
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        # Only what this start writes counts: the log may hold an earlier worker's "ready.".
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                *self.extra_args,
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if b"ready." in self.log_path.read_bytes()[offset:]:
                return self
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited early:\n{self.log_path.read_text()}")
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: nothing gets to clean up."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if not self.log.closed:
            self.log.close()

    def pool_processes(self) -> list[int]:
        """The pids of the worker's pool processes (its children), which run the tasks."""
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def producer(broker_url: str | None = None) -> Celery:
    """A client app that only sends: the test process itself keeps running tasks eagerly."""
    return Celery("test-producer", broker=broker_url or test_redis_url())


def flush_test_redis(url: str | None = None) -> None:
    redis.Redis.from_url(url or test_redis_url()).flushdb()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server on a free port with append-only persistence in `directory`, as
    the deployment runs it. It can be stopped and started again on the same port and files,
    which the shared Redis of the machine must never be."""

    def __init__(self, directory: Path, port: int | None = None):
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        executable = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                executable,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--maxmemory-policy",
                "noeviction",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return self
            except redis.exceptions.RedisError as error:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited with {self.process.returncode}"
                    ) from error
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} not ready in {timeout}s")

    def stop(self, timeout: float = 10) -> None:
        """Stop as a service manager would (SIGTERM: Redis syncs its append-only file)."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port)


def wait_for(predicate, timeout: float = 90, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met in {timeout}s")
