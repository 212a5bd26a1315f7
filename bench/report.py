"""Turns the raw lines of bench/run.sh ("scenario server round metric value") into
bench/results/NAME.json (median, min, max per figure and the ratio ternd/peer of the medians),
a text table NAME.txt (also printed) and a chart NAME.png drawn by gnuplot; latest.* point to
them. Ratios are ternd divided by the peer for every figure: above 1 is better for rates and
held sessions, below 1 is better for memory and for disk writes and flushes per message.
    /usr/bin/python3 bench/report.py bench/results/bench-TIME.raw"""
import json
import pathlib
import statistics
import subprocess
import sys

SERVERS = ["ternd", "postfix", "opensmtpd", "exim", "smtp-sink"]
PEERS = ["postfix", "opensmtpd", "exim", "smtp-sink"]
UNITS = {"accept": "msg/s", "end_to_end": "msg/s", "relay": "msg/s", "held": "sessions",
         "rss_mib": "MiB", "pss_mib": "MiB", "pss_kib_per_session": "KiB", "processes": "", "connections": "", "commits": "/s",
         "errors": "lines", "writes_per_msg": "/msg", "flushes_per_msg": "/msg"}


def load(path):
    comments, figures, rounds = [], {}, {}
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            comments.append(line[1:].strip())
            continue
        scenario, server, round_, metric, value = line.split()
        figures.setdefault((scenario, metric), {}).setdefault(server, []).append(float(value))
        rounds.setdefault((scenario, server, round_), {})[metric] = float(value)
    for (scenario, server, _), metrics in rounds.items():  # servers held different numbers
        if metrics.get("held") and "pss_mib" in metrics:
            per_session = metrics["pss_mib"] * 1024 / metrics["held"]
            figures.setdefault((scenario, "pss_kib_per_session"), {}).setdefault(server, []).append(per_session)
    return comments, figures


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "rounds": len(values), "values": values}


def number(value):
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def cell(stats):
    if stats is None:
        return "-"
    if stats["rounds"] == 1 or stats["min"] == stats["max"]:
        return number(stats["median"])
    return f"{number(stats['median'])} ({number(stats['min'])}-{number(stats['max'])})"


def order(item):
    """accept-s1-4k, accept-s20-4k, ... accept-s100-100k, then the others as named."""
    (scenario, metric), _ = item
    parts = scenario.split("-")
    if parts[0] == "accept":
        return (0, int(parts[2].rstrip("k")), int(parts[1][1:]), metric)
    return (1, scenario, 0, metric)


def build(figures):
    results, ratios = {}, {}
    for (scenario, metric), by_server in sorted(figures.items(), key=order):
        stats = {server: summary(values) for server, values in by_server.items()}
        results.setdefault(scenario, {})[metric] = stats
        ours = stats.get("ternd")
        for peer in PEERS:
            theirs = stats.get(peer)
            if ours and theirs and theirs["median"]:
                ratios.setdefault(scenario, {}).setdefault(metric, {})[peer] = ours["median"] / theirs["median"]
    return results, ratios


def targets(results, ratios):
    """The goals of issue 7, checked against this run."""
    lines = []

    def ratio(scenario, metric, peer):
        return ratios.get(scenario, {}).get(metric, {}).get(peer)
    accept = ratio("accept-s20-4k", "accept", "postfix")
    if accept is not None:
        lines.append(f"accept 20 sessions x 4 KiB >= 5x Postfix: {accept:.2f}x {'met' if accept >= 5 else 'NOT met'}")
    ceiling = ratio("accept-s20-4k", "accept", "smtp-sink")
    if ceiling is not None:
        lines.append(f"accept >= 0.5x smtp-sink: {ceiling:.2f}x {'met' if ceiling >= 0.5 else 'NOT met'}")
    e2e = ratio("accept-s20-4k", "end_to_end", "postfix")
    if e2e is not None:
        lines.append(f"end to end >= 5x Postfix: {e2e:.2f}x {'met' if e2e >= 5 else 'NOT met'}")
    idle = results.get("idle", {})
    if "ternd" in idle.get("held", {}):
        held = idle["held"]["ternd"]["min"]
        rss = idle["rss_mib"]["ternd"]["max"]
        lines.append(f"idle sessions held: {held:.0f}, in {rss:.1f} MiB RSS (target 10000 in < 100 MiB)")
    return lines


def table(results, ratios):
    header = ["scenario", "figure"] + SERVERS + [f"ternd/{peer}" for peer in PEERS]
    rows = [header]
    for scenario, metrics in results.items():
        for metric, stats in metrics.items():
            if not any(server in stats for server in SERVERS):
                continue
            unit = UNITS.get(metric, "")
            row = [scenario, f"{metric} {unit}".strip()]
            row += [cell(stats.get(server)) for server in SERVERS]
            row += [f"{ratios[scenario][metric][peer]:.2f}" if peer in ratios.get(scenario, {}).get(metric, {})
                    else "-" for peer in PEERS]
            rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    text = "\n".join("  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in rows)
    others = [f"{scenario} {server} {metric} {cell(stats[server])}" for scenario, metrics in results.items()
              for metric, stats in metrics.items() for server in stats if server not in SERVERS]
    return text + ("\n\n" + "\n".join(others) if others else "")


def chart_data(results, scenarios, metric, servers, path):
    lines = ["scenario " + " ".join(servers)]
    for scenario in scenarios:
        stats = results.get(scenario, {}).get(metric, {})
        lines.append(scenario + " " + " ".join(f"{stats[s]['median']:.2f}" if s in stats else "NaN" for s in servers))
    path.write_text("\n".join(lines) + "\n")


def chart(results, base):
    accept = [s for s in results if s.startswith("accept-")]
    panels = [("accept", accept, "accepted (durably; smtp-sink: not), msg/s", SERVERS),
              ("end_to_end", accept, "end to end into the Maildir, msg/s", SERVERS[:4]),
              ("relay", ["outbound"], "outbound to 10 domains, msg/s", SERVERS[:4]),
              ("pss_kib_per_session", ["idle"], "memory (PSS) per idle session held, KiB", SERVERS[:4])]
    script = [f"set terminal pngcairo size 1400,1000 font ',10'", f"set output '{base}.png'",
              "set multiplot layout 2,2 title 'tern benchmarks: ternd vs Postfix, OpenSMTPD, Exim (median of rounds)'",
              "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8 border -1",
              "set key top right autotitle columnheader", "set logscale y", "set grid ytics",
              "set xtics rotate by -20"]
    for metric, scenarios, title, servers in panels:
        servers = [server for server in servers
                   if any(server in results.get(s, {}).get(metric, {}) for s in scenarios)]
        if not servers:
            continue
        data = pathlib.Path(f"{base}.{metric}.dat")
        chart_data(results, scenarios, metric, servers, data)
        columns = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{server}'" for i, server in enumerate(servers))
        script += [f"set title '{title}'", f"plot {columns}"]
    script.append("unset multiplot")
    gp = pathlib.Path(f"{base}.gp")
    gp.write_text("\n".join(script) + "\n")
    subprocess.run(["gnuplot", str(gp)], check=True)


def main(raw_path):
    raw = pathlib.Path(raw_path)
    base = raw.with_suffix("")
    comments, figures = load(raw)
    results, ratios = build(figures)
    goals = targets(results, ratios)
    document = {"run": comments, "results": results, "ratios_ternd_over_peer": ratios, "targets": goals}
    pathlib.Path(f"{base}.json").write_text(json.dumps(document, indent=1) + "\n")
    text = "\n".join(comments) + "\n\n" + table(results, ratios) + "\n\n" + "\n".join(goals) + "\n"
    pathlib.Path(f"{base}.txt").write_text(text)
    chart(results, base)
    for suffix in ("json", "txt", "png", "raw"):
        link = raw.parent / f"latest.{suffix}"
        link.unlink(missing_ok=True)
        link.symlink_to(f"{base.name}.{suffix}")
    print(text + f"\nwritten: {base}.json {base}.txt {base}.png")


if __name__ == "__main__":
    main(sys.argv[1])
