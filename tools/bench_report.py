#!/usr/bin/env python3
"""Plots for an `odb-redirect bench` output directory.

Reads DIR/samples.json and writes PNGs next to it: CPU per request vs body size per mode,
throughput vs chain length, latency CDF at fixed rate, and memory vs body size. Failed
samples are left out; each point is the median over the passed repetitions.

Usage: python3 tools/bench_report.py DIR
"""

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on benchmark machines
import matplotlib.pyplot as plt  # noqa: E402

MODE_ORDER = ["direct", "kernel", "splice", "copy", "kernel-faults", "haproxy", "nginx", "external"]


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
    if not subset:
        return None
    medians = median_by(subset, ("mode", "body_bytes"), field)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for mode in modes_in(subset):
        points = sorted((size, v) for (m, size), v in medians.items() if m == mode)
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=mode)
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


def chain_sweep(rows, out):
    """Requests/s over chain length, one panel per body size that has more than one chain length."""
    subset = [r for r in rows if r["load"] == "saturation" and r["chain"] >= 1]
    sizes = sorted({r["body_bytes"] for r in subset if r["chain"] > 1})
    if not sizes:
        return None
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 4.5), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        at_size = [r for r in subset if r["body_bytes"] == size]
        concurrency = most_common(at_size, "concurrency")
        medians = median_by([r for r in at_size if r["concurrency"] == concurrency], ("mode", "chain"), "requests_per_second")
        for mode in modes_in(at_size):
            points = sorted((c, v) for (m, c), v in medians.items() if m == mode)
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=mode)
        ax.set_xlabel("chain length (intermediates)")
        ax.set_ylabel("requests/s")
        ax.set_title(f"{size // 1024} KiB bodies, {concurrency} connections")
        ax.grid(True, alpha=0.3)
        ax.legend()
    path = out / "throughput_vs_chain.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


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
        label = f"{row['mode']} {row['body_bytes'] // 1024} KiB @ {int(row['target_rate'])}/s"
        ax.plot([p[1] for p in cdf], [p[0] for p in cdf], label=label)
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
    for row in rows:
        row["peak_intermediate_rss_mib"] = row["peak_intermediate_rss_kib"] / 1024
        row["mem_available_drop_mib"] = row["mem_available_drop_kib"] / 1024
    made = [
        size_sweep(rows, out, "machine_cpu_micros_per_request", "whole-machine CPU µs per request",
                   "cpu_per_request_machine.png", "Whole-machine CPU per request"),
        size_sweep(rows, out, "intermediate_cpu_micros_per_request", "intermediate CPU µs per request",
                   "cpu_per_request_intermediate.png", "Intermediate (relay/proxy) CPU per request"),
        size_sweep(rows, out, "peak_intermediate_rss_mib", "peak intermediate RSS (MiB)",
                   "memory_rss.png", "Peak intermediate RSS"),
        size_sweep([r for r in rows if r["mem_available_drop_kib"] > 0], out, "mem_available_drop_mib",
                   "largest MemAvailable drop (MiB)", "memory_kernel.png", "Kernel memory (MemAvailable drop)"),
        chain_sweep(rows, out),
        latency_cdf(rows, out),
    ]
    for path in made:
        if path:
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
