"""Production serving: gunicorn with the production settings, static files
collected and served by whitenoise under hashed names."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings

from .test_start import free_port

PROJECT = settings.BASE_DIR
GUNICORN = PROJECT / ".venv" / "bin" / "gunicorn"


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
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=PROJECT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    server = subprocess.Popen(
        [str(GUNICORN), "tracker.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
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
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read().decode()

        status, headers, page = get("/")
        assert status == 200
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1)
        status, headers, css = get(stylesheet)
        assert status == 200 and ":root" in css
        assert "max-age=315360000" in headers["Cache-Control"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
        shutil.rmtree(tmp_path / "static", ignore_errors=True)
