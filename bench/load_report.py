"""Summary of a load test run (bench/load_test.sh calls it): total requests, failures,
p50/p95/p99 overall and per role, the PASS/FAIL line, and with --markdown the per-page
table for bench/LOAD_REPORT.md. Standard library only (any python3).

    python3 bench/load_report.py bench/load_results [--markdown | --brief] [--p95-limit 500]
        [--access-log gunicorn-access.log]

Reads load_stats.csv (locust's --csv summary of the whole run: per request name, times in
ms, percentiles rounded to locust's buckets) and load_roles.json (the locustfile's exact
percentiles per role and overall, for the whole run and for its steady state, once all the
users are logged in). PASS: no failure in the whole run, and in the steady state the p95
of every role and overall under the limit. Exit status 0 on PASS, 1 on FAIL. --brief prints
one line (a step of `load_test.sh --step`): the verdict, the steady-state p95 overall and
the failures.
"""

import argparse
import csv
import json
import math
import re
import sys
from pathlib import Path

ROLES = ("pilote", "ambassadeur", "encadrant", "agent")
PAGES = "pages (without login)"
WHOLE, STEADY = "whole run", "steady state"


def read(results: Path):
    with (results / "load_stats.csv").open(encoding="utf-8") as handle:
        pages = [row for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]
    roles = json.loads((results / "load_roles.json").read_text(encoding="utf-8"))
    return pages, roles


def verdict(runs: dict, limit: int) -> tuple[bool, list[str]]:
    reasons = []
    failures = runs[WHOLE]["overall"]["failures"]
    if failures:
        reasons.append(f"{failures} failure(s)")
    steady = runs.get(STEADY) or {}
    if not steady:
        reasons.append("no steady state (the users were still logging in at the end)")
    for role in (*ROLES, "overall"):
        if role in steady and steady[role]["p95"] >= limit:
            reasons.append(f"steady-state p95 {role} {steady[role]['p95']} ms >= {limit} ms")
    return not reasons, reasons


def print_roles(title: str, roles: dict) -> None:
    print(title)
    print(f"  {'':<22} {'requests':>9} {'failures':>9} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}")
    for role in (*ROLES, "overall", PAGES):
        if role in roles:
            row = roles[role]
            print(
                f"  {role:<22} {row['requests']:>9,} {row['failures']:>9} {row['p50']:>5} ms"
                f" {row['p95']:>5} ms {row['p99']:>5} ms {row['max']:>5} ms"
            )


def print_summary(pages, runs, limit: int) -> bool:
    whole = runs[WHOLE]["overall"]
    print(f"Requests: {whole['requests']:,}   failures: {whole['failures']}")
    if "locust_cpu_s" in runs:
        print(f"CPU time of locust (the load generator, same machine): {runs['locust_cpu_s']} s.")
    print_roles("Whole run (ramp-up and logins included):", runs[WHOLE])
    if runs.get(STEADY):
        after = runs.get("steady_after_s")
        print_roles(f"Steady state (all users logged in, from {after} s on):", runs[STEADY])
    slow = [p for p in pages if float(p["95%"]) >= limit]
    for page in sorted(slow, key=lambda p: -float(p["95%"]))[:12]:
        print(f"  slow page, whole run (p95 {page['95%']} ms): {page['Type']} {page['Name']}")
    passed, reasons = verdict(runs, limit)
    if passed:
        print(f"PASS: 0 failures; steady-state p95 under {limit} ms overall and for every role.")
    else:
        print(f"FAIL: {'; '.join(reasons)}.")
    return passed


def print_markdown(pages, roles) -> None:
    print("| role | page | requests | failures | median (ms) | p95 (ms) | p99 (ms) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")

    def key(page):
        name = page["Name"]
        role = name[1 : name.index("]")] if name.startswith("[") else ""
        return (ROLES.index(role) if role in ROLES else 9, -int(page["Request Count"]))

    for page in sorted(pages, key=key):
        name = page["Name"]
        role, _, label = name[1:].partition("] ")
        method = "" if page["Type"] == "GET" or label.startswith("POST") else f"{page['Type']} "
        print(
            f"| {role} | `{method}{label}` | {int(page['Request Count']):,} | "
            f"{page['Failure Count']} | {page['50%']} | {page['95%']} | {page['99%']} |"
        )
    for window in (WHOLE, STEADY):
        if not roles.get(window):
            continue
        print()
        print(f"{window}:")
        print()
        print("| role | requests | failures | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for role in (*ROLES, "overall", PAGES):
            if role in roles[window]:
                row = roles[window][role]
                print(
                    f"| {role} | {row['requests']:,} | {row['failures']} | {row['p50']} | "
                    f"{row['p95']} | {row['p99']} | {row['max']} |"
                )


def print_server_times(access_log: Path) -> None:
    """Gunicorn's own time per request (last field of the access log, in seconds): what the
    app took once a worker had the request, without the wait for a free worker."""
    times, by_page = [], {}
    for line in access_log.read_text(encoding="utf-8", errors="replace").splitlines():
        request = re.search(r'"(GET|POST) ([^ ?"]+)[^"]*" \d+ \S+ ([0-9.]+)$', line)
        if request is None or "/healthz/" in line:
            continue
        seconds = float(request.group(3)) * 1000
        times.append(seconds)
        page = f"{request.group(1)} {re.sub(r'/[0-9]+/', '/[id]/', request.group(2))}"
        by_page.setdefault(page, []).append(seconds)
    if not times:
        return
    times.sort()

    def pct(values, share):
        return values[max(0, math.ceil(share * len(values)) - 1)]

    print(
        f"Server time (gunicorn, {len(times):,} requests): p50 {pct(times, 0.5):.0f} ms, "
        f"p95 {pct(times, 0.95):.0f} ms, p99 {pct(times, 0.99):.0f} ms"
    )
    slowest = sorted(by_page.items(), key=lambda item: -pct(sorted(item[1]), 0.95))[:8]
    for page, values in slowest:
        values.sort()
        print(f"  {page:<56} {len(values):>5}  p50 {pct(values, 0.5):5.0f}  p95 "
              f"{pct(values, 0.95):5.0f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--brief", action="store_true", help="One line: verdict, p95, failures.")
    parser.add_argument("--p95-limit", type=int, default=500)
    parser.add_argument("--access-log", type=Path, help="gunicorn's access log: server times")
    args = parser.parse_args()
    if args.access_log:
        print_server_times(args.access_log)
    pages, roles = read(args.results)
    if args.brief:
        passed, _reasons = verdict(roles, args.p95_limit)
        steady = (roles.get(STEADY) or {}).get("overall", {})
        p95 = f"steady-state p95 {steady['p95']} ms" if steady else "no steady state"
        failures = roles[WHOLE]["overall"]["failures"]
        print(f"{'PASS' if passed else 'FAIL'} ({p95}, {failures} failures)")
        sys.exit(0 if passed else 1)
    if args.markdown:
        print_markdown(pages, roles)
        return
    sys.exit(0 if print_summary(pages, roles, args.p95_limit) else 1)


if __name__ == "__main__":
    main()
