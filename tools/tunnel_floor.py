#!/usr/bin/env python3
"""What moving a body costs the machine by each means, with no HTTP work in the relay at all:
a tunnel whose bytes go by sk_skb redirect (bpf/tunnel_floor.bpf.c), against HAProxy in TCP
mode copying and splicing, beside this relay's kernel and copy modes and HAProxy in HTTP mode
(the bench's peer), all in one interleaved run (docs/PERFORMANCE.md §23).

    python3 tools/tunnel_floor.py                          # 64 KiB, 256 KiB, 1 MiB; 3 rounds of 4 s
    python3 tools/tunnel_floor.py --sizes 65536 --rounds 5 --seconds 5
    python3 tools/tunnel_floor.py --netns                  # client, relays and origin on separate hosts

The redirect tunnels are the floor of any relay built on sk_skb redirects: after the join
no user space runs, no window is opened, nothing is parsed. They run twice, with skbs of
several fragments redirected as they come and made linear first (as the relay's verdict does
for long bodies); their sockets get the memory the relay's kernel path gives a source and a
target. Where a tunnel costs the machine more per request than a relay that copies every byte
through user space, no per-body work a relay could save brings its kernel path below copying.
The load is `wrk -t2 -c8` of `/bytes/SIZE` from the built-in origin, on loopback or, with
`--netns`, with the client, the relays and the origin each in a network namespace, in a line
joined by veth (fast_readers.Veth); the machine's CPU is its busy time, elapsed × CPUs − /proc/stat's idle,
as the bench counts it. Prints one JSON line per measurement, then each mode's medians and its
cost over this relay's copy mode, HAProxy's HTTP mode and HAProxy's TCP copy. Run as root (BPF) from the repository's
top directory, with the release build.
"""
import argparse
import ctypes
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

from machine_cpu import idle_seconds
from ports import free_port
from relay_config import write_single_route
from tiers import Loopback, Veth

SO_COOKIE = 57
SO_SNDBUFFORCE = 32
SO_RCVBUFFORCE = 33
BPF_SK_SKB_VERDICT = 38


class MapUpdateFailed(Exception):
    pass


class RedirectTunnel:
    """Accepts clients on an address and joins each to its own origin connection in the two maps
    of bpf/tunnel_floor.bpf.c; from then on the verdict moves every byte of both directions."""

    def __init__(self, objects, listen, origin):
        self.objects, self.origin = objects, origin
        self.listener = socket.create_server(listen, backlog=128)
        # Closing a socket takes it out of the SOCKHASH: the tunnel keeps them while it runs.
        self.held = []

    def serve(self):
        while True:
            client, _ = self.listener.accept()
            upstream = socket.create_connection(self.origin)
            for one in (client, upstream):
                one.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # 4 MiB of receive memory, a kernel-path source's standard, and as much send memory for
            # the target (the kernel doubles both values).
            upstream.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 2 << 20)
            client.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 2 << 20)
            try:
                self.objects.join(client, upstream)
                self.held += [client, upstream]
            except MapUpdateFailed:
                # A client that closed before its join (a port probe): a SOCKHASH takes only
                # established sockets.
                client.close()
                upstream.close()


class TunnelObjects:
    """bpf/tunnel_floor.bpf.c compiled, loaded through libbpf and attached to its SOCKHASH."""

    def __init__(self, workdir, linearise):
        compiler = "/opt/swift/usr/bin/clang" if os.path.exists("/opt/swift/usr/bin/clang") else "clang"
        objfile = os.path.join(workdir, f"tunnel_floor_{int(linearise)}.o")
        subprocess.run([compiler, "-target", "bpf", "-O2", "-g", "-Wall", "-Werror", "-I", "bpf",
                        "-c", "bpf/tunnel_floor.bpf.c", "-o", objfile], check=True)
        self.libbpf = ctypes.CDLL("libbpf.so.1", use_errno=True)
        lib = self.libbpf
        lib.bpf_object__open_file.restype = ctypes.c_void_p
        lib.bpf_object__open_file.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        lib.bpf_object__load.argtypes = [ctypes.c_void_p]
        lib.bpf_object__find_map_fd_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.bpf_object__find_program_by_name.restype = ctypes.c_void_p
        lib.bpf_object__find_program_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.bpf_program__fd.argtypes = [ctypes.c_void_p]
        lib.bpf_object__close.argtypes = [ctypes.c_void_p]
        lib.bpf_map_update_elem.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint64]
        self.object = lib.bpf_object__open_file(objfile.encode(), None)
        if not self.object or lib.bpf_object__load(self.object) != 0:
            raise SystemExit("could not load bpf/tunnel_floor.bpf.c (run as root)")
        self.sockets = lib.bpf_object__find_map_fd_by_name(self.object, b"tunnel_sockets")
        self.peers = lib.bpf_object__find_map_fd_by_name(self.object, b"tunnel_peers")
        self.update(lib.bpf_object__find_map_fd_by_name(self.object, b"tunnel_linearise"), 0, int(linearise), width=4)
        verdict = lib.bpf_program__fd(lib.bpf_object__find_program_by_name(self.object, b"tunnel_verdict"))
        if lib.bpf_prog_attach(verdict, self.sockets, BPF_SK_SKB_VERDICT, 0) != 0:
            raise SystemExit(f"attaching the verdict failed: {os.strerror(ctypes.get_errno())}")

    def update(self, fd, key, value, width=8):
        kind = ctypes.c_uint64 if width == 8 else ctypes.c_uint32
        key, value = kind(key), kind(value)
        if self.libbpf.bpf_map_update_elem(fd, ctypes.byref(key), ctypes.byref(value), 0) != 0:
            raise MapUpdateFailed(os.strerror(ctypes.get_errno()))

    def join(self, client, upstream):
        """Each socket's bytes go to the other from now on. The upstream, silent until it gets a
        request, joins first: a client's skb whose peer is not in the SOCKHASH yet would be
        dropped after TCP acknowledged it. Bytes that arrived before the join wait in the
        client's queue until the verdict sees them, which raising SO_RCVLOWAT makes happen at
        once (it runs the socket's data-ready)."""
        cookies = [int.from_bytes(one.getsockopt(socket.SOL_SOCKET, SO_COOKIE, 8), "little") for one in (client, upstream)]
        self.update(self.peers, cookies[0], cookies[1])
        self.update(self.peers, cookies[1], cookies[0])
        self.update(self.sockets, cookies[1], upstream.fileno())
        self.update(self.sockets, cookies[0], client.fileno())
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, 1)

    def close(self):
        self.libbpf.bpf_object__close(self.object)


def haproxy_config(path, listen, origin, mode):
    tcp = mode != "haproxy-http"
    options = {"haproxy-http": ["option http-keep-alive", "option splice-auto", "option splice-response", "http-reuse always"],
               "haproxy-tcp-splice": ["option splice-request", "option splice-response"],
               "haproxy-tcp-copy": []}[mode]
    lines = ["global", "    nbthread 2", "    maxconn 4096", "defaults", f"    mode {'tcp' if tcp else 'http'}",
             "    timeout connect 5s", "    timeout client 60s", "    timeout server 60s"]
    lines += ["    " + option for option in options]
    lines += ["frontend hop", f"    bind {listen}", "    default_backend next", "backend next", f"    server s0 {origin}", ""]
    with open(path, "w") as file:
        file.write("\n".join(lines))


def measure(network, address, size, seconds, connections):
    """wrk against the address; requests per second and the machine's busy µs per request
    (elapsed × CPUs − idle)."""
    idle0, start = idle_seconds(), time.monotonic()
    wrk = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"http://{address}/bytes/{size}"]
    out = subprocess.run(network.command(wrk, "client"), capture_output=True, text=True, check=True).stdout
    elapsed = time.monotonic() - start
    busy = elapsed * os.cpu_count() - (idle_seconds() - idle0)
    requests = int(next(line for line in out.splitlines() if "requests in" in line).split()[0])
    if "Non-2xx" in out or "Socket errors" in out or requests == 0:
        raise SystemExit(f"wrk saw errors through {address}:\n{out}")
    return requests / elapsed, busy / requests * 1e6


def serve_tunnel(listen, origin, linearise):
    """Runs one redirect tunnel until terminated (in the relays' namespace with --netns)."""
    workdir = tempfile.mkdtemp(prefix="tunnel-floor-serve-")
    objects = TunnelObjects(workdir, linearise)
    shutil.rmtree(workdir, ignore_errors=True)
    host, port = listen.rsplit(":", 1)
    origin_host, origin_port = origin.rsplit(":", 1)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    RedirectTunnel(objects, (host, int(port)), (origin_host, int(origin_port))).serve()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", default=".build/release/odb-redirect")
    parser.add_argument("--sizes", default="65536,262144,1048576", help="body bytes, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--netns", action="store_true", help="relays and origin on separate hosts (network namespaces)")
    parser.add_argument("--serve-tunnel", metavar="HOST:PORT", help=argparse.SUPPRESS)
    parser.add_argument("--origin", metavar="HOST:PORT", help=argparse.SUPPRESS)
    parser.add_argument("--linearise", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_tunnel:
        serve_tunnel(args.serve_tunnel, args.origin, args.linearise)
        return
    for tool in ("wrk", "haproxy"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found")
    workdir = tempfile.mkdtemp(prefix="tunnel-floor-")
    processes = []
    network = Veth() if args.netns else Loopback()
    try:
        origin_port = free_port()
        origin = f"{network.origin_host}:{origin_port}"
        processes.append(subprocess.Popen(network.command([args.binary, "origin", "--listen", origin], "origin"),
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        network.wait_for_port(network.origin_host, origin_port)
        ports = {mode: free_port() for mode in ("haproxy-tcp-copy", "haproxy-tcp-splice", "haproxy-http", "relay-kernel",
                                                  "relay-copy", "redirect-tunnel", "redirect-tunnel-linear")}
        for mode, port in ports.items():
            listen = f"{network.relay_host}:{port}"
            if mode.startswith("haproxy"):
                haproxy_config(os.path.join(workdir, f"{mode}.cfg"), listen, origin, mode)
                argv = ["haproxy", "-f", os.path.join(workdir, f"{mode}.cfg"), "-db"]
            elif mode.startswith("relay"):
                relay_mode = mode.split("-")[1]
                config = os.path.join(workdir, f"{mode}.yaml")
                write_single_route(config, listen, origin, relay_mode, f"/sys/fs/bpf/odb-tunnel-floor-{os.getpid()}-{relay_mode}",
                                   workers=2)
                argv = [args.binary, "relay", "--config", config]
            else:
                argv = ["python3", os.path.abspath(__file__), "--serve-tunnel", listen, "--origin", origin]
                argv += ["--linearise"] if mode.endswith("linear") else []
            processes.append(subprocess.Popen(network.command(argv), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for port in ports.values():
            network.wait_for_port(network.relay_host, port)
        samples = {}
        for size in (int(value) for value in args.sizes.split(",")):
            for round_index in range(args.rounds):
                for mode, port in ports.items():
                    rate, cost = measure(network, f"{network.relay_host}:{port}", size, args.seconds, args.connections)
                    samples.setdefault((size, mode), []).append((rate, cost))
                    print(json.dumps({"size": size, "round": round_index, "mode": mode,
                                      "req_per_s": round(rate), "machine_us_per_req": round(cost, 1)}), flush=True)
        for size in sorted({size for size, _ in samples}):
            medians = {mode: statistics.median(cost for _, cost in samples[(size, mode)]) for mode in ports}
            for mode in ports:
                rates = [rate for rate, _ in samples[(size, mode)]]
                costs = [cost for _, cost in samples[(size, mode)]]
                print(json.dumps({"size": size, "mode": mode, "median_req_per_s": round(statistics.median(rates)),
                                  "median_machine_us_per_req": round(medians[mode], 1),
                                  "machine_us_range": [round(min(costs), 1), round(max(costs), 1)],
                                  "cost_over": {peer: round(medians[mode] / medians[peer], 2)
                                                for peer in ("relay-copy", "haproxy-http", "haproxy-tcp-copy")}}))
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait()
        network.remove()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
