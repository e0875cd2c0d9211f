#!/usr/bin/env python3
"""Where one relay mode's CPU goes, for GETs of one body size through a running relay: the
whole machine (busy = elapsed x CPUs - idle, and /proc/stat's user/system/softirq), the relay
process, and kernel threads (kworkers run the psock backlog) by name.

Usage: profile_path.py URL COUNT CONCURRENCY RELAY_PID [--perf OUT.txt] [--bpf-stats]

COUNT is a number of requests (python clients that check each body's length) or wrk:SECONDS
(wrk, lighter on the CPU). Prints one JSON line. With --perf, also samples every CPU with
`perf record -e cpu-clock -a -g` (hardware counters are not available on the VMs this was
written on) and writes top-N tables to OUT.txt; docs/perf/ holds the ones PERFORMANCE.md cites.
With --bpf-stats, turns on the kernel's BPF run statistics (kernel.bpf_stats_enabled) for the
measurement, sets them back as they were after it, and adds each odb_* program's runs and run
time per request, summed over every loaded copy (every relay's pin set), from `bpftool prog
show`. The statistics cost two clock reads per program run, so a run with them is not the one
to read CPU per request from.
"""
import contextlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

from machine_cpu import HZ, cpu_seconds, idle_seconds

BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"

def kernel_threads():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        rest = s[s.rindex(")") + 2:].split()
        ppid = int(rest[1])
        if ppid != 2 and pid != "2":
            continue
        kind = comm.split("/")[0].split(":")[0]
        out[pid] = (kind, (int(rest[11]) + int(rest[12])) / HZ)
    return out

def process_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / HZ

@contextlib.contextmanager
def bpf_run_statistics(enabled):
    """The kernel's BPF run statistics on for the block when `enabled`, then set back as they
    were, however the block ends: left on, they cost every BPF program on the machine two
    clock reads per run."""
    if not enabled:
        yield
        return
    with open(BPF_STATS) as f:
        before = f.read().strip()
    with open(BPF_STATS, "w") as f:
        f.write("1")
    try:
        yield
    finally:
        with open(BPF_STATS, "w") as f:
            f.write(before)

def bpf_program_totals():
    """Run count and run time (ns) per odb_* program name, summed over its loaded copies."""
    listed = json.loads(subprocess.run(["bpftool", "prog", "show", "--json"], capture_output=True, text=True,
                                       check=True).stdout)
    totals = {}
    for program in listed:
        if program.get("name", "").startswith("odb"):
            runs, ns = totals.get(program["name"], (0, 0))
            totals[program["name"]] = (runs + program.get("run_cnt", 0), ns + program.get("run_time_ns", 0))
    return totals

def bpf_program_costs(before, after, requests):
    costs = {}
    for name, (runs, ns) in after.items():
        runs -= before.get(name, (0, 0))[0]
        ns -= before.get(name, (0, 0))[1]
        costs[name] = {"runs_per_req": round(runs / requests, 2), "ns_per_req": round(ns / requests),
                       "ns_per_run": round(ns / runs) if runs else 0}
    return costs

def fetch(url, count, errors):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    for _ in range(count):
        conn.request("GET", u.path)
        r = conn.getresponse()
        n = 0
        while True:
            b = r.read(1 << 20)
            if not b:
                break
            n += len(b)
        if n != int(r.getheader("Content-Length")):
            errors.append(n)

def main():
    url, conc, relay = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
    wrk_seconds = sys.argv[2][4:] if sys.argv[2].startswith("wrk:") else None
    count = 0 if wrk_seconds else int(sys.argv[2])
    options = sys.argv[5:]
    perf_out = options[options.index("--perf") + 1] if "--perf" in options else None
    bpf_stats = "--bpf-stats" in options
    perf = None
    if perf_out:
        perf = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "999", "-a", "-g",
                                 "-o", perf_out + ".data"], stderr=subprocess.DEVNULL)
        time.sleep(0.5)
    with bpf_run_statistics(bpf_stats):
        programs0 = bpf_program_totals() if bpf_stats else None
        k0, s0, r0, t0 = kernel_threads(), cpu_seconds(), process_cpu(relay), time.monotonic()
        errors = []
        if wrk_seconds:
            out = subprocess.run(["wrk", "-t", str(min(2, conc)), "-c", str(conc), "-d", f"{wrk_seconds}s", url],
                                 capture_output=True, text=True).stdout
            n = int(next(l for l in out.splitlines() if "requests in" in l).split()[0])
            errors = [l for l in out.splitlines() if "Non-2xx" in l or "Socket errors" in l]
        else:
            threads = [threading.Thread(target=fetch, args=(url, count // conc, errors)) for _ in range(conc)]
            for t in threads: t.start()
            for t in threads: t.join()
            n = (count // conc) * conc
        t1, s1, r1, k1 = time.monotonic(), cpu_seconds(), process_cpu(relay), kernel_threads()
        programs1 = bpf_program_totals() if bpf_stats else None
    if perf:
        perf.send_signal(2); perf.wait()
    d = {k: s1[k] - s0[k] for k in s0}
    busy = (t1 - t0) * os.cpu_count() - (idle_seconds(s1) - idle_seconds(s0))
    kt = {}
    for pid, (kind, cpu) in k1.items():
        kt[kind] = kt.get(kind, 0) + cpu - k0.get(pid, (kind, 0))[1]
    res = {"url": url, "requests": n, "errors": len(errors), "elapsed_s": round(t1 - t0, 3),
           "req_per_s": round(n / (t1 - t0), 1),
           "machine_busy_s": round(busy, 2), "machine_us_per_req": round(busy / n * 1e6),
           "user_s": round(d["user"] + d["nice"], 2), "sys_s": round(d["system"], 2),
           "softirq_s": round(d["softirq"], 2), "irq_s": round(d["irq"], 2),
           "relay_s": round(r1 - r0, 2),
           "kthreads_s": {k: round(v, 2) for k, v in sorted(kt.items(), key=lambda x: -x[1]) if v > 0.005}}
    if bpf_stats:
        res["bpf_programs"] = bpf_program_costs(programs0, programs1, n)
    print(json.dumps(res))
    if perf_out:
        write_perf_tables(perf_out, res, relay)

def perf_report(data, *args):
    children = "--children" in args
    options = [] if children else ["--no-children", "--percent-limit", "0.5"]
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "-g", "none", *options, *args],
                         capture_output=True, text=True).stdout
    return "\n".join(l for l in out.splitlines() if l.strip() and not l.startswith("#")) + "\n\n"

def write_perf_tables(path, res, relay):
    """Top-N tables: every sampled command, the relay's own symbols, the kernel threads', idle
    time (swapper), and inclusive time for the whole machine."""
    data = path + ".data"
    comms = perf_report(data, "--sort", "comm")
    kthreads = sorted({l.split()[1] for l in comms.splitlines()
                       if len(l.split()) > 1 and l.split()[1].startswith(("kworker", "ksoftirqd"))})
    with open(path, "w") as f:
        f.write(json.dumps(res) + "\n\n")
        f.write("## share of all samples by command (cpu-clock, all CPUs)\n" + comms)
        f.write(f"## relay process {relay}, by symbol, % of its own samples\n"
                + perf_report(data, "--pid", str(relay), "--percentage", "relative", "--sort", "sym"))
        if kthreads:
            f.write("## kernel threads, by symbol, % of their own samples\n"
                    + perf_report(data, "--comms", ",".join(kthreads), "--percentage", "relative", "--sort", "sym"))
        f.write("## swapper (idle, and softirq run from idle), by symbol\n" + perf_report(data, "--comms", "swapper", "--sort", "sym"))
        # Inclusive time (callees included) names the paths: sk_psock_backlog, tcp_sendmsg...
        # cpu-clock cannot sample with interrupts off, so self time piles up on the
        # functions that turn them back on (_raw_spin_unlock_irqrestore).
        inclusive = perf_report(data, "--children", "--sort", "sym", "--percent-limit", "3")
        f.write("## whole machine, inclusive (children) share by symbol, >= 3%\n" + inclusive)
    os.remove(data)

main()
