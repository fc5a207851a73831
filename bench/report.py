"""A results file of bench/pages.py as the Markdown table docs/performance.md shows.

    python bench/report.py bench/results/pages-1000000-sqlite.json

Every figure comes from the file: the first request, p50/p95 in process and the
queries per page, the raw SQL's p50 and ours over it, ours over HTTP and
Datasette (with its defaults and with suggest_facets off) and ours over it, then
wrk's throughput for both. It measures nothing.
"""

import argparse
import json
from pathlib import Path


def ms(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if value < 100 else f"{value:,.0f}"


def ratio(ours, other):
    if not ours or not other:
        return "–"
    return f"{ours / other:.2f}"


def table(report):
    lines = [
        "| page | first ms | p50 ms | p95 ms | queries | floor ms | ours / floor "
        "| HTTP p50 ms | Datasette ms | Datasette no facets ms | ours / Datasette |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case in report["cases"]:
        ours, floor = case.get("ours_ms", {}), case.get("floor_ms", {})
        http = case.get("ours_http_ms", {})
        default, nofacets = case.get("datasette_ms", {}), case.get("datasette_nofacets_ms", {})
        queries = case.get("ours", {}).get("queries", [None])[-1]
        peer = nofacets.get("p50") or default.get("p50")
        lines.append(
            f"| {case['name']} | {ms(case.get('ours', {}).get('first_ms'))} "
            f"| {ms(ours.get('p50'))} | {ms(ours.get('p95'))} "
            f"| {queries if queries is not None else '–'} | {ms(floor.get('p50'), 2)} "
            f"| {ratio(ours.get('p50'), floor.get('p50'))} | {ms(http.get('p50'))} "
            f"| {ms(default.get('p50'))} | {ms(nofacets.get('p50'))} "
            f"| {ratio(http.get('p50'), peer)} |"
        )
    return "\n".join(lines)


def throughput(report):
    ours, peer = report.get("wrk_ours"), report.get("wrk_datasette")
    if not ours:
        return "No throughput figures (wrk was not run)."
    text = (
        f"wrk, {ours['connections']} connections, {ours['seconds']} s, the list filtered by "
        f"speaker: ours {ours['requests_per_second']:.1f} req/s (p99 {ours['p99_ms']:.0f} ms, "
        f"{ours['non_2xx_3xx']} errors)"
    )
    if peer:
        text += (
            f"; Datasette {peer['requests_per_second']:.1f} req/s (p99 {peer['p99_ms']:.0f} ms): "
            f"**{ours['requests_per_second'] / peer['requests_per_second']:.2f}×**"
        )
    return text + "."


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    report = json.loads(parser.parse_args().results.read_text())
    print(table(report))
    print()
    print(throughput(report))
    for note in report.get("notes", []):
        print(f"\n- {note}")


if __name__ == "__main__":
    main()
