#!/usr/bin/env python3
"""Soak: mixed traffic through a relay for a while, then check nothing leaked or was corrupted.

    python3 tools/soak.py --duration 60            # what CI runs (tools/test.sh)
    python3 tools/soak.py --duration 600 --report docs/soak-600s.json   # the documented long run
    python3 tools/soak.py --duration 600 --loss 2    # across lossy links (run as root)

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
hold). After the load stops and the relay settles, the script checks:

  - zero corrupted bodies (downloads and uploads) and zero unexpected failures (only
    deliberate aborts may cut a body);
  - relay sockets and BPF socket entries within the pooled upstream connections of the
    baseline (workers x max_idle_per_server connections, two tracked sockets each), zero BPF
    flows but the idle records of those pooled connections, at most one each;
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
    overlap_skbs): a lossy run without them tests nothing the loopback run does not.

Exits 1 and says which bound broke; prints one JSON report (and writes it with --report).
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
    stats = {"scenarios": 0, "responses": 0, "body_bytes": 0, "uploads": 0, "upload_bytes": 0, "corrupted": 0, "aborted": 0,
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


class Relay:
    """The relay and origin processes, and the readings the bounds are checked against."""

    def __init__(self, binary, workdir, network):
        self.binary, self.network = binary, network
        self.pin = f"/sys/fs/bpf/odb-soak-{os.getpid()}"
        origin_port, port = free_port(), free_port()
        self.address = (network.relay_host, port)
        self.origin = subprocess.Popen(network.command([binary, "origin", "--listen", f"{network.origin_host}:{origin_port}"], "origin"),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        routes = "".join(f"""
              - host: {host}
                upstream: origin
                mode: {mode}""" for host, mode in ROUTES.items())
        config = os.path.join(workdir, "soak.yaml")
        with open(config, "w") as file:
            file.write(f"""workers: {WORKERS}
log:
  level: info
  access_log: false
timeouts:
  idle: 5s
listeners:
  - listen: "{network.relay_host}:{port}"
    routes:{routes}
upstreams:
  origin:
    servers: ["{network.origin_host}:{origin_port}"]
    max_idle_per_server: {MAX_IDLE_PER_SERVER}
""")
        self.log = open(os.path.join(workdir, "relay.log"), "w")
        network.wait_for_port(network.origin_host, origin_port)
        self.process = subprocess.Popen(network.command([binary, "relay", "--config", config, "--pin", self.pin]),
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        network.wait_for_port(network.relay_host, port)

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
            "tcp_mem_mib": relay_socket_memory(self.process.pid, self.network),
        }

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.origin.kill()
        self.origin.wait()
        subprocess.run([self.binary, "detach", "--pin", self.pin], capture_output=True)


def log_reasons(log):
    """How often the relay logged each kind of refusal, abort or failure, by its reason."""
    counts = {}
    for match in re.finditer(r"reason=(.+?) \[ODBRelay\] (.+)$", log, re.MULTILINE):
        key = f"{match.group(2)}: {match.group(1)}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def proc_field(path, name):
    with open(path) as file:
        for line in file:
            if line.startswith(name):
                return int(line.split()[1])
    return 0


def relay_socket_memory(pid, network):
    """MiB charged to the relay's TCP sockets (skmem r + w + f; f is signed, printed unsigned)."""
    listing = subprocess.run(network.command(["ss", "-tmnpH"]), capture_output=True, text=True, check=True).stdout
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
    stats = {"responses": 0, "body_bytes": 0, "uploads": 0, "upload_bytes": 0, "corrupted": 0}
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


def settle(relay, baseline, pooled):
    """Waits (up to 30 s) for the relay to release what the load held; returns the last reading."""
    reading = relay.reading()
    for _ in range(60):
        if not release_bounds(baseline, reading, pooled):
            break
        time.sleep(0.5)
        reading = relay.reading()
    return reading


def release_bounds(baseline, after, pooled):
    """The broken bounds on what the relay releases once the load stops (flows, sockets,
    descriptors), as sentences."""
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
    return broken


def bounds(baseline, after, pooled, totals, counters, loss):
    """Every broken bound, as a sentence."""
    broken = []
    if loss and not loss["overlap_skbs"]:
        broken.append(f"the verdict met no overlapping skb at {loss['percent']} % loss")
    moved = counters.get("body_bytes", {})
    broken += [f"no body bytes took the {path} path" for path in sorted(set(ROUTES.values())) if not moved.get(path)]
    refused = counters.get("fallbacks", {}).get("unsupported", 0)
    if refused:
        broken.append(f"{refused} bodies the kernel refused (fallbacks unsupported)")
    if totals["corrupted"]:
        broken.append(f"{totals['corrupted']} corrupted bodies")
    if totals["unexpected"]:
        broken.append(f"{totals['unexpected']} unexpected failures")
    broken += release_bounds(baseline, after, pooled)
    if after["relay_rss_mib"] > baseline["relay_rss_mib"] + RSS_GROWTH_MIB:
        broken.append(f"relay RSS {after['relay_rss_mib']:.0f} MiB > baseline {baseline['relay_rss_mib']:.0f} + {RSS_GROWTH_MIB}")
    if after["tcp_mem_mib"] > baseline["tcp_mem_mib"] + TCP_GROWTH_MIB:
        broken.append(f"relay TCP memory {after['tcp_mem_mib']:.1f} MiB > baseline {baseline['tcp_mem_mib']:.1f} + {TCP_GROWTH_MIB}")
    return broken


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--clients", type=int, default=6, help="client processes (default 6)")
    parser.add_argument("--binary", help="odb-redirect binary (default: .build/release, else .build/debug)")
    parser.add_argument("--report", help="also write the JSON report to this file")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--loss", type=float, metavar="PERCENT",
                        help="run each tier in a network namespace, joined by veth links that drop this share of packets")
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = args.binary or next(
        (path for path in (f"{root}/.build/release/odb-redirect", f"{root}/.build/debug/odb-redirect") if os.path.exists(path)), None)
    if not binary:
        raise SystemExit("soak: build odb-redirect first (swift build -c release)")
    workdir = tempfile.mkdtemp(prefix="odb-soak-")
    network = Loopback() if args.loss is None else Veth(sack=False, tso=False)
    relay = None
    try:
        relay = Relay(binary, workdir, network)
        warm = multiprocessing.Process(target=warm_up, args=(relay.address, network.client_namespace))
        warm.start()
        warm.join()
        if warm.exitcode != 0:
            raise SystemExit("soak: the warm-up exchanges failed")
        time.sleep(1)
        baseline = relay.reading()
        if args.loss is not None:
            network.topology.set_loss(args.loss)
            tcp_before, kernel_before = network.topology.tcp_counters(), relay.kernel_counters()
        results = multiprocessing.Queue()
        deadline = time.time() + args.duration
        clients = [multiprocessing.Process(target=client_process,
                                           args=(relay.address, network.client_namespace, args.seed + index, deadline, results))
                   for index in range(args.clients)]
        for client in clients:
            client.start()
        peak = dict(baseline)
        while time.time() < deadline:
            time.sleep(1)
            reading = relay.reading()
            peak = {key: max(peak[key], reading[key]) for key in peak}
        gathered = [results.get(timeout=120) for _ in clients]
        for client in clients:
            client.join()
        totals = {key: sum(stats[key] for stats, _ in gathered) for key in gathered[0][0]}
        failures = [failure for _, found in gathered for failure in found][:10]
        pooled = WORKERS * MAX_IDLE_PER_SERVER
        after = settle(relay, baseline, pooled)
        counters = relay.counters()
        loss = None
        if args.loss is not None:
            seen, dropped = network.topology.packets()
            tcp_after, kernel_after = network.topology.tcp_counters(), relay.kernel_counters()
            loss = {"percent": args.loss, "packets_seen": seen, "packets_dropped": dropped,
                    "tcp": {name: tcp_after[name] - tcp_before[name] for name in tcp_after},
                    **{name: kernel_after.get(name, 0) - kernel_before.get(name, 0)
                       for name in ("overlap_skbs", "overlap_bytes_trimmed", "redirected_bytes")}}
        broken = bounds(baseline, after, pooled, totals, counters, loss)
        if relay.process.poll() is not None:
            broken.append(f"the relay exited with {relay.process.returncode}")
        report = {
            "duration_s": args.duration, "clients": args.clients, "seed": args.seed, "workers": WORKERS,
            "totals": totals, "responses_per_s": round(totals["responses"] / args.duration, 1),
            "body_mib_per_s": round(totals["body_bytes"] / args.duration / (1 << 20), 1),
            "baseline": baseline, "peak": peak, "after": after, "relay_counters": counters, "loss": loss,
            "bounds": {"pooled_upstream_connections": pooled, "rss_growth_mib": RSS_GROWTH_MIB,
                       "tcp_growth_mib": TCP_GROWTH_MIB},
            "failures": failures, "broken": broken,
        }
    finally:
        if relay:
            relay.stop()
            relay.log.close()
        network.remove()
        log = open(os.path.join(workdir, "relay.log")).read() if relay else ""
        shutil.rmtree(workdir, ignore_errors=True)
    report["relay_log"] = log_reasons(log)
    # What the relay said about the connections that failed unexpectedly.
    ports = re.findall(r"port (\d+) closed", " ".join(report["failures"]))
    report["failure_log"] = [line for line in log.splitlines() if any(f":{port} " in line for port in ports)]
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
