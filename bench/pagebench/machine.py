"""What a run was measured on: the machine, and the commit of the code."""

import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path

from . import PROJECT


def code_version():
    """The commit measured, and whether the working tree differed from it."""

    def git(*args):
        program = shutil.which("git")
        if not program:
            return ""
        try:
            return subprocess.run(
                [program, *args],
                cwd=PROJECT,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    changed = git("diff", "HEAD", "--name-only").splitlines()
    return {"commit": git("rev-parse", "HEAD"), "changed_files": changed}


def machine(engine, database_url):
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    described = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": None,
    }
    if engine == "postgresql":
        import psycopg

        with psycopg.connect(database_url, connect_timeout=10) as connection:
            described["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return described
