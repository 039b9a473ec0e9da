"""Tables (Markdown), target checks and plots (PNG) from the results of one run."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench import split

BEGIN = "<!-- bench:results:begin (written by bench/run; edit around, not inside) -->"
END = "<!-- bench:results:end -->"
PLOTS = ("eval-latency.png", "compile-time.png")

MB = 1024 * 1024


def _size(results: dict[str, Any], size: int) -> dict[str, Any] | None:
    return next((s for s in results["sizes"] if s["size"] == size), None)


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, verdict, met) for each target of issue #7 that this run can judge."""
    rows: list[tuple[str, str, str, bool | None]] = []
    small, mid, large = _size(results, 100), _size(results, 10_000), _size(results, 100_000)
    if small and large:
        a, b = small["evaluation"]["ours_us"]["p99"], large["evaluation"]["ours_us"]["p99"]
        ratio = b / a
        rows.append(
            (
                "eval p99 at 100k ≤ 1.5 × p99 at 100",
                f"{b:,.0f} µs vs {a:,.0f} µs: {ratio:.2f} ×",
                _verdict(ratio <= 1.5, f"{ratio / 1.5:.2f} × the limit"),
                ratio <= 1.5,
            )
        )
    if mid and mid["evaluation"]["baseline_mtp_us"]:
        ours, base = mid["evaluation"]["ours_mtp_us"], mid["evaluation"]["baseline_mtp_us"]
        speedup = base["median"] / ours["median"]
        rows.append(
            (
                "eval at 10k ≥ 20 × faster than the baseline (medians, MeshTrafficPermission requests)",
                f"{ours['median']:,.0f} µs vs {base['median']:,.0f} µs: {speedup:,.1f} × "
                f"(p99: {base['p99'] / ours['p99']:,.1f} ×)",
                _verdict(speedup >= 20, f"{speedup:.1f} of 20 ×"),
                speedup >= 20,
            )
        )
    if large:
        c = large["compile"]
        ratio = c["gen_bundle_seconds"]["median"] / c["bare_parse_seconds"]["median"]
        peak = c["gen_bundle_peak_bytes"]["max"]
        rows.append(
            (
                "compile at 100k within 5 × the bare parse",
                f"{c['gen_bundle_seconds']['median']:,.1f} s vs {c['bare_parse_seconds']['median']:,.1f} s: "
                f"{ratio:.1f} ×",
                _verdict(ratio <= 5, f"{ratio / 5:.1f} × the limit"),
                ratio <= 5,
            )
        )
        rows.append(
            (
                "compile at 100k under 2 GB peak memory",
                f"{peak / MB:,.0f} MiB",
                _verdict(peak < 2 * 1024 * MB, f"{peak / (2 * 1024 * MB):.2f} × the limit"),
                peak < 2 * 1024 * MB,
            )
        )
        a = large["activation"]
        seconds, rss = a["activation_seconds"]["max"], a["rss_bytes"]["max"]
        rows.append(
            (
                "OPA activation of the 100k bundle under 3 s",
                f"{a['activation_seconds']['median']:.2f} s (worst {seconds:.2f} s)",
                _verdict(seconds < 3, f"{seconds / 3:.2f} × the limit"),
                seconds < 3,
            )
        )
        rows.append(
            (
                "OPA memory with the 100k bundle under 1 GB",
                f"{rss / MB:,.0f} MiB RSS (worst)",
                _verdict(rss < 1024 * MB, f"{rss / (1024 * MB):.2f} × the limit"),
                rss < 1024 * MB,
            )
        )
    rows += floor_targets(results)
    envoy = results.get("envoy") or {}
    nop = envoy.get("nop_added_p99_ms")
    if envoy.get("added_p99_ms") is not None and nop:
        for key, label in (
            ("added_p99_ms", "decision logs on"),
            ("no_decision_logs_added_p99_ms", "decision logs off"),
        ):
            added = envoy.get(key)
            if added is None:
                continue
            ratio = added / nop
            rows.append(
                (
                    f"ext_authz added p99 ≤ 1.5 × the allow-at-once OPA's at {envoy.get('rate')} req/s ({label})",
                    f"+{added:.2f} ms vs +{nop:.2f} ms = {ratio:.2f} ×",
                    _verdict(ratio <= 1.5, f"{ratio:.2f} × of 1.5 ×"),
                    ratio <= 1.5,
                )
            )
    else:
        rows.append(
            (
                "ext_authz added p99 ≤ 1.5 × the allow-at-once OPA's",
                envoy.get("status", "not run"),
                "not measured",
                None,
            )
        )
    return rows + split.targets(results)


def floor_table(results: dict[str, Any]) -> list[str]:
    out = [
        "",
        "### Decisions next to their floors",
        "",
        "Medians in µs (p99), the same OPA and inputs, interleaved. The inbound floor is the bare certificate "
        "parse (`crypto.x509.parse_certificates(urlquery.decode(...))`); the outbound floor reads the "
        "destination and looks it up once in the compiled data (bench/floor/floor.rego). *Minimal policy*: the "
        "parse plus one keyed look-up of the entries for the local and the client service, the least any "
        "certificate decision could do, a yardstick for what OPA charges per rule. *Session*: the same "
        "inbound checks with the client's URI SANs handed over from Envoy's TLS session instead of its "
        "certificate.",
        "",
        "| policies | inbound, by certificate | certificate parse | ratio | minimal policy | ratio "
        "| inbound, session | session / certificate | outbound | outbound floor | ratio |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in results["sizes"]:
        e = s["evaluation"]
        if not e.get("floor_certificate_us"):
            continue
        cert, parse, session = e["inbound_certificate_us"], e["floor_certificate_us"], e["inbound_session_us"]
        minimal = e["minimal_inbound_us"]
        outbound, floor = e["outbound_us"], e["floor_outbound_us"]
        out.append(
            f"| {s['size']:,} | {_us(cert)} | {_us(parse)} | {cert['median'] / parse['median']:.2f} × | "
            f"{_us(minimal)} | {minimal['median'] / parse['median']:.2f} × | "
            f"{_us(session)} | {session['median'] / cert['median']:.2f} × | {_us(outbound)} | {_us(floor)} | "
            f"{outbound['median'] / floor['median']:.2f} × |"
        )
    out += [
        "",
        "The same inbound requests sent as deploy/ sends them (every setting of the local side), each answered "
        "by the decision table of its inbound as a Dataplane's split bundle carries it (docs/split.md "
        '"Decision tables"); the parse timed on that same input.',
        "",
        "| policies | tables | requests a table answers | by certificate | certificate parse | ratio "
        "| session | session / certificate |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in results["sizes"]:
        e = s["evaluation"]
        if not e.get("table_certificate_us") or not e["table_certificate_us"]["n"]:
            continue
        cert, parse, session = e["table_certificate_us"], e["floor_table_certificate_us"], e["table_session_us"]
        out.append(
            f"| {s['size']:,} | {e['decision_tables']:,} | {e['table_requests']:,} | {_us(cert)} | {_us(parse)} | "
            f"{cert['median'] / parse['median']:.2f} × | {_us(session)} | {session['median'] / cert['median']:.2f} × |"
        )
    return out


def floor_targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """Issue #15: each decision next to what it cannot avoid (bench/floor/floor.rego), medians of the same
    run and inputs, at every size; the identity from the TLS session next to the certificate path."""
    rows: list[tuple[str, str, str, bool | None]] = []
    for label, ours_key, floor_key, limit in (
        (
            "inbound decision by certificate ≤ 1.5 × the bare certificate parse",
            "inbound_certificate_us",
            "floor_certificate_us",
            1.5,
        ),
        (
            "outbound decision ≤ 1.5 × reading the destination and one keyed look-up",
            "outbound_us",
            "floor_outbound_us",
            1.5,
        ),
        (
            "inbound decision with the TLS session's URI SANs ≤ 0.25 × by certificate",
            "inbound_session_us",
            "inbound_certificate_us",
            0.25,
        ),
        (
            "inbound decision from a decision table, by certificate, ≤ 1.5 × the bare certificate parse",
            "table_certificate_us",
            "floor_table_certificate_us",
            1.5,
        ),
        (
            "inbound decision from a decision table, TLS session's URI SANs, ≤ 0.25 × by certificate",
            "table_session_us",
            "table_certificate_us",
            0.25,
        ),
    ):
        measured = [
            (s["size"], s["evaluation"][ours_key]["median"] / s["evaluation"][floor_key]["median"])
            for s in results["sizes"]
            if s["evaluation"].get(ours_key)
            and s["evaluation"].get(floor_key)
            and s["evaluation"][floor_key]["n"]
            and s["evaluation"][ours_key]["n"]
        ]
        if not measured:
            rows.append((label + " (medians, every size)", "not measured", "not measured", None))
            continue
        worst = max(ratio for _, ratio in measured)
        rows.append(
            (
                label + " (medians, every size)",
                ", ".join(f"{size:,}: {ratio:.2f} ×" for size, ratio in measured),
                _verdict(worst <= limit, f"worst {worst:.2f} × of {limit} ×"),
                worst <= limit,
            )
        )
    return rows


def _verdict(met: bool, detail: str) -> str:
    return "**met**" if met else f"**missed** ({detail})"


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        f"Run of {results['started']}: `{results['command'].strip()}`, {results['total_seconds'] / 60:.1f} min. "
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory_bytes'] / 1024**3:.1f} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, OPA {m['opa']}; load average {m['load_average_at_start'][0]:.2f} at the start, "
        f"{m.get('load_average_at_end', [float('nan')])[0]:.2f} at the end.",
        "",
        "### Targets",
        "",
        "| target | measured | verdict |",
        "| --- | --- | --- |",
    ]
    out += [f"| {t} | {measured} | {verdict} |" for t, measured, verdict, _ in targets(results)]
    out += [
        "",
        "### Compile and activation",
        "",
        "Medians over the repetitions, p99 in brackets (with a few repetitions the p99 is the worst run).",
        "",
        "| policies | services | MTP `from` entries | YAML | gen-bundle | bare parse | ratio | gen-bundle peak | "
        "bundle | OPA activation | OPA RSS |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in results["sizes"]:
        c, a = s["compile"], s["activation"]
        out.append(
            f"| {s['size']:,} | {s['services']:,} | {s['mtp_from_entries']:,} | {c['yaml_bytes'] / MB:,.1f} MiB | "
            f"{c['gen_bundle_seconds']['median']:,.2f} s ({c['gen_bundle_seconds']['p99']:,.2f}) | "
            f"{c['bare_parse_seconds']['median']:,.2f} s ({c['bare_parse_seconds']['p99']:,.2f}) | "
            f"{c['gen_bundle_seconds']['median'] / c['bare_parse_seconds']['median']:.1f} × | "
            f"{c['gen_bundle_peak_bytes']['max'] / MB:,.0f} MiB | {a['bundle_bytes'] / 1024:,.0f} KiB | "
            f"{a['activation_seconds']['median']:.2f} s ({a['activation_seconds']['p99']:.2f}) | "
            f"{a['rss_bytes']['median'] / MB:,.0f} MiB ({a['rss_bytes']['p99'] / MB:,.0f}) |"
        )
    out += [
        "",
        "### Decision evaluation inside OPA (`timer_rego_query_eval_ns`)",
        "",
        "µs, median (p99) over every timed decision. *all*: every request set, inbound and outbound; "
        "*MTP*: the MeshTrafficPermission request sets (first, middle, last and no entry), which the baseline "
        "decides too.",
        "",
        "| policies | ours, all | ours, MTP | baseline, MTP | baseline / ours (median) | "
        "decisions timed (ours / baseline) "
        "| OPA server handler, all |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in results["sizes"]:
        e = s["evaluation"]
        base = e["baseline_mtp_us"]
        out.append(
            f"| {s['size']:,} | {_us(e['ours_us'])} | {_us(e['ours_mtp_us'])} | {_us(base) if base else '–'} | "
            f"{base['median'] / e['ours_mtp_us']['median']:,.1f} × | {e['ours_us']['n']:,} / "
            f"{base['n'] if base else 0:,} | "
            f"{_us(e['server_handler_us'])} |"
        )
    categories = sorted({c for s in results["sizes"] for c in s["evaluation"]["ours_by_category_us"]})
    out += [
        "",
        "Per request set, ours (baseline for the MTP sets), µs median (p99):",
        "",
        "| request set | " + " | ".join(f"{s['size']:,}" for s in results["sizes"]) + " |",
        "| --- | " + " | ".join("---:" for _ in results["sizes"]) + " |",
    ]
    for category in categories:
        cells = []
        for s in results["sizes"]:
            ours = s["evaluation"]["ours_by_category_us"].get(category)
            base = s["evaluation"]["baseline_by_category_us"].get(category)
            cell = _us(ours) if ours else "–"
            if base:
                cell += f" / {_us(base)}"
            cells.append(cell)
        out.append(f"| {category} | " + " | ".join(cells) + " |")
    out += floor_table(results)
    out += split.markdown(results)
    envoy = results.get("envoy")
    out += ["", "### End to end through Envoy", ""]
    if envoy and envoy.get("with_ext_authz"):
        out += [
            f"{envoy.get('description', '')}",
            "",
            "| path | rate | p50 | p90 | p99 | p99.9 | achieved req/s | errors | CPU per "
            "request: OPA-Envoy / server Envoy |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for key, label in (
            ("without_ext_authz", "client → Envoy (mTLS) → Envoy → app"),
            ("with_ext_authz", f"… → Envoy + ext_authz (OPA-Envoy, {envoy.get('size', 0):,}-policy bundle) → app"),
            ("with_ext_authz_no_decision_logs", "… the same, OPA-Envoy without decision logs"),
            ("with_ext_authz_nop_policy", "… → Envoy + ext_authz (OPA-Envoy, policy that allows at once) → app"),
            ("with_ext_authz_whole_mesh", "… → Envoy + ext_authz (OPA-Envoy, the whole-mesh bundle) → app"),
        ):
            r = envoy.get(key)
            if not r:
                continue
            cpu = r.get("cpu_ms_per_request", {})
            out.append(
                f"| {label} | {envoy['rate']} req/s | {r['p50_ms']['median']:.2f} ms | "
                f"{r['p90_ms']['median']:.2f} ms | "
                f"{r['p99_ms']['median']:.2f} ms | {r['p999_ms']['median']:.2f} ms | "
                f"{r['qps']['median']:,.0f} | {r['errors']} | "
                f"{cpu.get('opa_envoy', 0):.2f} ms / {cpu.get('server_envoy', 0):.2f} ms |"
            )
        out += [
            "",
            f"ext_authz adds {envoy['added_p50_ms']:+.2f} ms at p50 and {envoy['added_p99_ms']:+.2f} ms at p99; "
            f"without decision logs it adds {envoy.get('no_decision_logs_added_p99_ms', float('nan')):+.2f} ms at p99, "
            f"the allow-at-once policy {envoy['nop_added_p99_ms']:+.2f} ms. OPA-Envoy activated the bundle "
            f"in {envoy.get('opa_envoy_activation_seconds', float('nan')):.2f} s (download from nginx included) and "
            f"held {(envoy.get('opa_envoy_rss_bytes') or 0) / MB:,.0f} MiB RSS after the runs.",
        ]
    else:
        out.append(f"Not measured: {(envoy or {}).get('status', 'skipped (--envoy skip)')}")
    for note in (envoy or {}).get("notes", []):
        out.append(f"\n{note}")
    problems = [p for s in results["sizes"] for p in s["evaluation"]["problems"]]
    out += ["", "### Decision checks", ""]
    out.append(
        "Every request's decision matched its expected reason and policy, and the baseline agreed with the "
        "library on every MeshTrafficPermission request."
        if not problems
        else "Problems:\n\n" + "\n".join(f"- {p}" for p in problems)
    )
    return "\n".join(out) + "\n"


def _us(summary: dict[str, Any]) -> str:
    return f"{summary['median']:,.0f} ({summary['p99']:,.0f})"


def plots(results: dict[str, Any], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s["size"] for s in results["sizes"]]
    if not sizes:
        return
    figure, axes = plt.subplots(figsize=(7.5, 4.8))
    series = [
        ("ours, median (all requests)", [s["evaluation"]["ours_us"]["median"] for s in results["sizes"]], "C0", "-"),
        ("ours, p99 (all requests)", [s["evaluation"]["ours_us"]["p99"] for s in results["sizes"]], "C0", "--"),
        (
            "ours, median (MTP requests)",
            [s["evaluation"]["ours_mtp_us"]["median"] for s in results["sizes"]],
            "C2",
            "-",
        ),
    ]
    if all(s["evaluation"]["baseline_mtp_us"] for s in results["sizes"]):
        series += [
            (
                "baseline, median (MTP requests)",
                [s["evaluation"]["baseline_mtp_us"]["median"] for s in results["sizes"]],
                "C3",
                "-",
            ),
            (
                "baseline, p99 (MTP requests)",
                [s["evaluation"]["baseline_mtp_us"]["p99"] for s in results["sizes"]],
                "C3",
                "--",
            ),
        ]
    for label, values, color, style in series:
        axes.plot(sizes, [v / 1000 for v in values], style, color=color, marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("policies in the mesh")
    axes.set_ylabel("decision evaluation in OPA (ms, log)")
    axes.set_title(
        f"Decision cost vs policy count (OPA {results['machine']['opa']}, {results['machine']['nproc']} CPUs)"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / PLOTS[0], dpi=110)
    plt.close(figure)

    figure, axes = plt.subplots(figsize=(7.5, 4.8))
    axes.plot(
        sizes,
        [s["compile"]["gen_bundle_seconds"]["median"] for s in results["sizes"]],
        "-o",
        color="C0",
        label="gen-bundle (median)",
    )
    axes.plot(
        sizes,
        [s["compile"]["bare_parse_seconds"]["median"] for s in results["sizes"]],
        "-o",
        color="C1",
        label="bare PyYAML CSafeLoader parse (median)",
    )
    axes.plot(
        sizes,
        [5 * s["compile"]["bare_parse_seconds"]["median"] for s in results["sizes"]],
        ":",
        color="C1",
        label="5 × bare parse (target)",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("policies in the mesh")
    axes.set_ylabel("wall time (s, log)")
    axes.set_title("Compile time vs policy count")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(out / PLOTS[1], dpi=110)
    plt.close(figure)


def update_docs(results: dict[str, Any], text: str, docs: Path) -> None:
    """Replace the generated block of docs/benchmarks.md and copy the plots to docs/benchmarks/."""
    page = docs / "benchmarks.md"
    (docs / "benchmarks").mkdir(exist_ok=True)
    out = Path(results["settings"]["out"])
    for name in PLOTS:
        if (out / name).exists():
            shutil.copy(out / name, docs / "benchmarks" / name)
    content = page.read_text() if page.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in content or END not in content:
        content += f"\n{BEGIN}\n{END}\n"
    head, rest = content.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}")
