"""`make run` on a new database: migrated, seeded, an admin account, served, with the
background worker beside the server; Ctrl-C stops both."""

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from .sites import PROJECT, free_port, site_env

STARTUP_SECONDS = 120


@pytest.fixture
def running_site(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    port = free_port()
    env = site_env(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path / "media")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"PORT={port}"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail("make run stopped:\n" + "".join(lines))
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the site did not start:\n" + "".join(lines))
        yield f"http://127.0.0.1:{port}", lines, process, env["DATABASE_URL"]
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass  # stopped by the test
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def processes_on(database_url):
    """The ids of the processes running with `database_url` in their environment."""
    marker = f"DATABASE_URL={database_url}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue  # gone, or not ours
    return found


def test_make_run_serves_the_admin_with_the_seed_data(running_site):
    base, lines, process, database_url = running_site
    output = "".join(lines)
    assert "Loaded 24 claims." in output
    password = re.search(r"with the password: (\S+)", output).group(1)

    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(f"{base}/admin/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode(
        {
            "username": "admin",
            "password": password,
            "csrfmiddlewaretoken": token,
            "next": "/admin/claims/claim/",
        }
    ).encode()
    request = urllib.request.Request(
        f"{base}/admin/login/?next=/admin/claims/claim/",
        data=form,
        headers={"Referer": f"{base}/admin/login/"},
    )
    page = browser.open(request, timeout=10).read().decode()
    assert "Select claim to change" in page
    assert "an estimated 679 civilians" in page
    assert "10 February 2016" in page
    assert "24 claims" in page

    # The worker runs beside the server, and Ctrl-C stops both.
    deadline = time.monotonic() + 30
    while "Starting worker" not in "".join(lines) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Starting worker" in "".join(lines), "".join(lines)
    if Path("/proc/self/environ").exists():
        assert len(processes_on(database_url)) >= 3  # make, the server, the worker
    os.killpg(process.pid, signal.SIGINT)
    process.wait(timeout=30)
    deadline = time.monotonic() + 20
    while processes_on(database_url) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_on(database_url) == []
