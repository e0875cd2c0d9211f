#!/usr/bin/env python3
"""Soak: mixed traffic through a relay for a while, then check nothing leaked or was corrupted.

    python3 tools/soak.py --duration 60            # what CI runs (tools/test.sh)
    python3 tools/soak.py --duration 600 --report docs/soak-600s.json   # the documented long run
    python3 tools/soak.py --duration 600 --loss 2    # across lossy links (run as root)
    python3 tools/soak.py --duration 600 --virtual --loss 2   # the virtual payload, across them
    python3 tools/soak.py --duration 600 --virtual intermediate --loss 2   # descriptors passed on too
    python3 tools/soak.py --duration 600 --virtual fault --loss 2   # a relay that claims for the edge
    python3 tools/soak.py --duration 600 --virtual origin --loss 2   # held by the origin

One relay (workers: 2) with a kernel, a splice and a copy route (picked by Host) in front of
the built-in origin (`odb-redirect origin`, byte i of every body is i % 251). Client processes
loop over scenarios: keep-alive sequences, pipelined batches, tiny bursts, Connection: close,
slow readers, uploads (Content-Length and chunked, `POST /upload`, which the origin reads and
checks against the pattern), and clients that abort (FIN or reset) mid-head, mid-body or
mid-upload. Every completed body is compared with the pattern, a download's by the client and
an upload's by the origin. With --loss, the clients, the relay and the origin each run in a
network namespace, in a line joined by veth links that drop PERCENT % of the packets arriving
on every link end (tiers.Veth, as the fault torture does: TCP without SACK and the links without
segmentation offload, so that a loss's retransmission overlaps bytes the relay's sockets already
hold). With --virtual (--virtual holder), the clients' relay is an edge in front of a holder
relay (each with the same three routes): the holder answers the origin's bodies with
descriptors and the edge claims each one, so every body crosses the edge-holder link on a claim
connection (docs/DESIGN.md, "Virtual payload"); with --loss that link drops packets too. With
--virtual intermediate, an intermediate relay between them passes the descriptors on, head
only, and the edge's claims cross both links between it and the holder, routed through the
intermediate's tier. With --virtual fault, the relay between them faults instead: its routes
need the bytes, so it claims every body for the edge and carries it on. With --virtual origin,
the origin holds its bodies itself (ODB-aware) behind the intermediate, and the edge claims each
body from the origin past it. After the load stops and the relays settle, the script checks,
for each relay:

  - zero corrupted bodies (downloads and uploads) and zero unexpected failures (only
    deliberate aborts may cut a body);
  - relay sockets and BPF socket entries within the pooled upstream connections of the
    baseline (workers x max_idle_per_server connections per pool, of which a relay that claims
    has two, its upstream's and its claims'; two tracked sockets each), zero BPF flows but the
    idle records of those pooled connections, at most one each;
  - relay pipes beyond the baseline's only the spare splice pipes `status` counts (two
    descriptors each), and no other descriptor beyond the baseline's;
  - relay RSS at most RSS_GROWTH_MIB above the warmed-up baseline;
  - memory charged to the relay's TCP sockets (SO_MEMINFO, `ss -tm`) at most TCP_GROWTH_MIB
    above the baseline: the relay's alone, which other processes on the machine do not move;
  - body bytes on each route's own path (`status`'s body_bytes by path): a kernel route that
    quietly copied would leave the kernel-path bounds above nothing to bound;
  - no `unsupported` fallback: every body the kernel route meant to put in the kernel went
    there, or its client was gone before the window opened, which is not counted;
  - with --loss, that the kernel route's verdict met overlapping skbs (the BPF counter
    overlap_skbs): a lossy run without them tests nothing the loopback run does not;
  - with --virtual, no payload held and no claim in flight once settled, and no failed claim;
  - with a holder relay, every non-empty body a client took held by it (or served for real over
    its caps), and every held payload served to a claim or expired (a client gone before the
    edge claimed);
  - with an intermediate relay, every non-empty body a client took passed on by it as a
    descriptor and claimed by the edge; with a faulting relay, claimed by it as a fault.

Exits 1 and says which bound broke; prints one JSON report (and writes it with --report), which
includes each relay's RSS every RSS_EVERY_S seconds of load (`rss_mib`: [seconds, MiB] pairs).
"""
import argparse
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

from fault_torture import HOLDER_NAME, ODB_SECRET, holder_odb, peer_odb
from ports import free_port
from tiers import Loopback, Veth, join_network

PERIOD = 251
MAX_BODY = 8 << 20
PATTERN = bytes(i % PERIOD for i in range(MAX_BODY + PERIOD))
ROUTES = {"kernel.soak": "kernel", "splice.soak": "splice", "copy.soak": "copy"}
WORKERS = 2
MAX_IDLE_PER_SERVER = 8
RSS_GROWTH_MIB = 64
TCP_GROWTH_MIB = 16
# How often the report's RSS series (seconds of load, MiB) samples each relay's RSS.
RSS_EVERY_S = 60
# Short, so that the run exercises the idle close of keep-alive connections.
IDLE = "5s"
# For a relay that may wait longer than IDLE on an upstream that is slow, not gone, which it
# would answer with 504. A relay behind another relay: the next relay takes an upload into its
# socket buffers within milliseconds and may forward it for longer, while nothing moves on this
# relay's sockets. Any relay across lossy links: at 2 % loss without SACK, a retransmission
# lost again backs TCP's timer off to seconds (uploads through a relay took up to 7.8 s).
PATIENT_IDLE = "30s"
# Short, so that a payload whose client went before the edge claimed it expires within settle's wait.
HOLD_TIMEOUT_S = 5
# The relay tiers of each --virtual chain, from the clients' side.
VIRTUAL_TIERS = {"holder": ("edge", "holder"), "intermediate": ("edge", "intermediate", "holder"),
                 "fault": ("edge", "faulting", "holder"), "origin": ("edge", "intermediate")}
# The odb role of each claiming tier's routes: a faulting relay's are `edge`, so it claims every
# descriptor, also for the edge in front of it, and passes the body on (a fault).
CLAIMING_ROLES = {"edge": "edge", "intermediate": "intermediate", "faulting": "edge"}
# The paths on which an intermediate relay must have moved body bytes. Its only bodies are
# uploads, which come on the edge's pooled connections; a connection joins the verdict map with
# its first kernel-route body and splice(2) cannot read a socket in it, so the splice route
# copies the later uploads of that connection (docs/DESIGN.md, "Modes and how `auto` decides").
INTERMEDIATE_PATHS = ("copy", "kernel")
# The BPF counters a lossy run reports, summed over the relays.
LOSS_COUNTERS = ("overlap_skbs", "overlap_bytes_trimmed", "redirected_bytes")


class Unexpected(Exception):
    """A failure no scenario asked for: a wrong status, a short or corrupted body, a reset."""


def body_size(rng):
    """0..8 MiB, weighted towards small bodies as real traffic is."""
    band = rng.random()
    if band < 0.4:
        return rng.randint(0, 4 << 10)
    if band < 0.7:
        return rng.randint(4 << 10, 256 << 10)
    if band < 0.9:
        return rng.randint(256 << 10, 2 << 20)
    return rng.randint(2 << 20, MAX_BODY)


def request(size, host, close=False):
    extra = "Connection: close\r\n" if close else ""
    return f"GET /bytes/{size} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def upload(size, host, rng):
    """A POST of the pattern's first `size` bytes, framed by Content-Length or in random chunks."""
    body = PATTERN[:size]
    if rng.random() < 0.5:
        return f"POST /upload HTTP/1.1\r\nHost: {host}\r\nContent-Length: {size}\r\n\r\n".encode() + body
    pieces, offset = [], 0
    while offset < size:
        take = min(size - offset, rng.randint(1, 256 << 10))
        pieces.append(f"{take:x}\r\n".encode() + body[offset:offset + take] + b"\r\n")
        offset += take
    return f"POST /upload HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + b"".join(pieces) + b"0\r\n\r\n"


class Connection:
    """A client socket with a read buffer; reads one Content-Length response at a time."""

    def __init__(self, address):
        self.sock = socket.create_connection(address, timeout=30)
        self.buffer = b""

    def fill(self, size=1 << 20):
        chunk = self.sock.recv(size)
        if not chunk:
            raise Unexpected(f"connection from port {self.sock.getsockname()[1]} closed by the relay")
        self.buffer += chunk

    def head(self, what):
        """Reads one response head: the status and the fields by lower-case name."""
        while b"\r\n\r\n" not in self.buffer:
            try:
                self.fill()
            except Unexpected as error:
                raise Unexpected(f"{error}, waiting for the head of {what}") from None
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        fields = {name.strip().lower(): value.strip() for name, _, value in (line.partition(b":") for line in lines[1:])}
        return int(lines[0].split(b" ")[1]), fields

    def upload_answer(self, size, stats):
        """Reads the origin's answer to an upload and checks it received the pattern's first `size` bytes."""
        status, fields = self.head(f"the answer to a {size}-byte upload")
        if status == 422:
            stats["corrupted"] += 1
            raise Unexpected(f"corrupted upload: {size} bytes, the origin found a wrong byte at {fields.get(b'upload-differs-at')}")
        received = fields.get(b"upload-received")
        if status != 200 or fields.get(b"content-length") != b"0" or received != str(size).encode():
            raise Unexpected(f"status {status}, Upload-Received {received} for a {size}-byte upload")
        stats["uploads"] += 1
        stats["upload_bytes"] += size

    def response(self, size, stats, pace=None):
        """Reads one response and checks it carries exactly the pattern's first `size` bytes."""
        status, fields = self.head(f"a {size}-byte response")
        length = int(fields.get(b"content-length", b"-1"))
        if status != 200 or length != size:
            raise Unexpected(f"status {status}, Content-Length {length} for a {size}-byte body")
        offset = 0
        while offset < size:
            if not self.buffer:
                if pace:
                    time.sleep(pace)
                try:
                    self.fill(65536 if pace else 1 << 20)
                except Unexpected as error:
                    raise Unexpected(f"{error} after {offset} of {size} body bytes") from None
            take = min(len(self.buffer), size - offset)
            start = offset % PERIOD
            if self.buffer[:take] != PATTERN[start:start + take]:
                stats["corrupted"] += 1
                raise Unexpected(f"corrupted body: {size} bytes, mismatch within [{offset}, {offset + take})")
            self.buffer = self.buffer[take:]
            offset += take
        stats["responses"] += 1
        stats["bodies"] += bool(size)
        stats["body_bytes"] += size

    def close(self, reset=False):
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def keep_alive(address, rng, stats):
    conn = Connection(address)
    for _ in range(rng.randint(1, 10)):
        size = body_size(rng)
        conn.sock.sendall(request(size, rng.choice(list(ROUTES))))
        conn.response(size, stats)
    conn.close()


def pipelined(address, rng, stats):
    conn = Connection(address)
    sizes = [body_size(rng) for _ in range(rng.randint(2, 6))]
    conn.sock.sendall(b"".join(request(size, rng.choice(list(ROUTES))) for size in sizes))
    for size in sizes:
        conn.response(size, stats)
    conn.close()


def tiny_burst(address, rng, stats):
    conn = Connection(address)
    host = rng.choice(list(ROUTES))
    for _ in range(rng.randint(10, 50)):
        size = rng.randint(0, 1024)
        conn.sock.sendall(request(size, host))
        conn.response(size, stats)
    conn.close()


def closing(address, rng, stats):
    conn = Connection(address)
    size = body_size(rng)
    conn.sock.sendall(request(size, rng.choice(list(ROUTES)), close=True))
    conn.response(size, stats)
    if conn.sock.recv(1):
        raise Unexpected("bytes after a Connection: close response")
    conn.close()


def uploading(address, rng, stats):
    conn = Connection(address)
    for _ in range(rng.randint(1, 6)):
        size = body_size(rng)
        conn.sock.sendall(upload(size, rng.choice(list(ROUTES)), rng))
        conn.upload_answer(size, stats)
    conn.close()


def slow_reader(address, rng, stats):
    conn = Connection(address)
    size = rng.randint(1 << 20, MAX_BODY)
    conn.sock.sendall(request(size, rng.choice(list(ROUTES))))
    conn.response(size, stats, pace=rng.uniform(0.002, 0.01))
    conn.close()


def aborting(address, rng, stats):
    """Goes away on purpose: mid-head, part way through an upload, or after part of a large
    body; FIN or reset."""
    conn = Connection(address)
    reset = rng.random() < 0.5
    where = rng.random()
    if where < 0.2:
        conn.sock.sendall(b"GET /bytes/100 HTTP/1.1\r\nHo")
    elif where < 0.4:
        message = upload(rng.randint(1 << 20, MAX_BODY), rng.choice(list(ROUTES)), rng)
        conn.sock.sendall(message[:rng.randint(1, len(message) - 1)])
    else:
        size = rng.randint(1 << 20, MAX_BODY)
        conn.sock.sendall(request(size, rng.choice(list(ROUTES))))
        wanted = rng.randint(0, size)
        received = 0
        while received < wanted:
            chunk = conn.sock.recv(min(1 << 20, wanted - received + 512))
            if not chunk:
                raise Unexpected("the relay closed before the client aborted")
            received += len(chunk)
    stats["aborted"] += 1
    conn.close(reset=reset)


SCENARIOS = [(keep_alive, 30), (pipelined, 20), (tiny_burst, 15), (closing, 10), (uploading, 10), (slow_reader, 10),
             (aborting, 15)]
if os.environ.get("ODB_SOAK_ONLY"):
    SCENARIOS = [(scenario, weight) for scenario, weight in SCENARIOS if scenario.__name__ == os.environ["ODB_SOAK_ONLY"]]


def client_process(address, namespace, seed, deadline, results):
    if namespace:
        join_network(namespace)
    rng = random.Random(seed)
    stats = {"scenarios": 0, "responses": 0, "bodies": 0, "body_bytes": 0, "uploads": 0, "upload_bytes": 0, "corrupted": 0, "aborted": 0,
             "unexpected": 0}
    failures = []
    functions, weights = zip(*SCENARIOS)
    while time.time() < deadline:
        scenario = rng.choices(functions, weights)[0]
        try:
            scenario(address, rng, stats)
        except (Unexpected, OSError) as error:
            stats["unexpected"] += 1
            if len(failures) < 5:
                failures.append(f"{scenario.__name__}: {error}")
        stats["scenarios"] += 1
    results.put((stats, failures))


def routes(role=None):
    """One route per ROUTES host to the upstream `next`, each on its mode; `role`: the routes' odb role."""
    odb = f"\n        odb: {role}" if role else ""
    return "".join(f"""
      - host: {host}
        upstream: next
        mode: {mode}{odb}""" for host, mode in ROUTES.items())


def relay_config(listen, upstream, idle, odb="", role=None, peer=False):
    """A relay on `listen` whose routes go to `upstream`, idle for at most `idle`; `odb`: its odb
    section, `role`: its routes' odb role, `peer`: the upstream is an ODB peer."""
    peer_line = "\n    odb_peer: true" if peer else ""
    return f"""workers: {WORKERS}
log:
  level: info
  access_log: false
timeouts:
  idle: {idle}
{odb}listeners:
  - listen: "{listen}"
    routes:{routes(role)}
upstreams:
  next:
    servers: ["{upstream}"]
    max_idle_per_server: {MAX_IDLE_PER_SERVER}{peer_line}
"""


def plain_chain(network, origin, idle):
    """One relay in front of the origin: (tier, listen address, configuration, upstream pools).
    Here and in the other chains `idle` is the idle timeout of the relay in front of the origin."""
    listen = (network.host("relay"), free_port())
    return [("relay", listen, relay_config(f"{listen[0]}:{listen[1]}", origin, idle), 1)]


def claiming_relays(network, tiers, upstream, claim_address, idle):
    """The relays of `tiers` (from the clients' side, CLAIMING_ROLES), which claim from HOLDER_NAME
    at `claim_address`; the last of them in front of `upstream` with the idle timeout `idle`.
    Each pools connections to its upstream, and one whose role is `edge` claim connections too;
    a relay in front of a relay waits PATIENT_IDLE on it."""
    listens = [(network.host(tier), free_port()) for tier in tiers]
    upstreams = [f"{host}:{port}" for host, port in listens[1:]] + [upstream]
    peers = peer_odb(claim_address)
    return [(tier, listen, relay_config(f"{listen[0]}:{listen[1]}", next_hop, idle if next_hop == upstream else PATIENT_IDLE,
                                        peers, CLAIMING_ROLES[tier], peer=True), 2 if CLAIMING_ROLES[tier] == "edge" else 1)
            for tier, listen, next_hop in zip(tiers, listens, upstreams)]


def holder_chain(network, tiers, origin, idle):
    """The claiming relays of `tiers` in front of a holder relay, which answers the origin's
    bodies with descriptors and keeps each body unread in its connection to the origin
    (docs/DESIGN.md, "Virtual payload")."""
    holder, claim = (network.host("holder"), free_port()), free_port()
    claim_address = f"{holder[0]}:{claim}"
    config = relay_config(f"{holder[0]}:{holder[1]}", origin, idle, holder_odb(claim_address, f"{HOLD_TIMEOUT_S}s"), "holder")
    return claiming_relays(network, tiers, f"{holder[0]}:{holder[1]}", claim_address, PATIENT_IDLE) + [("holder", holder, config, 1)]


class Relay:
    """One relay process on its tier, and the readings its bounds are checked against."""

    def __init__(self, binary, workdir, network, tier, address, config, pools):
        self.binary, self.network, self.tier, self.address = binary, network, tier, address
        self.pooled = pools * WORKERS * MAX_IDLE_PER_SERVER
        self.pin = f"/sys/fs/bpf/odb-soak-{os.getpid()}-{tier}"
        config_path = os.path.join(workdir, f"{tier}.yaml")
        with open(config_path, "w") as file:
            file.write(config)
        self.log_path = os.path.join(workdir, f"{tier}.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(network.command([binary, "relay", "--config", config_path, "--pin", self.pin], tier),
                                            stdout=subprocess.DEVNULL, stderr=log)

    def status(self):
        return json.loads(subprocess.run([self.binary, "status", "--json", "--pin", self.pin],
                                         capture_output=True, text=True, check=True).stdout)

    def counters(self, status=None):
        """This relay's entry in `status` (read now unless given)."""
        status = status or self.status()
        return next((entry for s in status.get("sets", []) for entry in s.get("relays", [])
                     if entry.get("pid") == self.process.pid), {})

    def kernel_counters(self):
        """The BPF counters of this relay's pin set (overlap_skbs, redirected_bytes, ...)."""
        return next((pin_set.get("counters", {}) for pin_set in self.status().get("sets", [])
                     if any(entry.get("pid") == self.process.pid for entry in pin_set.get("relays", []))), {})

    def reading(self):
        status = self.status()
        sets = status.get("sets", [])
        descriptors = descriptor_kinds(self.process.pid)
        own = self.counters(status)
        return {
            "relay_sockets": descriptors["socket"],
            "relay_pipes": descriptors["pipe"],
            "relay_other_fds": descriptors["other"],
            # Pipes a worker keeps for its next spliced body; every other pipe is a body's.
            "spare_pipe_fds": 2 * own.get("spare_splice_pipes", 0),
            "relay_rss_mib": proc_field(f"/proc/{self.process.pid}/status", "VmRSS:") / 1024,
            "bpf_sockets": sum(len(s.get("sockets", [])) for s in sets),
            # A pooled upstream keeps its flow record between bodies; `status` calls it idle.
            "bpf_flows": sum(1 for s in sets for flow in s.get("flows", []) if flow.get("state") != "idle"),
            "bpf_idle_flows": sum(1 for s in sets for flow in s.get("flows", []) if flow.get("state") == "idle"),
            "tcp_mem_mib": relay_socket_memory(self.process.pid, self.network, self.tier),
            "held_payloads": own.get("held_payloads", 0),
            "claims_in_flight": own.get("claims_in_flight", 0),
        }

    def log(self):
        with open(self.log_path) as file:
            return file.read()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
        subprocess.run([self.binary, "detach", "--pin", self.pin], capture_output=True)


def log_reasons(log):
    """How often the relay logged each kind of refusal, abort or failure, by its reason."""
    counts = {}
    # The text log sorts a line's metadata by key, so keys after `reason` may follow it.
    for match in re.finditer(r"reason=(.+?)(?: [a-z_]+=.*)? \[ODBRelay\] (.+)$", log, re.MULTILINE):
        key = f"{match.group(2)}: {match.group(1)}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def proc_field(path, name):
    with open(path) as file:
        for line in file:
            if line.startswith(name):
                return int(line.split()[1])
    return 0


def relay_socket_memory(pid, network, tier):
    """MiB charged to the relay's TCP sockets (skmem r + w + f; f is signed, printed unsigned)."""
    listing = subprocess.run(network.command(["ss", "-tmnpH"], tier), capture_output=True, text=True, check=True).stdout
    charged = 0
    for block in re.split(r"\n(?=\S)", listing):
        if f"pid={pid}," not in block:
            continue
        memory = re.search(r"skmem:\((\S+?)\)", block)
        fields = {field.rstrip("0123456789"): int(field.lstrip("abcdefghijklmnopqrstuvwxyz"))
                  for field in (memory.group(1).split(",") if memory else [])}
        forward = fields.get("f", 0)
        charged += fields.get("r", 0) + fields.get("w", 0) + (forward - (1 << 32) if forward >= 1 << 31 else forward)
    return charged / (1 << 20)


def warm_up(address, namespace):
    """A few exchanges on every route, so the pools and buffers a steady relay has exist."""
    if namespace:
        join_network(namespace)
    stats = {"responses": 0, "bodies": 0, "body_bytes": 0, "uploads": 0, "upload_bytes": 0, "corrupted": 0}
    rng = random.Random(0)
    for host in ROUTES:
        conn = Connection(address)
        for size in (0, 1000, 300 << 10, 4 << 20):
            conn.sock.sendall(request(size, host))
            conn.response(size, stats)
            conn.sock.sendall(upload(size, host, rng))
            conn.upload_answer(size, stats)
        conn.close()


def descriptor_kinds(pid):
    """The descriptors process `pid` holds: sockets, pipes and the rest."""
    kinds = {"socket": 0, "pipe": 0, "other": 0}
    directory = f"/proc/{pid}/fd"
    for name in os.listdir(directory):
        try:
            target = os.readlink(os.path.join(directory, name))
        except FileNotFoundError:
            continue  # closed while listed
        kind = target.split(":[", 1)[0]
        kinds[kind if kind in kinds else "other"] += 1
    return kinds


def readings(relays):
    return {relay.tier: relay.reading() for relay in relays}


def kernel_counters(relays):
    """The LOSS_COUNTERS summed over the relays' pin sets."""
    totals = dict.fromkeys(LOSS_COUNTERS, 0)
    for relay in relays:
        own = relay.kernel_counters()
        for name in totals:
            totals[name] += own.get(name, 0)
    return totals


def settle(relays, baseline):
    """Waits (up to 30 s) for the relays to release what the load held; returns the last readings."""
    after = readings(relays)
    for _ in range(60):
        if not any(release_bounds(baseline[relay.tier], after[relay.tier], relay.pooled) for relay in relays):
            break
        time.sleep(0.5)
        after = readings(relays)
    return after


def release_bounds(baseline, after, pooled):
    """The broken bounds on what a relay releases once the load stops (flows, sockets,
    descriptors, held payloads), as sentences."""
    broken = []
    if after["bpf_flows"]:
        broken.append(f"{after['bpf_flows']} BPF flows left")
    if after["bpf_idle_flows"] > pooled:
        broken.append(f"{after['bpf_idle_flows']} idle BPF flows > {pooled} pooled")
    if after["bpf_sockets"] > baseline["bpf_sockets"] + 2 * pooled:
        broken.append(f"BPF sockets {after['bpf_sockets']} > {baseline['bpf_sockets']} + {2 * pooled}")
    if after["relay_sockets"] > baseline["relay_sockets"] + pooled:
        broken.append(f"relay sockets {after['relay_sockets']} > {baseline['relay_sockets']} + {pooled} pooled")
    body_pipes = after["relay_pipes"] - after["spare_pipe_fds"]
    if body_pipes > baseline["relay_pipes"] - baseline["spare_pipe_fds"]:
        broken.append(f"relay pipe descriptors {after['relay_pipes']}, of which {after['spare_pipe_fds']} spare: "
                      f"more than the baseline's {baseline['relay_pipes']}, of which {baseline['spare_pipe_fds']} spare")
    if after["relay_other_fds"] > baseline["relay_other_fds"]:
        broken.append(f"relay descriptors other than sockets and pipes {after['relay_other_fds']} > {baseline['relay_other_fds']}")
    if after["held_payloads"] or after["claims_in_flight"]:
        broken.append(f"{after['held_payloads']} payloads held and {after['claims_in_flight']} claims in flight")
    return broken


def relay_bounds(relay, baseline, after, counters):
    """Every broken bound on one relay, as a sentence."""
    moved = counters.get("body_bytes", {})
    paths = INTERMEDIATE_PATHS if relay.tier == "intermediate" else set(ROUTES.values())
    broken = [f"no body bytes took the {path} path" for path in sorted(paths) if not moved.get(path)]
    refused = counters.get("fallbacks", {}).get("unsupported", 0)
    if refused:
        broken.append(f"{refused} bodies the kernel refused (fallbacks unsupported)")
    broken += release_bounds(baseline, after, relay.pooled)
    if after["relay_rss_mib"] > baseline["relay_rss_mib"] + RSS_GROWTH_MIB:
        broken.append(f"relay RSS {after['relay_rss_mib']:.0f} MiB > baseline {baseline['relay_rss_mib']:.0f} + {RSS_GROWTH_MIB}")
    if after["tcp_mem_mib"] > baseline["tcp_mem_mib"] + TCP_GROWTH_MIB:
        broken.append(f"relay TCP memory {after['tcp_mem_mib']:.1f} MiB > baseline {baseline['tcp_mem_mib']:.1f} + {TCP_GROWTH_MIB}")
    if relay.process.poll() is not None:
        broken.append(f"the relay exited with {relay.process.returncode}")
    return broken


def virtual_bounds(counters, totals):
    """The broken bounds on the virtual payload: no claim failed; with a holder relay, every
    non-empty body the clients took went through it as a payload (held, or served for real over
    a cap) and every held payload was claimed or expired; with an intermediate relay, it passed
    on a descriptor for every such body and the edge claimed as many; with a faulting relay, it
    claimed every such body as a fault."""
    events = {tier: relay.get("virtual_payloads", {}) for tier, relay in counters.items()}
    edge = events["edge"]
    failed = sum(relay.get("claims_failed", 0) for relay in events.values())
    broken = [f"{failed} claims failed"] if failed else []
    if "holder" in counters:
        holder = events["holder"]
        if holder.get("held", 0) + holder.get("over_cap", 0) < totals["bodies"]:
            broken.append(f"the holder held {holder.get('held', 0)} payloads (and {holder.get('over_cap', 0)} over its caps) "
                          f"for {totals['bodies']} non-empty bodies")
        if holder.get("held", 0) != holder.get("claims_served", 0) + holder.get("expired", 0):
            broken.append(f"the holder held {holder.get('held', 0)} payloads, served {holder.get('claims_served', 0)} to claims "
                          f"and let {holder.get('expired', 0)} expire")
    if "intermediate" in counters:
        passed = events["intermediate"].get("passed", 0)
        if passed < totals["bodies"]:
            broken.append(f"the intermediate passed on {passed} descriptors for {totals['bodies']} non-empty bodies")
        if edge.get("claims", 0) < totals["bodies"]:
            broken.append(f"the edge claimed {edge.get('claims', 0)} payloads for {totals['bodies']} non-empty bodies")
    if "faulting" in counters and events["faulting"].get("faults", 0) < totals["bodies"]:
        broken.append(f"the faulting relay claimed {events['faulting'].get('faults', 0)} payloads as faults "
                      f"for {totals['bodies']} non-empty bodies")
    return broken


def bounds(relays, baseline, after, totals, counters, loss):
    """Every broken bound, as a sentence, named after its relay when there are several."""
    broken = []
    if loss and not loss["overlap_skbs"]:
        broken.append(f"the verdict met no overlapping skb at {loss['percent']} % loss")
    if totals["corrupted"]:
        broken.append(f"{totals['corrupted']} corrupted bodies")
    if totals["unexpected"]:
        broken.append(f"{totals['unexpected']} unexpected failures")
    for relay in relays:
        named = f"{relay.tier}: " if len(relays) > 1 else ""
        broken += [named + sentence for sentence in relay_bounds(relay, baseline[relay.tier], after[relay.tier], counters[relay.tier])]
    if "edge" in counters:
        broken += virtual_bounds(counters, totals)
    return broken


def start_origin(binary, network, claim_port=None):
    """The built-in origin on its tier, holding its bodies for peers as HOLDER_NAME and serving
    claims on `claim_port` when one is given; returns the process and its address."""
    host, port = network.host("origin"), free_port()
    holding = ["--odb-name", HOLDER_NAME, "--odb-secret", ODB_SECRET, "--odb-claim-listen", f"{host}:{claim_port}",
               "--odb-hold-timeout", str(HOLD_TIMEOUT_S)] if claim_port else []
    origin = subprocess.Popen(network.command([binary, "origin", "--listen", f"{host}:{port}", *holding], "origin"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    network.wait_for_port(host, port)
    if claim_port:
        network.wait_for_port(host, claim_port)
    return origin, f"{host}:{port}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=6, help="client processes (default 6)")
    parser.add_argument("--binary", help="odb-redirect binary (default: .build/release, else .build/debug)")
    parser.add_argument("--report", help="also write the JSON report to this file")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--loss", type=float, metavar="PERCENT",
                        help="run each tier in a network namespace, joined by veth links that drop this share of packets")
    parser.add_argument("--virtual", nargs="?", const="holder", choices=tuple(VIRTUAL_TIERS),
                        help="an edge relay in front of a holder relay (holder, the default), of an intermediate and a "
                             "holder relay (intermediate), of a faulting and a holder relay (fault), or of an "
                             "intermediate relay and the ODB-aware origin (origin)")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = args.binary or next(
        (path for path in (f"{root}/.build/release/odb-redirect", f"{root}/.build/debug/odb-redirect") if os.path.exists(path)), None)
    if not binary:
        raise SystemExit("soak: build odb-redirect first (swift build -c release)")
    # Stopped from outside, the soak still stops its relays and origin and removes its namespaces.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    workdir = tempfile.mkdtemp(prefix="odb-soak-")
    tiers = VIRTUAL_TIERS[args.virtual] if args.virtual else ("relay",)
    network = Loopback() if args.loss is None else Veth(sack=False, tso=False, relays=tiers)
    origin, relays = None, []
    try:
        idle = IDLE if args.loss is None else PATIENT_IDLE
        if args.virtual == "origin":
            claim_port = free_port()
            origin, origin_address = start_origin(binary, network, claim_port)
            chain = claiming_relays(network, tiers, origin_address, f"{network.host('origin')}:{claim_port}", idle)
        else:
            origin, origin_address = start_origin(binary, network)
            chain = holder_chain(network, tiers[:-1], origin_address, idle) if args.virtual else plain_chain(network, origin_address, idle)
        # Started from the origin's side, so that each relay's upstream listens before it does.
        for tier, address, config, pools in reversed(chain):
            relays.insert(0, Relay(binary, workdir, network, tier, address, config, pools))
            network.wait_for_port(*address)
        front = relays[0].address
        warm = multiprocessing.Process(target=warm_up, args=(front, network.client_namespace))
        warm.start()
        warm.join()
        if warm.exitcode != 0:
            raise SystemExit("soak: the warm-up exchanges failed")
        time.sleep(1)
        baseline = readings(relays)
        if args.loss is not None:
            network.topology.set_loss(args.loss)
            tcp_before, kernel_before = network.topology.tcp_counters(), kernel_counters(relays)
        results = multiprocessing.Queue()
        deadline = time.time() + args.duration
        clients = [multiprocessing.Process(target=client_process,
                                           args=(front, network.client_namespace, args.seed + index, deadline, results))
                   for index in range(args.clients)]
        for client in clients:
            client.start()
        peak = {tier: dict(reading) for tier, reading in baseline.items()}
        started = time.time()
        rss = {tier: [[0, round(reading["relay_rss_mib"], 1)]] for tier, reading in baseline.items()}
        while time.time() < deadline:
            time.sleep(1)
            elapsed = round(time.time() - started)
            for tier, reading in readings(relays).items():
                peak[tier] = {key: max(peak[tier][key], reading[key]) for key in reading}
                if elapsed >= rss[tier][-1][0] + RSS_EVERY_S:
                    rss[tier].append([elapsed, round(reading["relay_rss_mib"], 1)])
        gathered = [results.get(timeout=120) for _ in clients]
        for client in clients:
            client.join()
        totals = {key: sum(stats[key] for stats, _ in gathered) for key in gathered[0][0]}
        failures = [failure for _, found in gathered for failure in found][:10]
        after = settle(relays, baseline)
        counters = {relay.tier: relay.counters() for relay in relays}
        loss = None
        if args.loss is not None:
            seen, dropped = network.topology.packets()
            tcp_after, kernel_after = network.topology.tcp_counters(), kernel_counters(relays)
            loss = {"percent": args.loss, "packets_seen": seen, "packets_dropped": dropped,
                    "tcp": {name: tcp_after[name] - tcp_before[name] for name in tcp_after},
                    **{name: kernel_after[name] - kernel_before[name] for name in kernel_after}}
        broken = bounds(relays, baseline, after, totals, counters, loss)
        report = {
            "duration_s": args.duration, "clients": args.clients, "seed": args.seed, "workers": WORKERS,
            "relays": list(tiers), "totals": totals, "responses_per_s": round(totals["responses"] / args.duration, 1),
            "body_mib_per_s": round(totals["body_bytes"] / args.duration / (1 << 20), 1),
            "baseline": baseline, "peak": peak, "after": after, "rss_mib": rss, "relay_counters": counters, "loss": loss,
            "bounds": {"pooled_upstream_connections": {relay.tier: relay.pooled for relay in relays},
                       "rss_growth_mib": RSS_GROWTH_MIB, "tcp_growth_mib": TCP_GROWTH_MIB},
            "failures": failures, "broken": broken,
        }
    finally:
        for relay in relays:
            relay.stop()
        if origin:
            origin.kill()
            origin.wait()
        logs = {relay.tier: relay.log() for relay in relays}
        network.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    report["relay_log"] = {tier: log_reasons(log) for tier, log in logs.items()}
    # What the relays said about the connections that failed unexpectedly.
    ports = re.findall(r"port (\d+) closed", " ".join(report["failures"]))
    report["failure_log"] = [line for log in logs.values() for line in log.splitlines() if any(f":{port} " in line for port in ports)]
    text = json.dumps(report, indent=2, sort_keys=True)
    print(text)
    if args.report:
        with open(args.report, "w") as file:
            file.write(text + "\n")
    if broken:
        print("soak: " + "; ".join(broken), file=sys.stderr)
        print("relay log: " + json.dumps(report["relay_log"]), file=sys.stderr)
        sys.exit(1)
    print(f"soak: {totals['responses']} responses, {totals['body_bytes'] >> 20} MiB checked, {totals['uploads']} uploads, "
          f"{totals['upload_bytes'] >> 20} MiB checked, every bound held", file=sys.stderr)


if __name__ == "__main__":
    main()
