"""The reader's pages benchmark that bench/pages.py runs: latency and queries, in
process and over HTTP, against the hand-written SQL each page needs and Datasette.

Modules, in the order a run uses them: database (build or reuse the data),
cases (which pages, with values read from the data), floor (the SQL alone),
inprocess (the Django test client and cProfile), servers (gunicorn, ports,
time limits), peers (Datasette, wrk), table (the printed table and the results
file), run (the command line). measure holds the timing every step shares.
"""

import os
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
# Elsewhere when these say so (the suite's smoke test runs in a temporary folder).
DATA = Path(os.environ.get("BENCH_DATA", PROJECT / "bench" / ".data"))
RESULTS = Path(os.environ.get("BENCH_RESULTS", PROJECT / "bench" / "results"))
BIN = Path(sys.executable).parent

# The app measured is this checkout's: its constants (claims.limits,
# claims.dates) are read from it, and Django is set up from it.
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))
# The SQLite file's name, and so the database's name in Datasette's addresses.
DATASETTE_DB = "counterclaim"
