#!/usr/bin/env python3
"""Plots for an `odb-redirect bench` output directory (the bench runs it at the end of every run).

Reads DIR/samples.json and writes PNGs next to it: each metric against chain length (one panel
per body size, one line per mode, direct as a dashed line), CPU per request and memory against
body size, and the latency CDF at fixed rate. Failed samples are left out; each point is the
median over the passed repetitions. Prints the path of every PNG written.

Usage: python3 tools/bench_report.py DIR
"""

import json
import os
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on benchmark machines
import matplotlib.pyplot as plt  # noqa: E402

MODE_ORDER = ["direct", "copy", "kernel", "splice", "auto", "kernel-faults", "virtual", "virtual-faults",
              "haproxy", "nginx", "external"]

# The research's names for the relay modes it compares.
MODE_LABELS = {
    "copy": "copy (real)",
    "kernel": "kernel (shortcut)",
    "virtual": "virtual",
    "virtual-faults": "virtual-faults (virtual-faulted)",
    "haproxy": "HAProxy (splice)",
}

# (field, axis label, file stem, log scale) of every metric plotted against chain length.
CHAIN_METRICS = [
    ("requests_per_second", "requests/s", "requests_per_second", False),
    ("megabytes_per_second", "body MB/s", "megabytes_per_second", False),
    ("latency_p50_ms", "latency p50 (ms)", "latency_p50", True),
    ("latency_p99_ms", "latency p99 (ms)", "latency_p99", True),
    ("intermediate_cpu_micros_per_request", "intermediates' CPU µs per request", "cpu_intermediate_per_request", False),
    ("intermediate_cores", "intermediates' CPU (cores busy)", "cpu_intermediate_cores", False),
    ("machine_cpu_micros_per_request", "whole-machine CPU µs per request", "cpu_machine_per_request", False),
    ("topology_cpu_micros_per_request", "machine CPU µs per request, less other processes", "cpu_topology_per_request", False),
    ("peak_intermediate_rss_mib", "peak intermediates' RSS (MiB)", "memory_rss", False),
    ("mem_available_drop_mib", "largest MemAvailable drop (MiB)", "memory_kernel", False),
    ("tcp_mem_peak_mib", "peak TCP memory (MiB)", "memory_tcp", False),
    ("body_hops_per_request", "body bytes relays carried / body bytes served", "body_hops", False),
]


def median_by(rows, key_fields, value_field):
    """Median of value_field per key over rows where the value is present."""
    groups = defaultdict(list)
    for row in rows:
        value = row.get(value_field)
        if value is not None:
            groups[tuple(row[f] for f in key_fields)].append(value)
    return {key: statistics.median(values) for key, values in groups.items()}


def most_common(rows, field):
    """The value of field most rows share, to pick the main slice of a sweep."""
    counts = defaultdict(int)
    for row in rows:
        counts[row[field]] += 1
    return max(counts, key=counts.get) if counts else None


def modes_in(rows):
    present = {row["mode"] for row in rows}
    return [m for m in MODE_ORDER if m in present]


def size_sweep(rows, out, field, ylabel, filename, title):
    """One line per mode over body size, at the most common concurrency and chain 1 (0 for direct)."""
    concurrency = most_common(rows, "concurrency")
    subset = [r for r in rows if r["load"] == "saturation" and r["concurrency"] == concurrency and r["chain"] in (0, 1)]
    if len({r["body_bytes"] for r in subset}) < 2:
        return None
    medians = median_by(subset, ("mode", "body_bytes"), field)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode in modes_in(subset):
        points = sorted((size, v) for (m, size), v in medians.items() if m == mode)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label(mode))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("body size (bytes)")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{title} ({concurrency} connections, chain 1)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path = out / filename
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def label(mode):
    return MODE_LABELS.get(mode, mode)


def chain_sweeps(rows, out):
    """Each metric against chain length, per load kind: one panel per body size with more than
    one chain length, one line per mode, direct (no intermediate) as a dashed line."""
    made = []
    for load in ("saturation", "rate"):
        at_load = [r for r in rows if r["load"] == load]
        sizes = sorted({r["body_bytes"] for r in at_load if r["chain"] > 1})
        if not sizes:
            continue
        for field, ylabel, stem, log in CHAIN_METRICS:
            if not any(r.get(field) is not None for r in at_load if r["chain"] >= 1):
                continue
            fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
            for ax, size in zip(axes[0], sizes):
                at_size = [r for r in at_load if r["body_bytes"] == size]
                concurrency = most_common(at_size, "concurrency")
                chosen = [r for r in at_size if r["concurrency"] == concurrency]
                medians = median_by(chosen, ("mode", "chain"), field)
                for mode in modes_in(chosen):
                    points = sorted((c, v) for (m, c), v in medians.items() if m == mode)
                    if mode == "direct":
                        for _, value in points:
                            ax.axhline(value, linestyle="--", color="grey", label="direct (no intermediate)")
                    elif points:
                        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label(mode))
                rate = f" at {int(chosen[0]['target_rate'])} req/s" if load == "rate" and chosen[0].get("target_rate") else ""
                ax.set_xlabel("chain length (intermediates)")
                ax.set_ylabel(ylabel)
                if log:
                    ax.set_yscale("log")
                else:
                    ax.set_ylim(bottom=0)
                ax.set_title(f"{size_label(size)} bodies, {concurrency} connections{rate}")
                ax.xaxis.get_major_locator().set_params(integer=True)
                ax.grid(True, which="both", alpha=0.3)
                ax.legend(fontsize="small")
            path = out / f"chain_{stem}_{load}.png"
            fig.tight_layout()
            fig.savefig(path, dpi=90)
            plt.close(fig)
            made.append(path)
    return made


def size_label(size):
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    if size >= 1 << 10 and size % (1 << 10) == 0:
        return f"{size >> 10} KiB"
    return f"{size} B"


def latency_cdf(rows, out):
    """Latency CDF of the fixed-rate runs, first passed repetition per mode and size."""
    subset = [r for r in rows if r["load"] == "rate" and r.get("latency_cdf")]
    if not subset:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    seen = set()
    for row in sorted(subset, key=lambda r: (MODE_ORDER.index(r["mode"]) if r["mode"] in MODE_ORDER else 99, r["body_bytes"])):
        key = (row["mode"], row["body_bytes"], row["chain"])
        if key in seen:
            continue
        seen.add(key)
        cdf = row["latency_cdf"]
        name = f"{label(row['mode'])} ×{row['chain']} {size_label(row['body_bytes'])} @ {int(row['target_rate'])}/s"
        ax.plot([p[1] for p in cdf], [p[0] for p in cdf], label=name)
    ax.set_xscale("log")
    ax.set_xlabel("latency from scheduled send (ms, coordinated-omission corrected)")
    ax.set_ylabel("percent of requests")
    ax.set_title("Latency at a fixed request rate")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    path = out / "latency_cdf_fixed_rate.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[1])
    rows = [r for r in json.loads((out / "samples.json").read_text()) if not r["failed"]]
    page_mib = os.sysconf("SC_PAGE_SIZE") / 1048576
    for row in rows:
        row["peak_intermediate_rss_mib"] = row["peak_intermediate_rss_kib"] / 1024
        row["mem_available_drop_mib"] = row["mem_available_drop_kib"] / 1024
        row["tcp_mem_peak_mib"] = row["tcp_mem_peak_pages"] * page_mib
        row["intermediate_cores"] = row["intermediate_cpu_seconds"] / row["seconds"] if row["seconds"] else None
    made = chain_sweeps(rows, out) + [
        size_sweep(rows, out, "machine_cpu_micros_per_request", "whole-machine CPU µs per request",
                   "cpu_per_request_machine.png", "Whole-machine CPU per request"),
        size_sweep(rows, out, "intermediate_cpu_micros_per_request", "intermediate CPU µs per request",
                   "cpu_per_request_intermediate.png", "Intermediate (relay/proxy) CPU per request"),
        size_sweep(rows, out, "peak_intermediate_rss_mib", "peak intermediate RSS (MiB)",
                   "memory_rss.png", "Peak intermediate RSS"),
        size_sweep([r for r in rows if r["mem_available_drop_kib"] > 0], out, "mem_available_drop_mib",
                   "largest MemAvailable drop (MiB)", "memory_kernel.png", "Kernel memory (MemAvailable drop)"),
        latency_cdf(rows, out),
    ]
    for path in made:
        if path:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
