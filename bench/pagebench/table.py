"""What a run prints (the table, a note on each page, the profiles) and the
results file it writes."""

import json

from . import PROJECT, RESULTS


def ratio(ours, other):
    if ours is None or not other:
        return None
    return ours / other


def fmt(value, digits=1):
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def print_table(cases):
    header = (
        f"{'case':<30}{'first':>8}{'p50':>8}{'p95':>8}{'qs':>4}{'floor':>8}{'x fl':>7}"
        f"{'http50':>8}{'http95':>8}{'ds def':>8}{'ds nof':>8}{'x ds':>7}"
    )
    print()
    print("in process (ms): the first request (counts not yet kept), p50, p95, queries;")
    print("floor: the SQL alone (p50, ms) and ours/floor;")
    print("over HTTP (ms): ours p50, p95; Datasette p50 with defaults and with suggest_facets off;")
    print("x ds: ours over HTTP / Datasette (suggest_facets off). * fewer rounds than asked")
    print(header)
    print("-" * len(header))
    for case in cases:
        ours = case.get("ours_ms", {})
        floor = case.get("floor_ms", {})
        http = case.get("ours_http_ms", {})
        default = case.get("datasette_ms", {})
        nofacets = case.get("datasette_nofacets_ms", {})
        queries = case.get("ours", {}).get("queries", [None])[-1]
        peer = nofacets.get("p50") or default.get("p50")
        short = any(
            part and part.get("n", 0) < case.get("rounds", 0)
            for part in (ours, http, default, nofacets)
        )
        print(
            f"{case['name'][:29] + ('*' if short else ''):<30}"
            f"{fmt(case.get('ours', {}).get('first_ms')):>8}"
            f"{fmt(ours.get('p50')):>8}{fmt(ours.get('p95')):>8}"
            f"{queries if queries is not None else '-':>4}"
            f"{fmt(floor.get('p50'), 2):>8}{fmt(ratio(ours.get('p50'), floor.get('p50'))):>7}"
            f"{fmt(http.get('p50')):>8}{fmt(http.get('p95')):>8}"
            f"{fmt(default.get('p50')):>8}{fmt(nofacets.get('p50')):>8}"
            f"{fmt(ratio(http.get('p50'), peer), 2):>7}"
        )


def print_notes(cases, params):
    print()
    speaker, organisation = params["speaker"], params["organisation"]
    print(
        f"speaker {speaker['slug']} ({speaker['claims']:,} claims); organisation "
        f"{organisation['slug']} ({organisation['claims']:,} claims, {organisation['members']} "
        f"people); topic {params['topic']['slug']}; said {params['said_from']} to "
        f"{params['said_to']}; claim {params['claim']['slug']} ({params['claim']['citations']} "
        f"citations, {params['claim']['pairings']} pairings)"
    )
    print(
        f"words: rare {params['rare_word']!r} ({params['rare_word_documents']:,} claims), common "
        f"{params['common_word']!r} ({params['common_word_documents']:,}), Arabic "
        f"{params.get('arabic_word')!r} ({params.get('arabic_word_documents', 0):,})"
    )
    for case in cases:
        ours = case.get("ours", {})
        remarks = []
        if ours.get("status") not in (None, 200):
            remarks.append(f"status {ours['status']}")
        if len(set(ours.get("queries", []))) > 1:
            remarks.append(f"queries vary {ours['queries']}")
        if case.get("deep"):
            remarks.append(
                f"status {ours.get('status')}, {ours.get('rows')} rows shown, "
                f"notice {'shown' if ours.get('notice') else 'absent'}"
            )
        if case.get("export"):
            rows = case.get("datasette_rows")
            remarks.append(f"{ours.get('bytes', 0):,} bytes")
            if rows:
                remarks.append(f"Datasette followed {rows:,} rows")
        walked = case.get("datasette_walk")
        if walked:
            text = (
                f"Datasette: {walked['hops']} hops, {walked['seconds_per_hop'] * 1000:.0f} ms "
                f"each, {walked['rows_followed']:,} rows ({walked['next_from']}); "
                f"{walked['duplicates']} duplicate and {walked['missing']} missing rows "
                "against the newest-first order"
            )
            if walked.get("extrapolated_seconds"):
                text += f"; reaching row {walked['rows']:,} would take about "
                text += f"{walked['extrapolated_seconds']:.0f} s"
            remarks.append(text)
        for key in (
            "floor_error",
            "ours_error",
            "ours_http_error",
            "datasette_error",
            "datasette_nofacets_error",
            "profile_error",
        ):
            if case.get(key):
                remarks.append(f"{key}: {case[key]}")
        if case.get("note"):
            remarks.append(case["note"])
        peer = any(key in case for key in ("datasette_ms", "datasette_nofacets_ms"))
        if peer and case.get("peer_note"):
            remarks.append(case["peer_note"])
        if remarks:
            print(f"- {case['name']}: " + "; ".join(remarks))


def print_profiles(profiles):
    for profile in profiles:
        print()
        print(
            f"where the time goes: {profile['case']} ({profile['path']}), "
            f"{profile['ms_per_request']:.1f} ms a request under cProfile, "
            f"{profile['queries']} queries taking {profile['sql_ms']:.1f} ms"
        )
        for area in profile["areas"][:8]:
            print(f"    {area['ms']:8.1f} ms  {area['area']}")
        for query in profile["slowest_queries"][:2]:
            print(f"    slowest query {query['ms']:.1f} ms: {query['sql'][:240]}")


def print_throughput(report):
    ours, peer = report.get("wrk_ours"), report.get("wrk_datasette")
    if not ours:
        return
    print()
    line = f"throughput, list by speaker, wrk 16 connections: ours {ours['requests_per_second']:,.0f} req/s"
    if peer:
        line += f", Datasette {peer['requests_per_second']:,.0f} req/s"
        if peer["requests_per_second"]:
            line += f", ratio {ours['requests_per_second'] / peer['requests_per_second']:.2f}"
    print(line)


def print_report(report, cases):
    """Everything a run prints once it has measured: the machine, the table, the
    notes on each page, throughput, the profiles and the run's own notes."""
    params, described = report["params"], report["machine"]
    print()
    print(
        f"{report['claims']:,} claims ({params['published']:,} published), {report['engine']}, "
        f"{report['rounds']} rounds; {described['cpu']}, {described['cores']} cores, "
        f"{described['memory_gb']} GB; Python {described['python']}, SQLite "
        f"{described['sqlite']}"
        + (f", PostgreSQL {described['postgresql']}" if described["postgresql"] else "")
    )
    print_table(cases)
    print_notes(cases, params)
    print_throughput(report)
    print_profiles(report.get("profiles", []))
    for note in report["notes"]:
        print(f"note: {note}")


def write_results(report, cases):
    """bench/results/pages-N-ENGINE.json: the report, with each page's floor as its SQL."""
    report["cases"] = [
        {key: value for key, value in case.items() if key != "floor"}
        | {
            "floor_sql": [
                step[0] if not callable(step) else "(first page by id)"
                for step in case["floor"] or ()
            ]
        }
        for case in cases
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"pages-{report['claims']}-{report['engine']}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    print(f"written: {out.relative_to(PROJECT) if out.is_relative_to(PROJECT) else out}")
