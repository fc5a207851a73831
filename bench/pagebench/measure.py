"""Timing that every step shares: percentiles, rounds within a time budget, a
watchdog that interrupts a query running too long, and what a response showed."""

import contextlib
import sqlite3
import threading
import time

MIN_ROUNDS = 3
# A row of a list, and the notice a list shows when asked past the rows it pages through.
ROW_MARK = b'<td data-label="Said">'
NOTICE_MARK = b'class="notice" role="status"'


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(seconds):
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 0.5),
        "p95": percentile(ms, 0.95),
        "min": min(ms, default=None),
        "max": max(ms, default=None),
    }


def timed(action, rounds, budget, warmups=2):
    """Run `action` `warmups` times, then up to `rounds` times, timing each; stop
    once `budget` seconds have passed and MIN_ROUNDS runs are timed. A page so slow
    that the warm-ups alone use up the budget is reported from its last warm-up."""
    deadline = time.perf_counter() + budget
    for _ in range(warmups):
        start = time.perf_counter()
        action()
        if time.perf_counter() > deadline:
            return summary([time.perf_counter() - start]) | {"warm_up_only": True}
    samples = []
    while len(samples) < rounds:
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
        if len(samples) >= MIN_ROUNDS and time.perf_counter() > deadline:
            break
    return summary(samples)


class Watchdog:
    """Interrupts the database after `seconds`, so no single request or query can
    hold the benchmark: `interrupt` cancels whatever statement is running."""

    def __init__(self, seconds, interrupt):
        self.seconds, self.interrupt, self.fired = seconds, interrupt, False

    def fire(self):
        self.fired = True
        with contextlib.suppress(Exception):  # the connection may have closed meanwhile
            self.interrupt()

    def __enter__(self):
        self.timer = threading.Timer(self.seconds, self.fire)
        self.timer.daemon = True
        self.timer.start()
        return self

    def __exit__(self, *exc):
        self.timer.cancel()


def interrupt(raw):
    """Stop the statement running on a DB-API connection (from another thread)."""
    if raw is None:
        return
    if isinstance(raw, sqlite3.Connection):
        raw.interrupt()
    else:
        raw.cancel()


def describe(status, body):
    return {
        "status": status,
        "bytes": len(body),
        "rows": body.count(ROW_MARK),
        "notice": NOTICE_MARK in body,
    }
