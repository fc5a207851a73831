"""Our server over HTTP: production settings, child processes listening on
127.0.0.1 (gunicorn here, Datasette in peers) within a start-up time limit and
always stopped, and a keep-alive client."""

import http.client
import os
import secrets
import signal
import socket
import string
import subprocess
import time
from pathlib import Path

from . import BIN, PROJECT
from .measure import describe, timed

START_TIMEOUT = 90


def production_env(database, work, hosts):
    return {
        **database.env(),
        "DEBUG": "0",
        "SECRET_KEY": "".join(
            secrets.choice(string.ascii_letters + string.digits) for _ in range(50)
        ),
        "ALLOWED_HOSTS": hosts,
        "SECURE_PROXY_SSL_HEADER": "1",
        "STATIC_ROOT": str(work / "static"),
        "DATASET_ROOT": str(work / "datasets"),
        "MEDIA_ROOT": str(work / "media"),
    }


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A child process serving on 127.0.0.1:port, always stopped on exit."""

    def __init__(self, label, command, env, log, ready=None):
        self.label, self.command, self.env, self.log_path = label, command, env, log
        self.ready = ready  # given the log so far: whether it may be used yet
        self.port = free_port()
        self.command = [part.format(port=self.port) for part in command]
        self.process = None

    def __enter__(self):
        self.log = open(self.log_path, "wb")  # noqa: SIM115 (closed in __exit__)
        self.process = subprocess.Popen(
            self.command,
            cwd=PROJECT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.2)
                continue
            if self.ready is None or self.ready(Path(self.log_path).read_text(errors="replace")):
                return self
            time.sleep(0.2)
        self.stop()
        tail = Path(self.log_path).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{self.label} did not start on port {self.port}:\n{tail}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.log.close()

    def __exit__(self, *exc):
        self.stop()


def gunicorn(env, work, workers=2):
    """gunicorn on gunicorn.conf.py, used once every worker has started: the
    port opens before the workers do, and the first worker up would take every
    keep-alive connection waiting."""

    def ready(log):
        return log.count("Booting worker with pid") >= workers

    return Server(
        "gunicorn",
        [
            str(BIN / "gunicorn"),
            "tracker.wsgi",
            "--bind",
            "127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        env,
        work / "gunicorn.log",
        ready=ready,
    )


class HttpClient:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self, port, timeout, headers=None):
        self.port = port
        self.headers = {"Host": f"127.0.0.1:{port}", **(headers or {})}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, path):
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                return response.status, response.read(), response
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        self.connection.close()


def measure_ours_http(client, cases, rounds, budget):
    for case in cases:

        def get(path=case["path"]):
            status, body, _ = client.get(path)
            if status >= 400:
                raise RuntimeError(f"HTTP {status}")
            return body

        try:
            status, body, _ = client.get(case["path"])
            case["ours_http"] = describe(status, body)
            case["ours_http_ms"] = timed(get, rounds, budget)
        except (OSError, RuntimeError, http.client.HTTPException) as error:
            case["ours_http_error"] = f"{type(error).__name__}: {error}"
