#!/usr/bin/env python3
"""Slow readers: what TCP memory a relay costs when its clients read far slower than the origin sends.

    python3 tools/slow_readers.py                       # 20 clients, 256 MiB bodies, ~1 MB/s, copy then kernel
    python3 tools/slow_readers.py --modes copy,kernel --repetitions 2 --route "flow_budget: 2MiB"

Starts the built-in origin (`odb-redirect origin`, byte i of every body is i % 251) and, for each
mode in turn, a two-worker relay in front of it. CLIENTS clients each GET one SIZE body through
the relay and read it at about RATE bytes/s for SECONDS, checking every byte, then hang up. Every
half second the script samples:

  - sockstat: `TCP: mem` of /proc/net/sockstat (pages charged to all TCP sockets on the machine),
    above the idle reading taken with the relay and origin up but no client connected;
  - every socket of the run by SO_MEMINFO (`ss -tm`): charged memory r + w + f (receive queue,
    send queue, forward allocation) of the relay's upstream (source) and client-side (target)
    sockets, of the origin's and of the clients', and their sum (run_sockets: sockstat's figure
    restricted to this run's sockets, which other processes on the machine do not move);
  - the bytes the relay holds: what its upstream sockets received minus what its clients
    acknowledged (TCP_INFO bytes_received and bytes_acked), wherever they wait (socket queues,
    the psock backlog, user space);
  - the relay's RSS.

Prints each run's peaks, per mode and per flow, and the kernel/copy ratio of peak sockstat
memory. Sockstat counts every TCP socket on the machine (the origin's and the clients' too, and
other users'): run it on an otherwise quiet machine and compare modes within one run. Ends with
the relay's `status --json` byte counters (what share went through the kernel). Run as root.
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from http_wire import read_head
from ports import free_port, wait_for_port
from relay_config import write_single_route

PERIOD = 251
PIECE = 64 << 10
PATTERN = bytes(i % PERIOD for i in range(PIECE + PERIOD))
PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20


def sockstat_pages():
    with open("/proc/net/sockstat") as file:
        for line in file:
            if line.startswith("TCP:"):
                words = line.split()
                return int(words[words.index("mem") + 1])
    return 0


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as file:
        for line in file:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


SKMEM = re.compile(r"skmem:\((\S+)\)")
COUNTER = re.compile(r"\b(bytes_acked|bytes_received):(\d+)")


def sockets():
    """Every TCP socket as (local port, peer port, charged bytes, bytes_acked, bytes_received)."""
    listing = subprocess.run(["ss", "-tmniH"], capture_output=True, text=True, check=True).stdout
    found = []
    for block in re.split(r"\n(?=\S)", listing):
        words = block.split()
        if len(words) < 5 or ":" not in words[3]:
            continue
        local, peer = int(words[3].rsplit(":", 1)[1]), int(words[4].rsplit(":", 1)[1])
        memory = SKMEM.search(block)
        fields = dict(re.match(r"([a-z]+)(\d+)", part).groups() for part in memory.group(1).split(",")) if memory else {}
        # f (forward allocation) is signed and printed as an unsigned 32-bit number.
        forward = int(fields.get("f", 0))
        charged = int(fields.get("r", 0)) + int(fields.get("w", 0)) + (forward - (1 << 32) if forward >= 1 << 31 else forward)
        counters = {name: int(value) for name, value in COUNTER.findall(block)}
        found.append((local, peer, charged, counters.get("bytes_acked", 0), counters.get("bytes_received", 0)))
    return found


def forget_connections(*ports):
    """Destroys what is left of this run's connections (the origin's sockets keep megabytes queued
    to a relay socket that closed with a zero window, and would count in the next run's memory)."""
    for port in ports:
        subprocess.run(["ss", "-K", "-tnH", f"( sport = :{port} or dport = :{port} )"], capture_output=True)


class Relay:
    """A two-worker relay in front of the origin. By default all on loopback; `network` places it
    elsewhere: an object with `relay_host`, `origin_host`, `command(arguments)` (the command run
    where the relay lives) and `wait_for_port(host, port)`."""

    def __init__(self, binary, mode, origin_port, route, workdir, network=None):
        self.binary = binary
        self.port = free_port()
        self.host = network.relay_host if network else "127.0.0.1"
        origin_host = network.origin_host if network else "127.0.0.1"
        self.pin = f"/sys/fs/bpf/odb-slow-readers-{os.getpid()}-{mode}"
        config = os.path.join(workdir, f"relay-{mode}.yaml")
        write_single_route(config, f"{self.host}:{self.port}", f"{origin_host}:{origin_port}", mode, self.pin, 2,
                           route)
        self.log = open(os.path.join(workdir, f"relay-{mode}.log"), "w")
        command = [binary, "relay", "--config", config]
        self.process = subprocess.Popen(network.command(command) if network else command,
                                        stdout=subprocess.DEVNULL, stderr=self.log)
        try:
            if network:
                network.wait_for_port(self.host, self.port)
            else:
                wait_for_port(self.port)
        except BaseException:
            self.stop()
            raise

    def counters(self):
        answer = subprocess.run([self.binary, "status", "--json", "--pin", self.pin], capture_output=True, text=True)
        if answer.returncode != 0:
            return {}  # no pin set: a copy relay loads no BPF
        status = json.loads(answer.stdout)
        for found in status.get("sets", []):
            for entry in found.get("relays", []):
                if entry.get("pid") == self.process.pid:
                    return {"body_bytes": entry.get("body_bytes", {}), "counters": found.get("counters", {})}
        return {}

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        subprocess.run([self.binary, "detach", "--pin", self.pin], capture_output=True)


class SlowReader(threading.Thread):
    """One client: GETs one body and reads it at `rate` bytes/s until `stop` is set."""

    def __init__(self, port, size, rate, stop):
        super().__init__(daemon=True)
        self.port, self.size, self.rate, self.stop = port, size, rate, stop
        self.received = 0
        self.error = None

    def run(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
                sock.sendall(f"GET /bytes/{self.size} HTTP/1.1\r\nHost: slow\r\n\r\n".encode())
                answer = read_head(sock)
                if answer is None:
                    raise RuntimeError("closed before a response head")
                head, body = answer
                if not head.startswith(b"HTTP/1.1 200"):
                    raise RuntimeError(f"answer {head[:40]!r}")
                started = time.monotonic()
                self.check(body)
                while not self.stop.is_set() and self.received < self.size:
                    ahead = self.received / self.rate - (time.monotonic() - started)
                    if ahead > 0:
                        self.stop.wait(ahead)
                        continue
                    piece = sock.recv(PIECE)
                    if not piece:
                        raise RuntimeError(f"closed after {self.received} bytes")
                    self.check(piece)
        except Exception as error:  # reported with the run; one broken client must not stop the others
            self.error = f"{type(error).__name__}: {error}"

    def check(self, piece):
        start = self.received % PERIOD
        if piece != PATTERN[start:start + len(piece)]:
            raise RuntimeError(f"wrong bytes within [{self.received}, {self.received + len(piece)})")
        self.received += len(piece)


def measure(binary, mode, origin_port, args, workdir):
    relay = Relay(binary, mode, origin_port, args.route, workdir)
    try:
        time.sleep(1)
        idle = sorted(sockstat_pages() for _ in range(5))[2]
        stop = threading.Event()
        readers = [SlowReader(relay.port, args.size, args.rate, stop) for _ in range(args.clients)]
        for reader in readers:
            reader.start()
        keys = ["sockstat", "run_sockets", "relay_charged", "relay_source", "relay_target", "relay_held", "origin", "clients", "relay_rss"]
        peak = dict.fromkeys(keys, 0)
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            time.sleep(0.5)
            stat = (sockstat_pages() - idle) * PAGE
            source = target = received = acked = served = clients = 0
            for local, peer, charged, bytes_acked, bytes_received in sockets():
                if peer == origin_port and local != origin_port:
                    source += charged
                    received += bytes_received
                elif local == relay.port:
                    target += charged
                    acked += bytes_acked
                elif local == origin_port:
                    served += charged
                elif peer == relay.port:
                    clients += charged
            reading = {"sockstat": stat, "run_sockets": source + target + served + clients, "relay_charged": source + target, "relay_source": source,
                       "relay_target": target, "relay_held": received - acked, "origin": served, "clients": clients,
                       "relay_rss": rss_bytes(relay.process.pid)}
            peak = {key: max(peak[key], reading[key]) for key in peak}
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
        counters = relay.counters()
    finally:
        relay.stop()
        forget_connections(origin_port, relay.port)
    return {
        "mode": mode,
        "peak_mib": {key: round(value / MIB, 1) for key, value in peak.items()},
        "per_flow_mib": {key: round(value / MIB / args.clients, 2) for key, value in peak.items() if key != "relay_rss"},
        "read_mib": round(sum(reader.received for reader in readers) / MIB, 1),
        "client_errors": [reader.error for reader in readers if reader.error],
        "relay": counters,
    }


def size_argument(text):
    units = {"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "kb": 1000, "mb": 1000 ** 2}
    match = re.fullmatch(r"(\d+)\s*([a-zA-Z]*)", text.strip())
    if not match or (match.group(2) and match.group(2).lower() not in units):
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    return int(match.group(1)) * units.get(match.group(2).lower(), 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", help="odb-redirect binary (default: .build/release)")
    parser.add_argument("--modes", default="copy,kernel", help="comma-separated relay modes, run in this order")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--size", type=size_argument, default=256 << 20, help="body size (default 256MiB)")
    parser.add_argument("--rate", type=size_argument, default=1000 ** 2, help="bytes/s each client reads (default 1MB)")
    parser.add_argument("--seconds", type=float, default=30, help="how long the clients read (default 30)")
    parser.add_argument("--repetitions", type=int, default=1, help="rounds over the modes")
    parser.add_argument("--route", action="append", default=[], help='more route keys, e.g. "flow_budget: 2MiB"')
    args = parser.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = args.binary or f"{root}/.build/release/odb-redirect"
    if not os.path.exists(binary):
        raise SystemExit("slow_readers: build odb-redirect first (swift build -c release --product odb-redirect)")
    workdir = tempfile.mkdtemp(prefix="odb-slow-readers-")
    origin_port = free_port()
    origin = subprocess.Popen([binary, "origin", "--listen", f"127.0.0.1:{origin_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = []
    try:
        wait_for_port(origin_port)
        for _ in range(args.repetitions):
            for mode in args.modes.split(","):
                run = measure(binary, mode, origin_port, args, workdir)
                runs.append(run)
                print(json.dumps(run), flush=True)
    finally:
        origin.kill()
        origin.wait()
    summary = {"clients": args.clients, "size": args.size, "rate": args.rate, "seconds": args.seconds, "route": args.route}
    for figure in ("sockstat", "run_sockets", "relay_charged"):
        peaks = {}
        for run in runs:
            peaks.setdefault(run["mode"], []).append(run["peak_mib"][figure])
        summary[f"peak_{figure}_mib"] = peaks
        if "copy" in peaks and "kernel" in peaks:
            summary[f"kernel_over_copy_{figure}"] = round(max(peaks["kernel"]) / max(max(peaks["copy"]), 0.1), 2)
    print(json.dumps(summary))
    if any(run["client_errors"] for run in runs):
        sys.exit(1)


if __name__ == "__main__":
    main()
