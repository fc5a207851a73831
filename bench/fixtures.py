"""Fixtures out and in, against Django's dumpdata and loaddata, on the same data.

    python bench/fixtures.py --claims 20000

Builds a throwaway SQLite database of synthetic claims (with speakers,
sources, citations, figures and pairings), then times in separate processes
export_claims against dumpdata --natural-foreign --natural-primary, and
import_claims against loaddata into fresh databases, each with its peak
resident memory. Prints a table and writes the figures as JSON to
bench/results/. It measures; it asserts nothing.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
MODELS = [
    "claims.topic",
    "claims.measure",
    "claims.speaker",
    "claims.source",
    "claims.claim",
    "claims.citation",
    "claims.figure",
    "claims.rebuttal",
]


def run(args, env, label):
    """Run a manage.py command; return (seconds, peak RSS in MB)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{label} failed:\n{process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def database(path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{path}",
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
    }
    run(["migrate", "--noinput"], env, "migrate")
    return env


def generate(env, claims, seed):
    """Synthetic claims, written with bulk inserts in a child process."""
    code = f"""
import datetime, random
from django.contrib.auth import get_user_model
from claims.models import *
rng = random.Random({seed})
get_user_model().objects.create_superuser("bench", password=None)
n = {claims}
speakers = Speaker.objects.bulk_create(
    [Speaker(slug=f"speaker-{{i}}", name=f"Speaker {{i}}", kind=rng.choice(Speaker.Kind.values))
     for i in range(max(10, n // 200))], batch_size=1000)
sources = Source.objects.bulk_create(
    [Source(slug=f"source-{{i}}", title=f"Report {{i}}", publisher=rng.choice(speakers),
            published_on=datetime.date(2015, 1, 1) + datetime.timedelta(days=i % 3000))
     for i in range(max(10, n // 5))], batch_size=1000)
measures = Measure.objects.bulk_create(
    [Measure(slug=f"measure-{{i}}", name=f"measure {{i}}", unit="people") for i in range(10)])
topics = Topic.objects.bulk_create([Topic(slug=f"topic-{{i}}", name=f"Topic {{i}}") for i in range(20)])
start = datetime.date(2015, 9, 1)
rows = []
for i in range(n):
    rows.append(Claim(slug=f"claim-{{i}}", text=f"Statement {{i}} about strikes and civilians.",
        speaker=rng.choice(speakers), said_on=start + datetime.timedelta(days=i % 1500),
        status="published" if i % 10 else "draft", place="Syria"))
claims = Claim.objects.bulk_create(rows, batch_size=2000)
Citation.objects.bulk_create([Citation(claim=c, source=rng.choice(sources), locator=f"p. {{k}}")
    for c in claims for k in range(1 + c.pk % 2)], batch_size=2000)
Figure.objects.bulk_create([Figure(claim=c, position=1, measure=rng.choice(measures),
    value_min=rng.randint(1, 5000)) for c in claims if c.pk % 2], batch_size=2000)
Rebuttal.objects.bulk_create([Rebuttal(claim=claims[i], counterclaim=claims[i + 1], relation="denies")
    for i in range(0, n - 1, 8)], batch_size=2000)
Claim.topics.through.objects.bulk_create([Claim.topics.through(claim_id=c.pk, topic_id=rng.choice(topics).pk)
    for c in claims], batch_size=2000)
"""
    run(["shell", "-c", code], env, "generate")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="counterclaim-bench-"))
    source_env = database(work / "source.sqlite3")
    generate(source_env, options.claims, options.seed)

    results = {}
    ours = work / "export.jsonl"
    results["export_claims"] = run(
        ["export_claims", "--quiet", "-o", str(ours)], source_env, "export"
    )
    peer = work / "dump.json"
    results["dumpdata"] = run(
        ["dumpdata", *MODELS, "--natural-foreign", "--natural-primary", "-o", str(peer)],
        source_env,
        "dumpdata",
    )
    rows = sum(1 for _ in ours.open(encoding="utf-8"))

    target = database(work / "import.sqlite3")
    run(
        [
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_superuser('bench', password=None)",
        ],
        target,
        "user",
    )
    results["import_claims"] = run(
        ["import_claims", str(ours), "--user", "bench", "--quiet"], target, "import"
    )
    loaded = database(work / "loaddata.sqlite3")
    results["loaddata"] = run(["loaddata", str(peer)], loaded, "loaddata")

    print(f"{options.claims:,} claims, {rows:,} fixture rows (SQLite, {work})")
    print(f"{'step':<15}{'seconds':>10}{'rows/s':>12}{'peak MB':>10}")
    report = {"claims": options.claims, "rows": rows, "steps": {}}
    for step, (seconds, peak) in results.items():
        print(f"{step:<15}{seconds:>10.2f}{rows / seconds:>12,.0f}{peak:>10.1f}")
        report["steps"][step] = {
            "seconds": seconds,
            "rows_per_second": rows / seconds,
            "peak_mb": peak,
        }
    export_ratio = results["dumpdata"][0] / results["export_claims"][0]
    import_ratio = results["loaddata"][0] / results["import_claims"][0]
    print(
        f"export is {export_ratio:.1f}x as fast as dumpdata; import {import_ratio:.1f}x as fast as loaddata"
    )
    report["export_speedup"], report["import_speedup"] = export_ratio, import_ratio
    out = PROJECT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fixtures-{options.claims}.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    random.seed(0)
    main()
