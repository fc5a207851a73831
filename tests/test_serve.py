"""Production serving: gunicorn with the production settings, static files
collected and served by whitenoise under hashed names."""

import csv
import io
import os
import re
import runpy
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request

import pytest

from .sites import PROJECT, free_port

GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"
DOWNLOAD_CLAIMS = 15_000  # a CSV of about 5 MB: more than the sockets buffer


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed in .venv")
def test_gunicorn_serves_the_site_with_hashed_static_files(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k3y-" + "abcdefghijklmnopqrstuvwxyz0123456789" * 2,
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
            "STATIC_ROOT": str(tmp_path / "static"),
            "DATASET_ROOT": str(tmp_path / "datasets"),
            "SECURE_PROXY_SSL_HEADER": "1",
        }
    )
    python = str(PROJECT / ".venv" / "bin" / "python")
    for command in (
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["generate_claims", "--claims", str(DOWNLOAD_CLAIMS), "--quiet"],
    ):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=PROJECT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    # gunicorn.conf.py in the project folder is read; a one-second timeout
    # would kill a synchronous worker in the middle of the download below.
    server = subprocess.Popen(
        [
            *(str(GUNICORN), "tracker.wsgi", "--bind", f"127.0.0.1:{port}"),
            *("--workers", "1", "--timeout", "1"),
        ],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)

        def get(path):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"X-Forwarded-Proto": "https"}
            )
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read().decode()

        status, headers, page = get("/")
        assert status == 200
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
        status, headers, css = get(stylesheet)
        assert status == 200 and ":root" in css
        assert "max-age=315360000" in headers["Cache-Control"]

        # A download read slowly, so that it streams for longer than the
        # worker timeout, arrives whole.
        body = slow_download(port, "/claims/?_export=csv", seconds=3)
        rows = len(list(csv.reader(io.StringIO(body)))) - 1  # less the header
        with sqlite3.connect(tmp_path / "site.sqlite3") as database:
            (published,) = database.execute(
                "SELECT count(*) FROM claims_claim WHERE status = 'published'"
            ).fetchone()
        assert rows == published
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(tmp_path / "static", ignore_errors=True)


def slow_download(port, path, seconds):
    """The body of `path`, read by a client with a small window that takes
    `seconds` over its first part: the server waits on it all that time."""
    client = socket.socket()
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.settimeout(60)
    client.connect(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nX-Forwarded-Proto: https\r\n\r\n"
    client.sendall(request.encode())
    received, started = bytearray(), time.monotonic()
    with client:
        while chunk := client.recv(4096):
            received += chunk
            if time.monotonic() - started < seconds:
                time.sleep(0.05)
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200") or head.startswith(b"HTTP/1.1 200"), head[:200]
    return body.decode()


def test_gunicorn_closes_each_connection_and_loads_the_application_first():
    # A threaded worker keeps the connections it accepts: with keep-alive (or
    # with the application loaded in each worker, the first one up taking
    # every waiting connection) one worker served a load test alone, at half
    # the requests per second. bench/load.py measures the behaviour.
    config = runpy.run_path(str(PROJECT / "gunicorn.conf.py"))
    assert (config["worker_class"], config["threads"]) == ("gthread", 4)
    assert config["keepalive"] == 0
    assert config["preload_app"] is True
