"""The run's results as a Markdown table, with issue 5's targets checked."""

from typing import Any

IMPORT_TARGET = {"postgresql": 5000, "sqlite": 3000}  # articles/s over HTTP
IMPORT_RSS_TARGET_MB = 250  # for a 1,000,000-line file
WORKER_RSS_TARGET_MB = 150
HTTP_SHARE_TARGET = {"feed": 0.5, "slug": 0.5, "304": 0.7}
DEEP_P50_TARGET = 1.3


def _ratio(part: float, whole: float) -> str:
    if not whole:
        return "–"
    share = part / whole
    return f"{share:.1%}" if share < 0.1 else f"{share:.0%}"


def import_line(result: dict[str, Any]) -> str:
    if "articles_per_s" not in result:
        return f"{result['path']} ({result['articles']:,} articles in {result['seconds']:.0f}s)"
    peak = result["peak_rss_mb"]
    autovacuum = result.get("autovacuum") or {}
    note = (
        f" (this server has autovacuum off: the harness ran ANALYZE every 30 s in its place, "
        f"{autovacuum['analyzes']} times)"
        if autovacuum.get("autovacuum") == "off"
        else ""
    )
    return (
        f"{result['articles']:,} articles in {result['seconds']:.1f}s = "
        f"{result['articles_per_s']:,.0f} articles/s; server peak RSS "
        f"{peak['largest_process_vmhwm']:.0f} MB (largest process VmHWM), "
        f"{peak['tree_total_sampled']:.0f} MB (all processes, sampled){note}"
    )


def workload_line(entry: dict[str, Any]) -> str:
    if "skipped" in entry:
        return f"{entry['title']}: {entry['skipped']}"
    p, h, d = entry["product"], entry["http_ceiling"], entry["data_ceiling"]
    return (
        f"{entry['title']}: {p['rps']:,.0f} req/s p50 {p['p50_ms']:.1f} ms p99 "
        f"{p['p99_ms']:.1f} ms | HTTP ceiling {h['rps']:,.0f} ({_ratio(p['rps'], h['rps'])}) | "
        f"data ceiling {d['ops']:,.0f}/s ({_ratio(p['rps'], d['ops'])}) | bad {p['bad_responses']}"
    )


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def table(results: dict[str, Any]) -> list[str]:
    lines = [
        _row(
            [
                "workload",
                "req/s",
                "p50 ms",
                "p99 ms",
                "HTTP ceiling req/s",
                "of HTTP ceiling",
                "data ceiling /s",
                "of data ceiling",
                "SQL/request (render, again)",
                "non-2xx/304",
            ]
        ),
        _row(["---"] + ["---:"] * 9),
    ]
    offset_shown = False
    for entry in results["workloads"]:
        if "skipped" in entry:
            lines.append(_row([entry["title"], entry["skipped"], *[""] * 8]))
            continue
        p, h, d = entry["product"], entry["http_ceiling"], entry["data_ceiling"]
        lines.append(
            _row(
                [
                    entry["title"],
                    f"{p['rps']:,.0f}",
                    f"{p['p50_ms']:.1f}",
                    f"{p['p99_ms']:.1f}",
                    f"{h['rps']:,.0f}",
                    _ratio(p["rps"], h["rps"]),
                    f"{d['ops']:,.0f}",
                    _ratio(p["rps"], d["ops"]),
                    f"{d['statements']}, {d.get('warm_statements', '?')}",
                    str(p["bad_responses"]),
                ]
            )
        )
        if "offset_data" in entry and not offset_shown:
            offset_shown = True
            o = entry["offset_data"]
            lines.append(
                _row(
                    [
                        "2′ same page by OFFSET (SQL+JSON, no HTTP)",
                        "",
                        f"{o['p50_ms']:.1f}",
                        f"{o['p99_ms']:.1f}",
                        "",
                        "",
                        f"{o['ops']:,.0f}",
                        f"cursor: {d['p50_ms']:.1f} ms p50",
                        "",
                        "",
                    ]
                )
            )
    return lines


def targets(results: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    """(target, measured, met?) for issue 5's targets; None when this run cannot tell."""
    by_key = {e["key"]: e for e in results["workloads"] if "skipped" not in e}
    checks: list[tuple[str, str, bool | None]] = []
    for key, share in HTTP_SHARE_TARGET.items():
        name = {"feed": "feed page 1", "slug": "article by slug", "304": "304 path"}[key]
        entry = by_key.get(key)
        if entry is None:
            checks.append((f"{name} ≥ {share:.0%} of HTTP ceiling", "not measured", None))
            continue
        got = entry["product"]["rps"] / entry["http_ceiling"]["rps"]
        checks.append((f"{name} ≥ {share:.0%} of HTTP ceiling", _ratio(got, 1), got >= share))
    for suffix, how in (("_uncached", "response cache bypassed"), ("", "cached")):
        feed, deep = by_key.get("feed" + suffix), by_key.get("deep" + suffix)
        if feed and deep:
            ratio = deep["product"]["p50_ms"] / feed["product"]["p50_ms"]
            checks.append(
                (
                    f"deep page p50 ≤ {DEEP_P50_TARGET}× page 1 ({how})",
                    f"{ratio:.2f}×",
                    ratio <= DEEP_P50_TARGET,
                )
            )
    feed, deep = by_key.get("feed") or by_key.get("feed_uncached"), by_key.get("deep")
    deep = deep or by_key.get("deep_uncached")
    if feed and deep:
        sql = deep["data_ceiling"]["p50_ms"] / feed["data_ceiling"]["p50_ms"]
        checks.append(("(SQL alone) deep page p50 ÷ page 1 p50", f"{sql:.2f}×", None))
    imported = results["import"]
    db = results["settings"]["db"]
    if "articles_per_s" in imported:
        rate = imported["articles_per_s"]
        checks.append(
            (f"import ≥ {IMPORT_TARGET[db]:,}/s", f"{rate:,.0f}/s", rate >= IMPORT_TARGET[db])
        )
        peak = imported["peak_rss_mb"]["largest_process_vmhwm"]
        full_size = imported["articles"] >= 1_000_000
        checks.append(
            (
                f"import server peak RSS < {IMPORT_RSS_TARGET_MB} MB (1M lines)",
                f"{peak:.0f} MB at {imported['articles']:,} lines",
                (peak < IMPORT_RSS_TARGET_MB)
                if full_size or peak >= IMPORT_RSS_TARGET_MB
                else None,
            )
        )
    else:
        checks.append(("import throughput and RSS", "not measured (no import endpoint)", None))
    worker = results["worker_rss_under_load_mb"]["largest"]
    checks.append(
        (
            f"one worker's RSS under load < {WORKER_RSS_TARGET_MB} MB",
            f"{worker:.0f} MB",
            worker < WORKER_RSS_TARGET_MB,
        )
    )
    bad = sum(e["product"]["bad_responses"] for e in by_key.values())
    checks.append(("zero non-2xx/304 responses", str(bad), bad == 0))
    fresh = results["freshness"]
    checks.append(
        (
            "a publish is visible on the next request",
            f"{fresh['fresh']}/{fresh['requests']}",
            fresh["ok"],
        )
    )
    return checks


def _profiles(profiles: dict[str, Any] | None) -> list[str]:
    if not profiles:
        return []
    if "skipped" in profiles:
        return ["", f"Profile: {profiles['skipped']}"]
    lines = []
    for key, views in profiles.items():
        title = {
            "feed": "feed page 1",
            "feed_uncached": "feed page 1 with the response cache bypassed",
            "slug": "article by slug",
        }.get(key, key)
        busy, gil = views["busy"], views["gil"]
        lines += [
            "",
            f"Profile of {title} under load: py-spy on every worker, shares of "
            f"{busy['samples']:,} samples of busy threads (SQL with the GIL released "
            f"included) and of {gil['samples']:,} samples of the thread holding the GIL.",
            "",
            "| app code, busy (inclusive) | share | busy, at the top | share "
            "| GIL held, at the top | share |",
            "|---|---:|---|---:|---|---:|",
        ]
        rows = zip(busy["inclusive"], busy["self"], gil["self"], strict=False)
        for (app, app_share), (own, own_share), (held, held_share) in list(rows)[:12]:
            lines.append(
                f"| `{app}` | {app_share:.0%} | `{own}` | {own_share:.0%} "
                f"| `{held}` | {held_share:.0%} |"
            )
    return lines


def markdown(results: dict[str, Any]) -> str:
    s = results["settings"]
    m = results["machine"]
    lines = [
        f"## Dopys benchmark: {s['db']}, {s['articles']:,} articles ({results['started_at']})",
        "",
        f"{m['cpus']} CPUs, load average at start {m['load_average_at_start'][0]:.2f}; "
        f"{m['database']}; Python {m['python']}; `dopys serve --workers {s['workers']}` "
        f"(uvicorn, uvloop, httptools); wrk -t{s['threads']} -c{s['connections']} "
        f"-d{s['duration']:g}s after {s['warmup']:g}s warm-up; data ceiling: one process, "
        f"{s['data_seconds']:g}s loop.",
        "",
        *table(results),
        "",
        f"- Import: {import_line(results['import'])}",
        f"- After import: {results['settle']}",
        f"- Largest worker RSS under load: {results['worker_rss_under_load_mb']['largest']:.0f} MB",
        "",
        "| target (issue 5) | measured | met |",
        "|---|---:|:---:|",
    ]
    for name, measured, met in targets(results):
        lines.append(f"| {name} | {measured} | {'–' if met is None else 'yes' if met else 'NO'} |")
    lines += _profiles(results.get("profiles"))
    errors = results.get("server_errors") or {}
    if errors.get("tracebacks"):
        lines += [
            "",
            f"The server logged {errors['tracebacks']} tracebacks (log: {errors['log']}); "
            "the first ends:",
            "",
            *[f"    {ln}" for ln in errors["first"].splitlines()[-12:]],
        ]
    return "\n".join(lines) + "\n"
