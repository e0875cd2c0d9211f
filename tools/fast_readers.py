#!/usr/bin/env python3
"""Fast readers: what share of large bodies a kernel-mode relay moves in the kernel when its
clients read as fast as the origin sends.

    python3 tools/fast_readers.py                      # 1 and 4 connections, 1-64 MiB bodies, 10 s each
    python3 tools/fast_readers.py --connections 1 --sizes 64MiB --route "flow_budget: 2MiB"
    python3 tools/fast_readers.py --veth               # client, relay and origin in namespaces joined by veth

Starts the built-in origin and, for each connection count, a fresh two-worker kernel-mode relay
(slow_readers.Relay). All on loopback, or with --veth in three network namespaces (client,
relay, origin) in a line joined by veth links, without loss (fault_torture.Topology), removed at
the end. Each connection is a process of its own, so that readers never share an interpreter; it
GETs the sizes in turn, over and over, for SECONDS, and reads every body whole as fast as it can
(lengths are checked, not contents: the tests check contents, and a byte compare here would take
the CPU the reader must not lack). Prints, per connection count: MiB/s, the relay's body bytes by
path (`status --json`: kernel = redirected, copy = passed and forwarded by user space) and the
kernel share, and the verdict's counters (redirected_bytes, passed_body_bytes, budget_passes).
Run as root.
"""
import argparse
import os
import socket
import subprocess
import tempfile
import time
import json
import multiprocessing

from http_wire import read_head
from slow_readers import MIB, Relay, free_port, size_argument
from tiers import Loopback, Veth, join_network

def read_fast(host, port, namespace, sizes, deadline, results):
    """One reader: GETs the sizes in turn until the deadline and puts (bytes, bodies, error) on
    results."""
    buffer = bytearray(1 << 20)
    read = bodies = 0
    error = None
    try:
        if namespace:
            join_network(namespace)
        with socket.create_connection((host, port), timeout=30) as sock:
            while time.monotonic() < deadline:
                for size in sizes:
                    sock.sendall(f"GET /bytes/{size} HTTP/1.1\r\nHost: fast\r\n\r\n".encode())
                    answer = read_head(sock)
                    if answer is None:
                        raise RuntimeError("closed before a response head")
                    head, body = answer
                    if not head.startswith(b"HTTP/1.1 200") or f"Content-Length: {size}".encode() not in head:
                        raise RuntimeError(f"answer {head[:60]!r} for {size} bytes")
                    left = size - len(body)
                    while left > 0:
                        count = sock.recv_into(buffer, min(left, len(buffer)))
                        if not count:
                            raise RuntimeError(f"closed {left} bytes short of {size}")
                        left -= count
                    read += size
                    bodies += 1
    except Exception as failure:  # reported with the run
        error = f"{type(failure).__name__}: {failure}"
    results.put((read, bodies, error))


def measure(binary, origin_port, connections, args, workdir, network):
    relay = Relay(binary, "kernel", origin_port, args.route, workdir, network)
    try:
        started = time.monotonic()
        results = multiprocessing.Queue()
        readers = [multiprocessing.Process(target=read_fast, daemon=True,
                                           args=(relay.host, relay.port, network.client_namespace,
                                                 args.sizes, started + args.seconds, results))
                   for _ in range(connections)]
        for reader in readers:
            reader.start()
        outcomes = [results.get() for _ in readers]
        for reader in readers:
            reader.join()
        elapsed = time.monotonic() - started
        time.sleep(0.5)  # the relay publishes its counters every 250 ms
        found = relay.counters()
    finally:
        relay.stop()
        network.forget(origin_port, relay.port)
    paths = found.get("body_bytes", {})
    counters = found.get("counters", {})
    total = sum(paths.values())
    moved = counters.get("redirected_bytes", 0) + counters.get("passed_body_bytes", 0)
    return {
        "network": "veth" if network.client_namespace else "loopback",
        "connections": connections,
        "mib_per_s": round(sum(read for read, _, _ in outcomes) / MIB / elapsed, 1),
        "bodies": sum(bodies for _, bodies, _ in outcomes),
        "body_bytes": paths,
        "kernel_share": round(paths.get("kernel", 0) / total, 4) if total else None,
        "redirected_share": round(counters.get("redirected_bytes", 0) / moved, 4) if moved else None,
        "budget_passes": counters.get("budget_passes"),
        "errors": [error for _, _, error in outcomes if error],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", help="odb-redirect binary (default: .build/release)")
    parser.add_argument("--connections", default="1,4", help="comma-separated connection counts")
    parser.add_argument("--sizes", default="1MiB,4MiB,16MiB,64MiB", help="body sizes each connection cycles through")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--route", action="append", default=[], help='more route keys, e.g. "flow_budget: 2MiB"')
    parser.add_argument("--veth", action="store_true", help="client, relay and origin in namespaces joined by veth")
    args = parser.parse_args()
    args.sizes = [size_argument(size) for size in args.sizes.split(",")]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    binary = args.binary or f"{root}/.build/release/odb-redirect"
    workdir = tempfile.mkdtemp(prefix="odb-fast-readers-")
    network = Veth() if args.veth else Loopback()
    try:
        origin_port = free_port()
        origin = subprocess.Popen(network.command([binary, "origin", "--listen", f"{network.origin_host}:{origin_port}"], "origin"),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            network.wait_for_port(network.origin_host, origin_port)
            for connections in (int(count) for count in args.connections.split(",")):
                print(json.dumps(measure(binary, origin_port, connections, args, workdir, network)), flush=True)
        finally:
            origin.kill()
            origin.wait()
    finally:
        network.remove()


if __name__ == "__main__":
    main()
