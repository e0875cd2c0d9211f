#!/usr/bin/env python3
"""Fault-injection torture of the relay: bodies must arrive byte for byte under random packet loss.

Usage: fault_torture.py [--relay BINARY] [--modes kernel,auto,splice,copy] [--virtual-modes kernel,auto]
                        [--colocated-modes kernel,auto] [--loss 0.1,0.5,2] [--seconds 3,4,12]
                        [--virtual-seconds 2,2,6] [--slow-readers 8] [--slow-rate 4e6] [--sack off]
                        [--tso off] [--json FILE]

Three topologies, each a line of network namespaces joined by veth links (link N joins
10.215.N.1, nearer the client, and 10.215.N.2):
  direct   client - relay - origin: the relay carries every body (--modes).
  virtual  client - edge relay - holder relay - origin (--virtual-modes): the holder answers each
           response with a virtual payload descriptor and keeps the body unread in its upstream
           socket; the edge claims it over a claim connection to the holder (docs/DESIGN.md,
           "Virtual payload"), so every body crosses the edge-holder link on a claim.
  colocated client and relay on one host's loopback - origin (--colocated-modes): only the
            relay's sources are lossy, and its targets have loopback's 64 KiB MSS, where the
            verdict leaves the skbs of bodies up to 256 KiB as they arrive instead of making them
            linear; the client fetches Content-Length, slow and chunked bodies.
nftables drops a random share of the packets arriving on every veth end (`numgen random`), so
both directions of every link, the claim connections included, lose data segments and ACKs
alike. By default the namespaces run TCP without SACK and the veth ends without segmentation
offload: TCP still builds skbs of up to 64 KiB but the link carries MTU-sized packets, so after
a loss the sender resends from the first unacknowledged byte to the end of its skb, over
segments the receiver already queued out of order. That is what makes retransmissions partly
overlap data the relays' sockets hold.

For each mode fresh relays run from BINARY; for each loss rate tools/torture_client.py fetches,
uploads and tunnels self-describing bodies (tools/word_pattern.py) through them for the given
seconds while tools/torture_origin.py serves and checks them. The virtual topology fetches the
kinds a holder answers with descriptors: Content-Length bodies, slow readers, chunked and
until-close bodies. Every body is checked byte for byte; a bad one is listed with its first
differing offset and where the bytes found there came from. The relays' BPF counters (`status
--json` on their private pin sets) give the overlapping skbs the verdict met and the bytes it
trimmed from them; their metrics give the virtual payload events (held, claims, claims_served)
and the body bytes each moved by path.

Exits 1 when any body was bad, any exchange failed, a direct or colocated kernel or auto mode
run counted no overlapping skb (or has no such counter), a virtual cell's holder served fewer
claims than bodies were checked, or counted a failed, expired or over-cap payload, or a relay
of a mode moved no body bytes on one of the mode's paths over its cells (`MODE_PATHS`): a
torture run without overlaps, or one whose bodies were not claimed or took none of the paths
its mode names, proves nothing. The defaults are the
CI size (docs/ROBUSTNESS.md gives measured times); `--seconds 200 --virtual-seconds 200` is a soak. The last
line printed is a JSON summary (also written to FILE with --json). Run as root.
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
PORT, CLAIM_PORT, ADMIN_PORT = 8080, 7000, 9901
OVERLAP_COUNTERS = ["overlap_skbs", "overlap_bytes_trimmed"]
CONTEXT_COUNTERS = ["redirected_bytes", "passed_body_bytes", "budget_passes", "redirected_skbs", "linearised_skbs"]
SLOW_FLOW_BUDGET = "256KiB"
# Modes whose bodies never meet the verdict, so they cannot count overlapping skbs.
VERDICTLESS_MODES = ("splice", "copy")
# auto has no kernel band by default; this one puts its 64 KiB-4 MiB bodies in the kernel, where
# the verdict meets overlapping skbs, and auto splices the longer ones (kernel mode ignores both keys).
AUTO_KERNEL_BAND = ("64KiB", "4MiB")
LOSS_SCALE = 1_000_000
SOCKET_COUNTERS = ["sockets_established", "sockets_closed"]
TCP_COUNTERS = ["TcpRetransSegs", "TcpExtTCPTimeouts", "TcpExtTCPOFOQueue", "TcpExtPruneCalled"]
ODB_SECRET = "fault-torture-odb-secret-0123456789"
HOLDER_NAME = "holder-1"
# Far above a claim's latency even on a loaded machine: an expired payload fails its cell.
HOLD_TIMEOUT = "60s"
# The paths on which every relay of a mode must have moved body bytes over the mode's cells: auto's
# band puts bodies and claims of 64 KiB-4 MiB in the kernel, and it splices the 16 and 64 MiB ones
# (to a client on the relay's host from 8 MiB on).
MODE_PATHS = {"kernel": ("kernel",), "auto": ("kernel", "splice"), "splice": ("splice",), "copy": ("copy",)}
# Body kinds the virtual topology fetches: each is answered by the holder with a descriptor and
# claimed by the edge, so every one of them must have been served by a claim.
VIRTUAL_KINDS = ["content_length", "slow", "chunked", "until_close"]
# Body kinds whose lossy link is the relay's source when the client shares the relay's host.
COLOCATED_KINDS = ["content_length", "slow", "chunked"]


def run(*command):
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


class Topology:
    """Namespaces in a line (client, relays..., origin), a veth link between neighbours, routes
    through them to every other link, and an nftables loss rule on every veth end. Link N joins
    10.215.N.1 (nearer the client) and 10.215.N.2."""

    def __init__(self, tiers, sack, tso):
        prefix = f"odbt{os.getpid() % 100_000}"
        self.tiers = tiers
        self.namespaces = {tier: f"{prefix}-{tier}" for tier in tiers}
        self.created = []
        try:
            for tier in tiers:
                name = self.namespaces[tier]
                run("ip", "netns", "add", name)
                self.created.append(name)
                run("ip", "-n", name, "link", "set", "lo", "up")
                run("ip", "netns", "exec", name, "sysctl", "-q", f"net.ipv4.tcp_sack={int(sack)}")
            for link, (near, far) in enumerate(zip(tiers, tiers[1:]), start=1):
                self.link(link, self.namespaces[near], self.namespaces[far], tso)
            for index, tier in enumerate(tiers):
                self.route(index, self.namespaces[tier], len(tiers) - 1)
            for name in self.created:
                self.nft(name, "add table inet torture")
                self.nft(name, "add chain inet torture loss { type filter hook prerouting priority -300; policy accept; }")
        except (subprocess.CalledProcessError, OSError):
            self.remove()
            raise

    @staticmethod
    def link(number, near, far, tso):
        near_device, far_device = f"l{number}n", f"l{number}f"
        run("ip", "link", "add", near_device, "netns", near, "type", "veth", "peer", "name", far_device, "netns", far)
        for namespace, device, host in ((near, near_device, 1), (far, far_device, 2)):
            run("ip", "-n", namespace, "addr", "add", f"10.215.{number}.{host}/24", "dev", device)
            run("ip", "netns", "exec", namespace, "ethtool", "-K", device, "tso", "on" if tso else "off")
            run("ip", "-n", namespace, "link", "set", device, "up")

    @staticmethod
    def route(index, namespace, links):
        """Makes the tier at `index` forward and reach every link it is not on through its
        neighbours, so that a tier can connect past the next one (an edge to a holder further
        along, for a claim); what it forwards crosses that tier's lossy link ends too."""
        run("ip", "netns", "exec", namespace, "sysctl", "-q", "net.ipv4.ip_forward=1")
        for link in range(1, links + 1):
            if link < index:
                run("ip", "-n", namespace, "route", "add", f"10.215.{link}.0/24", "via", f"10.215.{index}.1")
            elif link > index + 1:
                run("ip", "-n", namespace, "route", "add", f"10.215.{link}.0/24", "via", f"10.215.{index + 1}.2")

    def front(self, tier):
        """The address `tier` has on the link towards the client."""
        return f"10.215.{self.tiers.index(tier)}.2"

    @staticmethod
    def nft(namespace, rule):
        return run("ip", "netns", "exec", namespace, "nft", rule)

    def command(self, tier, *arguments):
        """`arguments` run in `tier`'s network namespace only: bpffs and cgroup2 stay visible."""
        return ["nsenter", f"--net=/run/netns/{self.namespaces[tier]}", "--", *arguments]

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
        """The TCP_COUNTERS summed over the namespaces (each has its own)."""
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


def routes(upstream, role=None):
    """A /slow/ route on a small flow budget and a default route, both to `upstream`."""
    shared = f"""
        upstream: {upstream}
        auto_min_body: {AUTO_KERNEL_BAND[0]}
        kernel_max_body: {AUTO_KERNEL_BAND[1]}""" + (f"\n        odb: {role}" if role else "")
    return f"""      - path_prefix: /slow/{shared}
        flow_budget: {SLOW_FLOW_BUDGET}
      - path_prefix: /{shared}
        allow_connect: true"""


def relay_config(front, upstream, odb="", role=None, peer=False):
    """A two-worker relay listening on `front`, its routes to `upstream` (host:port)."""
    peer_line = "\n    odb_peer: true" if peer else ""
    return f"""workers: 2
log:
  level: notice
  access_log: false
admin:
  listen: "127.0.0.1:{ADMIN_PORT}"
{odb}listeners:
  - listen: "{front}:{PORT}"
    routes:
{routes("next", role)}
upstreams:
  next:
    servers: ["{upstream}"]{peer_line}
"""


class Scenario:
    """A topology, the relays in it (tier -> configuration, listed from the client's side), the
    tier the client runs in and the host it connects to (None: the first relay's address on the
    link towards the client), and the kinds of body it fetches (None: every kind). `needs_overlaps`: a kernel-path run proves something only once its
    verdict met overlapping skbs; `virtual`: only once every body came through a claim."""

    def __init__(self, name, tiers, configs, kinds, client_tier="client", client_host=None,
                 needs_overlaps=False, virtual=False):
        self.name, self.tiers, self.configs, self.kinds = name, tiers, configs, kinds
        self.client_tier, self.client_host = client_tier, client_host
        self.needs_overlaps, self.virtual = needs_overlaps, virtual


def direct_scenario():
    """Client - relay - origin."""
    tiers = ["client", "relay", "origin"]
    return Scenario("direct", tiers, {"relay": relay_config("10.215.1.2", f"10.215.2.2:{PORT}")}, None,
                    needs_overlaps=True)


def colocated_scenario():
    """Client and relay on one host's loopback, the origin across the lossy link: the relay's
    sources lose segments while its targets have loopback's 64 KiB MSS, so a window of a known
    length up to 256 KiB asks the verdict to leave its skbs as they arrive (`SkbLinearising`),
    which no window of the two-host topologies does."""
    tiers = ["relay", "origin"]
    return Scenario("colocated", tiers, {"relay": relay_config("127.0.0.1", f"10.215.1.2:{PORT}")},
                    COLOCATED_KINDS, client_tier="relay", client_host="127.0.0.1", needs_overlaps=True)


def holder_odb(claim_address, hold_timeout):
    """The `odb:` section of a relay that holds payloads as HOLDER_NAME and serves claims on
    `claim_address` (host:port)."""
    return f"""odb:
  name: {HOLDER_NAME}
  secret: "{ODB_SECRET}"
  claim_listen: "{claim_address}"
  hold_timeout: {hold_timeout}
"""


def peer_odb(claim_address):
    """The `odb:` section of a relay that trusts its peers and claims from HOLDER_NAME at
    `claim_address` (host:port)."""
    return f"""odb:
  secret: "{ODB_SECRET}"
  peers:
    {HOLDER_NAME}: "{claim_address}"
"""


def virtual_scenario():
    """Client - edge relay - holder relay - origin: the holder answers descriptors and the edge
    claims every body over a claim connection that crosses the lossy edge-holder link."""
    tiers = ["client", "edge", "holder", "origin"]
    claim_address = f"10.215.2.2:{CLAIM_PORT}"
    configs = {
        "edge": relay_config("10.215.1.2", f"10.215.2.2:{PORT}", peer_odb(claim_address), role="edge", peer=True),
        "holder": relay_config("10.215.2.2", f"10.215.3.2:{PORT}", holder_odb(claim_address, HOLD_TIMEOUT), role="holder"),
    }
    return Scenario("virtual", tiers, configs, VIRTUAL_KINDS, virtual=True)


class Relay:
    """One relay process in its tier's namespace, with a private pin set under its own root."""

    def __init__(self, topology, tier, config, binary, mode, scratch):
        self.topology, self.tier, self.binary = topology, tier, binary
        self.pin_root = f"/sys/fs/bpf/odb-torture-{os.getpid()}-{tier}"
        self.config = os.path.join(scratch, f"{tier}-{mode}.yaml")
        self.log_path = os.path.join(scratch, f"{tier}-{mode}.log")
        with open(self.config, "w") as file:
            file.write(config)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                topology.command(tier, binary, "relay", "--config", self.config, "--mode", mode, "--pin", self.pin_root),
                stdout=log, stderr=subprocess.STDOUT)
        while "relay started" not in self.log():
            if self.process.poll() is not None:
                raise RuntimeError(f"the {tier} relay exited: {self.log()}")
            time.sleep(0.1)

    def log(self):
        with open(self.log_path) as file:
            return file.read()

    def counters(self):
        """The relay's BPF counters summed over its pin sets; {} when it loaded none (copy, splice)."""
        result = subprocess.run([self.binary, "status", "--json", "--pin", self.pin_root],
                                capture_output=True, text=True)
        if result.returncode != 0:
            return {}
        totals = {}
        for pin_set in json.loads(result.stdout).get("sets", []):
            for name, value in pin_set.get("counters", {}).items():
                totals[name] = totals.get(name, 0) + value
        return totals

    def metrics(self):
        """The relay's virtual payload events (held, claims, claims_served, ...) and body bytes by
        path from its metrics, which every mode serves (status has them only for a relay with
        kernel objects)."""
        text = run(*self.topology.command(self.tier, "curl", "-sf", f"http://127.0.0.1:{ADMIN_PORT}/metrics"))

        def family(name, label):
            return {key: int(float(value)) for key, value in
                    re.findall(rf'^{name}\{{{label}="(\w+)"\}} (\S+)$', text, re.MULTILINE)}
        return {"virtual_payloads": family("odb_virtual_payloads_total", "event"),
                "body_bytes": family("odb_body_bytes_total", "path")}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Relays:
    """The relays of one scenario and mode, read together."""

    def __init__(self, relays):
        self.relays = relays

    def snapshot(self):
        """Kernel counters summed over the relays, and each relay's metrics (`Relay.metrics`), once
        the readings have stayed the same for a second. Relays publish counters every 250 ms
        from their main thread, which the loaded machine can hold up, so two equal readings one
        interval apart may both predate the last exchange; a second is four intervals. The
        socket counters never settle, since every metrics scrape opens a connection the relay's
        BPF counts, so the readings are compared without them."""
        previous, since = None, time.monotonic()
        deadline = since + 15
        while True:
            current = ({}, {relay.tier: relay.metrics() for relay in self.relays})
            for relay in self.relays:
                for name, value in relay.counters().items():
                    current[0][name] = current[0].get(name, 0) + value
            settled = ({name: value for name, value in current[0].items() if name not in SOCKET_COUNTERS}, current[1])
            now = time.monotonic()
            if settled != previous:
                previous, since = settled, now
            if now - since >= 1.0 or now >= deadline:
                return current
            time.sleep(0.25)

    def stop(self):
        for relay in self.relays:
            relay.stop()


def origin_verdicts(path):
    """The origin's own checks of uploads and tunnels' up bodies, by serial."""
    verdicts = {}
    with open(path) as file:
        for line in file:
            entry = json.loads(line)
            if entry["kind"] != "listening":
                verdicts[entry["serial"]] = entry
    return verdicts


def run_cell(topology, scenario, mode, percent, seconds, base, relays, slow_readers, slow_rate):
    topology.set_loss(percent)
    (before, metrics_before), tcp_before = relays.snapshot(), topology.tcp_counters()
    kinds = [",".join(scenario.kinds)] if scenario.kinds else []
    host = scenario.client_host or topology.front(scenario.tiers[1])
    started = time.monotonic()
    result = subprocess.run(topology.command(scenario.client_tier, sys.executable, os.path.join(TOOLS, "torture_client.py"),
                                             f"{host}:{PORT}", str(seconds), str(base),
                                             str(slow_readers), str(slow_rate), *kinds),
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"torture_client.py failed: {result.stderr}")
    # Traffic lasts `seconds`; the bodies under way then are finished, so a cell takes longer.
    elapsed = time.monotonic() - started
    (after, metrics_after), tcp_after = relays.snapshot(), topology.tcp_counters()
    seen, dropped = topology.packets()
    cell = {"topology": scenario.name, "mode": mode, "loss_percent": percent, "seconds": seconds,
            "client_seconds": round(elapsed, 1), "packets": seen,
            "dropped": dropped, "kinds": json.loads(result.stdout),
            "counters": {name: after[name] - before.get(name, 0) for name in after},
            "tcp": {name: tcp_after[name] - tcp_before[name] for name in TCP_COUNTERS}}
    for family in ("virtual_payloads", "body_bytes") if scenario.virtual else ("body_bytes",):
        cell[family] = {tier: {key: value - metrics_before[tier][family].get(key, 0)
                               for key, value in metrics[family].items()
                               if value != metrics_before[tier][family].get(key, 0)}
                        for tier, metrics in metrics_after.items()}
    return cell


def judge(cells, origin_checks, overlap_topologies):
    """Adds the origin's verdicts and each cell's failures; True when every cell passed.
    `overlap_topologies`: the scenarios whose kernel-path modes must have met overlapping skbs."""
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
        if "virtual_payloads" in cell:
            failures += virtual_failures(cell)
        cell["failures"] = failures
        passed = passed and not failures
    # A mode's cells are judged together too: what one loss rate did not bring, another may have.
    for topology, mode in sorted({(cell["topology"], cell["mode"]) for cell in cells}):
        mode_cells = [cell for cell in cells if cell["topology"] == topology and cell["mode"] == mode]
        failures = []
        if topology in overlap_topologies and mode not in VERDICTLESS_MODES:
            if any(name not in cell["counters"] for cell in mode_cells for name in OVERLAP_COUNTERS):
                failures.append("the relay has no overlap counters")
            elif sum(cell["counters"]["overlap_skbs"] for cell in mode_cells) == 0:
                failures.append("no overlapping skb was counted: the run proves nothing")
        for tier in mode_cells[0]["body_bytes"]:
            for path in MODE_PATHS[mode]:
                if sum(cell["body_bytes"][tier].get(path, 0) for cell in mode_cells) == 0:
                    failures.append(f"the {tier} moved no body bytes on the {path} path: the run proves nothing of it")
        mode_cells[-1]["failures"] += failures
        passed = passed and not failures
    return passed


def virtual_failures(cell):
    """A virtual cell proves something only when its bodies came through claims: the holder
    served a claim for every body checked, the edge made them, and none failed or expired."""
    edge, holder = cell["virtual_payloads"]["edge"], cell["virtual_payloads"]["holder"]
    checked = sum(entry["checked"] for entry in cell["kinds"].values())
    failures = []
    if holder.get("claims_served", 0) < checked:
        failures.append(f"the holder served {holder.get('claims_served', 0)} claims for {checked} bodies checked:"
                        " some bodies were not virtual")
    if edge.get("claims", 0) < holder.get("claims_served", 0):
        failures.append(f"the edge made {edge.get('claims', 0)} claims, fewer than the holder served")
    for tier, event in (("edge", "claims_failed"), ("holder", "expired"), ("holder", "over_cap")):
        if cell["virtual_payloads"][tier].get(event, 0):
            failures.append(f"the {tier} counted {cell['virtual_payloads'][tier][event]} {event}")
    return failures


def print_cell(cell):
    checked = sum(entry["checked"] for entry in cell["kinds"].values())
    volume = sum(entry["bytes"] for entry in cell["kinds"].values())
    bad = sum(entry["bad"] for entry in cell["kinds"].values())
    errors = sum(entry["errors"] for entry in cell["kinds"].values())
    counters = cell["counters"]
    overlaps = " ".join(f"{name} {counters.get(name, '-')}" for name in OVERLAP_COUNTERS + CONTEXT_COUNTERS)
    tcp = " ".join(f"{name.removeprefix('TcpExt')} {value}" for name, value in cell["tcp"].items())
    print(f"{cell['topology']} {cell['mode']:>6} loss {cell['loss_percent']:>4}%: {checked} bodies ({volume / 2**20:.0f} MiB)"
          f" checked, {bad} bad, {errors} failed; {cell['dropped']} of {cell['packets']} packets dropped;"
          f" {cell['client_seconds']} s")
    print(f"         relays: {overlaps}; TCP: {tcp}")
    for tier, paths in cell["body_bytes"].items():
        events = cell.get("virtual_payloads", {}).get(tier)
        print(f"         {tier}" + (f" virtual payloads: {json.dumps(events, sort_keys=True)};" if events is not None else ":")
              + f" body bytes by path: {json.dumps(paths, sort_keys=True)}")
    for kind, entry in sorted(cell["kinds"].items()):
        print(f"         {kind:>14}: {entry['checked']} checked, {entry['bad']} bad, {entry['errors']} failed")
        for detail in entry["details"][:10]:
            print(f"           {detail}")
    for failure in cell["failures"]:
        print(f"         FAIL: {failure}")


def run_scenario(scenario, modes, schedule_of, options, cells, origin_checks, scratch):
    """Runs `modes` of `scenario` in a topology of its own; appends cells and the origin's checks."""
    topology = Topology(scenario.tiers, options.sack == "on", options.tso == "on")
    origin_log = os.path.join(scratch, f"origin-{scenario.name}.jsonl")
    try:
        with open(origin_log, "w") as log:
            origin = subprocess.Popen(topology.command("origin", sys.executable, os.path.join(TOOLS, "torture_origin.py"),
                                                       f"{topology.front('origin')}:{PORT}"), stdout=log)
        try:
            while "listening" not in open(origin_log).read():
                if origin.poll() is not None:
                    raise RuntimeError("torture_origin.py exited")
                time.sleep(0.1)
            for mode in modes:
                relays = Relays([])
                try:
                    # The origin side first: a relay resolves nothing at start, but the edge's
                    # first claims should find the holder listening.
                    for tier in reversed(list(scenario.configs)):
                        relays.relays.append(Relay(topology, tier, scenario.configs[tier], options.relay, mode, scratch))
                    schedule = list(schedule_of)
                    extra = options.extra_rounds if mode not in VERDICTLESS_MODES and scenario.needs_overlaps else 0
                    while schedule:
                        percent, seconds = schedule.pop(0)
                        cell = run_cell(topology, scenario, mode, percent, seconds, (len(cells) + 1) << 24,
                                        relays, options.slow_readers, options.slow_rate)
                        cell["index"] = len(cells) + 1
                        cells.append(cell)
                        overlaps = sum(c["counters"].get("overlap_skbs", 0) for c in cells
                                       if c["mode"] == mode and c["topology"] == scenario.name)
                        if not schedule and extra > 0 and overlaps == 0:
                            extra -= 1
                            schedule.append(schedule_of[-1])
                finally:
                    relays.stop()
        finally:
            # SIGKILL: a parent may hand down a signal mask that blocks SIGTERM, and the origin
            # holds nothing that needs a clean exit.
            origin.kill()
            origin.wait()
        origin_checks.update(origin_verdicts(origin_log))
    finally:
        topology.remove()


def schedule(parser, loss, seconds, name):
    """(loss percent, seconds) pairs from comma-separated lists; one duration applies to every rate."""
    rates = [float(rate) for rate in loss.split(",")]
    durations = [float(value) for value in seconds.split(",")]
    if len(durations) == 1:
        durations *= len(rates)
    if len(durations) != len(rates):
        parser.error(f"{name} takes one value or one per loss rate")
    return list(zip(rates, durations))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--relay", default=os.path.join(TOOLS, "..", ".build", "release", "odb-redirect"))
    parser.add_argument("--modes", default="kernel,auto,splice,copy", help="modes of the direct topology ('' for none)")
    parser.add_argument("--virtual-modes", default="kernel,auto", help="modes of the virtual topology ('' for none)")
    parser.add_argument("--colocated-modes", default="kernel,auto", help="modes of the colocated topology ('' for none)")
    parser.add_argument("--loss", default="0.1,0.5,2", help="loss rates in percent of packets")
    parser.add_argument("--seconds", default="3,4,12",
                        help="seconds of traffic per mode at each loss rate: one value, or one per rate")
    parser.add_argument("--virtual-seconds", default="2,2,6",
                        help="seconds of traffic per virtual mode at each loss rate: one value, or one per rate")
    parser.add_argument("--sack", choices=["on", "off"], default="off",
                        help="TCP selective acknowledgements in the namespaces (default off: recovery "
                             "goes back to the first unacknowledged byte and re-segments what it resends)")
    parser.add_argument("--tso", choices=["on", "off"], default="off",
                        help="segmentation offload on the veth ends (default off: TCP still builds skbs of "
                             "up to 64 KiB, cut into MTU-sized packets before they reach the link)")
    parser.add_argument("--slow-readers", type=int, default=8, help="clients reading slowly on a small flow budget")
    parser.add_argument("--slow-rate", type=float, default=4e6, help="bytes per second each slow client reads")
    parser.add_argument("--extra-rounds", type=int, default=3,
                        help="direct kernel and auto: rounds at the last loss rate added while no overlapping skb "
                             "was counted yet (how many overlaps a round brings varies widely)")
    parser.add_argument("--json", help="also write the summary to this file")
    options = parser.parse_args()
    runs = [(direct_scenario(), [mode for mode in options.modes.split(",") if mode],
             schedule(parser, options.loss, options.seconds, "--seconds")),
            (virtual_scenario(), [mode for mode in options.virtual_modes.split(",") if mode],
             schedule(parser, options.loss, options.virtual_seconds, "--virtual-seconds")),
            (colocated_scenario(), [mode for mode in options.colocated_modes.split(",") if mode],
             schedule(parser, options.loss, options.seconds, "--seconds"))]
    cells, origin_checks, wall_seconds = [], {}, {}
    scratch = tempfile.mkdtemp(prefix="odb-torture-")
    try:
        for scenario, modes, plan in runs:
            if modes:
                started = time.monotonic()
                run_scenario(scenario, modes, plan, options, cells, origin_checks, scratch)
                wall_seconds[scenario.name] = round(time.monotonic() - started)
        passed = judge(cells, origin_checks, {scenario.name for scenario, _, _ in runs if scenario.needs_overlaps})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for cell in cells:
        print_cell(cell)
    summary = {"passed": passed, "wall_seconds": wall_seconds, "cells": cells}
    if options.json:
        with open(options.json, "w") as file:
            json.dump(summary, file, indent=1)

    def per_run(value):
        return {f"{scenario.name} {mode}": sum(value(cell) for cell in cells
                                               if cell["topology"] == scenario.name and cell["mode"] == mode)
                for scenario, modes, _ in runs for mode in modes}
    print(json.dumps({
        "passed": passed,
        "wall_seconds": wall_seconds,
        "bodies_checked": per_run(lambda cell: sum(entry["checked"] for entry in cell["kinds"].values())),
        "bad_bodies": per_run(lambda cell: sum(entry["bad"] for entry in cell["kinds"].values())),
        "overlap_skbs": per_run(lambda cell: cell["counters"].get("overlap_skbs", 0)),
        "claims_served": per_run(lambda cell: cell.get("virtual_payloads", {}).get("holder", {}).get("claims_served", 0)),
    }))
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
