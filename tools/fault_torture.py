#!/usr/bin/env python3
"""Fault-injection torture of the relay: bodies must arrive byte for byte under random packet loss.

Usage: fault_torture.py [--relay BINARY] [--modes kernel,auto,copy] [--loss 0.1,0.5,2]
                        [--seconds 3,4,12] [--slow-readers 8] [--slow-rate 4e6]
                        [--sack off] [--tso off] [--json FILE]

Client, relay and origin each run in their own network namespace, joined by veth links
(client 10.215.1.1 - 10.215.1.2 relay 10.215.2.1 - 10.215.2.2 origin). nftables drops a random
share of the packets arriving on every veth end (`numgen random`), so both directions of both
links lose data segments and ACKs alike. By default the namespaces run TCP without SACK and the
veth ends without segmentation offload: TCP still builds skbs of up to 64 KiB but the link
carries MTU-sized packets, so after a loss the sender resends from the first unacknowledged
byte to the end of its skb, over segments the receiver already queued out of order. That is
what makes retransmissions partly overlap data the relay's sockets hold.

For each mode a fresh relay runs from BINARY; for each loss rate tools/torture_client.py
fetches, uploads and tunnels self-describing bodies (tools/word_pattern.py) through it for the
given seconds while tools/torture_origin.py serves and checks them. Every body is checked byte
for byte; a bad one is listed with its first differing offset and where the bytes found there
came from. The relay's BPF counters (`status --json` on its private pin set) give the
overlapping skbs the verdict met and the bytes it trimmed from them.

Exits 1 when any body was bad, any exchange failed, or a kernel or auto mode run counted no
overlapping skb (or has no such counter): a torture run without overlaps proves nothing. The
defaults are the CI size (about 2 minutes on 2 cores); `--seconds 200` is a 30-minute soak.
The last line printed is a JSON summary (also written to FILE with --json). Run as root.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
CLIENT_ADDRESS, RELAY_FRONT, RELAY_BACK, ORIGIN_ADDRESS = "10.215.1.1", "10.215.1.2", "10.215.2.1", "10.215.2.2"
PORT = 8080
OVERLAP_COUNTERS = ["overlap_skbs", "overlap_bytes_trimmed"]
CONTEXT_COUNTERS = ["redirected_bytes", "passed_body_bytes", "budget_passes"]
SLOW_FLOW_BUDGET = "256KiB"
# auto copies every body by default; this range puts its 64 KiB-4 MiB bodies in the kernel,
# where the verdict meets overlapping skbs (kernel mode ignores it).
AUTO_KERNEL_MAX_BODY = "4MiB"
LOSS_SCALE = 1_000_000
TCP_COUNTERS = ["TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPOFOQueue", "TcpExtPruneCalled"]


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


class Topology:
    """Three namespaces, two veth links, and an nftables loss rule on every veth end."""

    def __init__(self, sack, tso):
        prefix = f"odbt{os.getpid() % 100_000}"
        self.client, self.relay, self.origin = (f"{prefix}-{tier}" for tier in "cro")
        self.created = []
        try:
            for name in (self.client, self.relay, self.origin):
                run("ip", "netns", "add", name)
                self.created.append(name)
                run("ip", "-n", name, "link", "set", "lo", "up")
                run("ip", "netns", "exec", name, "sysctl", "-q", f"net.ipv4.tcp_sack={int(sack)}")
            self.link(self.client, "tc0", CLIENT_ADDRESS, self.relay, "tr0", RELAY_FRONT, tso)
            self.link(self.relay, "tr1", RELAY_BACK, self.origin, "to0", ORIGIN_ADDRESS, tso)
            for name in self.created:
                self.nft(name, "add table inet torture")
                self.nft(name, "add chain inet torture loss { type filter hook prerouting priority -300; policy accept; }")
        except (subprocess.CalledProcessError, OSError):
            self.remove()
            raise

    @staticmethod
    def link(near, near_device, near_address, far, far_device, far_address, tso):
        run("ip", "link", "add", near_device, "netns", near, "type", "veth", "peer", "name", far_device, "netns", far)
        for namespace, device, address in ((near, near_device, near_address), (far, far_device, far_address)):
            run("ip", "-n", namespace, "addr", "add", f"{address}/24", "dev", device)
            run("ip", "netns", "exec", namespace, "ethtool", "-K", device, "tso", "on" if tso else "off")
            run("ip", "-n", namespace, "link", "set", device, "up")

    @staticmethod
    def nft(namespace, rule):
        return run("ip", "netns", "exec", namespace, "nft", rule)

    def command(self, namespace, *arguments):
        """`arguments` run in `namespace`'s network only: bpffs and cgroup2 stay visible."""
        return ["nsenter", f"--net=/run/netns/{namespace}", "--", *arguments]

    def set_loss(self, percent):
        threshold = round(percent / 100 * LOSS_SCALE)
        for name in self.created:
            self.nft(name, "flush chain inet torture loss")
            self.nft(name, 'add rule inet torture loss iifname != "lo" counter')
            self.nft(name, f'add rule inet torture loss iifname != "lo" numgen random mod {LOSS_SCALE} < {threshold} counter drop')

    def packets(self):
        """(packets seen, packets dropped) on all veth ends since the last set_loss."""
        seen = dropped = 0
        for name in self.created:
            listing = self.nft(name, "list chain inet torture loss")
            counts = [int(value) for value in re.findall(r"counter packets (\d+)", listing)]
            seen, dropped = seen + counts[0], dropped + counts[1]
        return seen, dropped

    def tcp_counters(self):
        """The TCP_COUNTERS summed over the three namespaces (each has its own)."""
        totals = dict.fromkeys(TCP_COUNTERS, 0)
        for name in self.created:
            for line in run("ip", "netns", "exec", name, "nstat", "-asz", *TCP_COUNTERS).splitlines():
                fields = line.split()
                if fields and fields[0] in totals:
                    totals[fields[0]] += int(fields[1])
        return totals

    def remove(self):
        for name in reversed(self.created):
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        self.created.clear()


class Relay:
    """One relay process in the relay namespace, with a private pin set under its own root."""

    def __init__(self, topology, binary, mode, scratch):
        self.pin_root = f"/sys/fs/bpf/odb-torture-{os.getpid()}"
        self.config = os.path.join(scratch, f"relay-{mode}.yaml")
        self.log_path = os.path.join(scratch, f"relay-{mode}.log")
        with open(self.config, "w") as file:
            file.write(f"""workers: 2
log:
  level: notice
  access_log: false
listeners:
  - listen: "{RELAY_FRONT}:{PORT}"
    routes:
      - path_prefix: /slow/
        upstream: origin
        flow_budget: {SLOW_FLOW_BUDGET}
        kernel_max_body: {AUTO_KERNEL_MAX_BODY}
      - path_prefix: /
        upstream: origin
        allow_connect: true
        kernel_max_body: {AUTO_KERNEL_MAX_BODY}
upstreams:
  origin:
    servers: ["{ORIGIN_ADDRESS}:{PORT}"]
""")
        self.binary = binary
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                topology.command(topology.relay, binary, "relay", "--config", self.config, "--mode", mode,
                                 "--pin", self.pin_root),
                stdout=log, stderr=subprocess.STDOUT)
        while "relay started" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"the relay exited: {self.log()}")
            time.sleep(0.1)

    def log(self):
        with open(self.log_path) as file:
            return file.read()

    def counters(self):
        """The relay's BPF counters summed over its pin sets; {} when it loaded none (copy mode)."""
        result = subprocess.run([self.binary, "status", "--json", "--pin", self.pin_root],
                                capture_output=True, text=True)
        if result.returncode != 0:
            return {}
        totals = {}
        for pin_set in json.loads(result.stdout).get("sets", []):
            for name, value in pin_set.get("counters", {}).items():
                totals[name] = totals.get(name, 0) + value
        return totals

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def origin_verdicts(path):
    """The origin's own checks of uploads and tunnels' up bodies, by serial."""
    verdicts = {}
    with open(path) as file:
        for line in file:
            entry = json.loads(line)
            if entry["kind"] != "listening":
                verdicts[entry["serial"]] = entry
    return verdicts


def run_cell(topology, mode, percent, seconds, base, counters, slow_readers, slow_rate):
    topology.set_loss(percent)
    before, tcp_before = counters(), topology.tcp_counters()
    result = subprocess.run(topology.command(topology.client, sys.executable, os.path.join(TOOLS, "torture_client.py"),
                                             f"{RELAY_FRONT}:{PORT}", str(seconds), str(base),
                                             str(slow_readers), str(slow_rate)),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"torture_client.py failed: {result.stderr}")
    after, tcp_after = counters(), topology.tcp_counters()
    seen, dropped = topology.packets()
    moved = {name: after[name] - before.get(name, 0) for name in after}
    return {"mode": mode, "loss_percent": percent, "seconds": seconds, "packets": seen, "dropped": dropped,
            "kinds": json.loads(result.stdout), "counters": moved,
            "tcp": {name: tcp_after[name] - tcp_before[name] for name in TCP_COUNTERS}}


def judge(cells, origin_checks):
    """Adds the origin's verdicts and each cell's failures; True when every cell passed."""
    passed = True
    for cell in cells:
        failures = []
        for kind, entry in cell["kinds"].items():
            if entry["bad"]:
                failures.append(f"{entry['bad']} bad {kind} bodies")
            if entry["errors"]:
                failures.append(f"{entry['errors']} failed {kind} exchanges")
        cell["origin_checked"] = sum(1 for serial, entry in origin_checks.items() if serial >> 24 == cell["index"])
        cell["origin_bad"] = sum(1 for serial, entry in origin_checks.items()
                                 if serial >> 24 == cell["index"] and entry["bad"])
        if cell["origin_bad"]:
            failures.append(f"{cell['origin_bad']} bodies bad at the origin")
        cell["failures"] = failures
        passed = passed and not failures
    for mode in sorted({cell["mode"] for cell in cells}):
        if mode == "copy":
            continue
        mode_cells = [cell for cell in cells if cell["mode"] == mode]
        if any(name not in cell["counters"] for cell in mode_cells for name in OVERLAP_COUNTERS):
            mode_cells[-1]["failures"].append("the relay has no overlap counters")
            passed = False
        elif sum(cell["counters"]["overlap_skbs"] for cell in mode_cells) == 0:
            mode_cells[-1]["failures"].append("no overlapping skb was counted: the run proves nothing")
            passed = False
    return passed


def print_cell(cell):
    checked = sum(entry["checked"] for entry in cell["kinds"].values())
    volume = sum(entry["bytes"] for entry in cell["kinds"].values())
    bad = sum(entry["bad"] for entry in cell["kinds"].values())
    errors = sum(entry["errors"] for entry in cell["kinds"].values())
    counters = cell["counters"]
    overlaps = " ".join(f"{name} {counters.get(name, '-')}" for name in OVERLAP_COUNTERS + CONTEXT_COUNTERS)
    tcp = " ".join(f"{name.removeprefix('TcpExt')} {value}" for name, value in cell["tcp"].items())
    print(f"{cell['mode']:>6} loss {cell['loss_percent']:>4}%: {checked} bodies ({volume / 2**20:.0f} MiB) checked,"
          f" {bad} bad, {errors} failed; {cell['dropped']} of {cell['packets']} packets dropped")
    print(f"         relay: {overlaps}; TCP: {tcp}")
    for kind, entry in sorted(cell["kinds"].items()):
        print(f"         {kind:>14}: {entry['checked']} checked, {entry['bad']} bad, {entry['errors']} failed")
        for detail in entry["details"][:10]:
            print(f"           {detail}")
    for failure in cell["failures"]:
        print(f"         FAIL: {failure}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--relay", default=os.path.join(TOOLS, "..", ".build", "release", "odb-redirect"))
    parser.add_argument("--modes", default="kernel,auto,copy")
    parser.add_argument("--loss", default="0.1,0.5,2", help="loss rates in percent of packets")
    parser.add_argument("--seconds", default="3,4,12",
                        help="seconds of traffic per mode at each loss rate: one value, or one per rate")
    parser.add_argument("--sack", choices=["on", "off"], default="off",
                        help="TCP selective acknowledgements in the three namespaces (default off: recovery "
                             "goes back to the first unacknowledged byte and re-segments what it resends)")
    parser.add_argument("--tso", choices=["on", "off"], default="off",
                        help="segmentation offload on the veth ends (default off: TCP still builds skbs of "
                             "up to 64 KiB, cut into MTU-sized packets before they reach the link)")
    parser.add_argument("--slow-readers", type=int, default=8, help="clients reading slowly on a small flow budget")
    parser.add_argument("--slow-rate", type=float, default=4e6, help="bytes per second each slow client reads")
    parser.add_argument("--extra-rounds", type=int, default=3,
                        help="kernel and auto: rounds at the last loss rate added while no overlapping skb was "
                             "counted yet (how many overlaps a round brings varies widely)")
    parser.add_argument("--json", help="also write the summary to this file")
    options = parser.parse_args()
    rates = [float(rate) for rate in options.loss.split(",")]
    durations = [float(value) for value in options.seconds.split(",")]
    if len(durations) == 1:
        durations *= len(rates)
    if len(durations) != len(rates):
        parser.error("--seconds takes one value or one per loss rate")
    cells = []
    topology = Topology(options.sack == "on", options.tso == "on")
    scratch = tempfile.mkdtemp(prefix="odb-torture-")
    origin_log = os.path.join(scratch, "origin.jsonl")
    try:
        with open(origin_log, "w") as log:
            origin = subprocess.Popen(topology.command(topology.origin, sys.executable,
                                                       os.path.join(TOOLS, "torture_origin.py"),
                                                       f"{ORIGIN_ADDRESS}:{PORT}"), stdout=log)
        try:
            while "listening" not in open(origin_log).read():
                if origin.poll() is not None:
                    raise RuntimeError("torture_origin.py exited")
                time.sleep(0.1)
            for mode in options.modes.split(","):
                relay = Relay(topology, options.relay, mode, scratch)
                try:
                    schedule = list(zip(rates, durations))
                    extra = options.extra_rounds if mode != "copy" else 0
                    while schedule:
                        percent, seconds = schedule.pop(0)
                        cell = run_cell(topology, mode, percent, seconds, (len(cells) + 1) << 24,
                                        relay.counters, options.slow_readers, options.slow_rate)
                        cell["index"] = len(cells) + 1
                        cells.append(cell)
                        overlaps = sum(c["counters"].get("overlap_skbs", 0) for c in cells if c["mode"] == mode)
                        if not schedule and extra > 0 and overlaps == 0:
                            extra -= 1
                            schedule.append((rates[-1], durations[-1]))
                finally:
                    relay.stop()
        finally:
            # SIGKILL: a parent may hand down a signal mask that blocks SIGTERM, and the origin
            # holds nothing that needs a clean exit.
            origin.kill()
            origin.wait()
        passed = judge(cells, origin_verdicts(origin_log))
    finally:
        topology.remove()
        shutil.rmtree(scratch, ignore_errors=True)
    for cell in cells:
        print_cell(cell)
    summary = {"passed": passed, "cells": cells}
    if options.json:
        with open(options.json, "w") as file:
            json.dump(summary, file, indent=1)
    print(json.dumps({"passed": passed, "bodies_checked": {
        mode: sum(entry["checked"] for cell in cells if cell["mode"] == mode for entry in cell["kinds"].values())
        for mode in options.modes.split(",")},
        "bad_bodies": {mode: sum(entry["bad"] for cell in cells if cell["mode"] == mode
                                 for entry in cell["kinds"].values())
                       for mode in options.modes.split(",")},
        "overlap_skbs": {mode: sum(cell["counters"].get("overlap_skbs", 0) for cell in cells if cell["mode"] == mode)
                         for mode in options.modes.split(",")}}))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
