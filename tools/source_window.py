#!/usr/bin/env python3
"""Why a kernel-path body stalls: the relay's upstream socket, the source of response bodies,
watched from outside while GETs of one size run through the relay one after another.

Usage: source_window.py RELAY_BINARY BODY_BYTES COUNT

Starts the built-in origin and a one-worker kernel-mode relay from RELAY_BINARY (any build, so
an older commit can be compared), fetches COUNT bodies on one connection, checking each length,
and samples the relay's upstream socket every millisecond through a duplicate of its descriptor
(pidfd_getfd): the window it last advertised (tcpi_rcv_wnd), rcv_ssthresh, and its receive
memory, buffer and drops (SO_MEMINFO). Prints req/s, the count of requests over 100 ms and the
samples taken during the first of them, one line per change, and how the machine's TCP
counters for pruning, receive-queue drops, timeouts and window probes moved (global counters:
run it on an otherwise idle machine). Run as root, like the relay.
"""
import ctypes
import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from ports import wait_for_port

ORIGIN_PORT, RELAY_PORT = 18731, 18732
SYS_PIDFD_GETFD = 438
SO_MEMINFO = 55
COUNTERS = ["TcpExtPruneCalled", "TcpExtTCPRcvQDrop", "TcpExtTCPZeroWindowDrop", "TcpExtTCPTimeouts",
            "TcpExtTCPWinProbe", "TcpExtTCPToZeroWindowAdv"]
TCPI_RCV_SSTHRESH, TCPI_RCV_WND = 64, 232  # offsets in struct tcp_info (Linux 6.18)


def upstream_socket(relay_pid):
    """A duplicate of the relay's only connection to the origin."""
    listing = subprocess.run(["ss", "-tnpH", "state", "established", f"( dport = :{ORIGIN_PORT} )"],
                             capture_output=True, text=True, check=True).stdout
    fd = int(listing.split("fd=")[1].split(")")[0])
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(relay_pid)
    duplicate = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
    os.close(pidfd)
    if duplicate < 0:
        sys.exit(f"pidfd_getfd: {os.strerror(ctypes.get_errno())}")
    return socket.socket(fileno=duplicate)


def counters():
    listing = subprocess.run(["nstat", "-az"] + COUNTERS, capture_output=True, text=True, check=True).stdout
    return {line.split()[0]: int(line.split()[1]) for line in listing.splitlines() if line.startswith("Tcp")}


def sample(sock):
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 240)
    memory, buffer, _, _, _, _, _, _, drops = struct.unpack("9I", sock.getsockopt(socket.SOL_SOCKET, SO_MEMINFO, 36))
    (window,) = struct.unpack_from("I", info, TCPI_RCV_WND)
    (ssthresh,) = struct.unpack_from("I", info, TCPI_RCV_SSTHRESH)
    return window, ssthresh, memory, buffer, drops


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    origin = subprocess.Popen([binary, "origin", "--listen", f"127.0.0.1:{ORIGIN_PORT}"], **quiet)
    relay = subprocess.Popen([binary, "relay", "--listen", f"127.0.0.1:{RELAY_PORT}", "--upstream",
                              f"127.0.0.1:{ORIGIN_PORT}", "--mode", "kernel", "--workers", "1"], **quiet)
    try:
        wait_for_port(RELAY_PORT)
        client = http.client.HTTPConnection("127.0.0.1", RELAY_PORT)
        client.request("GET", "/bytes/10")
        client.getresponse().read()
        sock = upstream_socket(relay.pid)
        samples, stop = [], threading.Event()

        def watch():
            while not stop.is_set():
                samples.append((time.monotonic(), sample(sock)))
                time.sleep(0.001)

        watcher = threading.Thread(target=watch)
        watcher.start()
        before = counters()
        requests, began = [], time.monotonic()
        for _ in range(count):
            start = time.monotonic()
            client.request("GET", f"/bytes/{size}")
            body = client.getresponse().read()
            if len(body) != size:
                sys.exit(f"short body: {len(body)} of {size} bytes")
            requests.append((start, time.monotonic() - start))
        elapsed = time.monotonic() - began
        moved = {name: value - before.get(name, 0) for name, value in counters().items()}
        stop.set()
        watcher.join()
    finally:
        relay.send_signal(signal.SIGTERM)
        origin.send_signal(signal.SIGTERM)
        relay.wait()
        origin.wait()
    slow = [(start, took) for start, took in requests if took > 0.1]
    print(f"{count / elapsed:.1f} req/s, {len(slow)} of {count} requests over 100 ms")
    print("counters: " + ", ".join(f"{name.removeprefix('TcpExt')} +{value}" for name, value in moved.items()))
    if slow:
        start, took = slow[0]
        print(f"first slow request: {took * 1000:.0f} ms; the upstream socket meanwhile:")
        previous = None
        for at, values in samples:
            if start <= at <= start + took and values != previous:
                window, ssthresh, memory, buffer, drops = values
                print(f"  +{(at - start) * 1000:6.1f} ms  advertised window {window:>8}  rcv_ssthresh {ssthresh:>8}"
                      f"  receive memory {memory:>8} of {buffer}  drops {drops}")
                previous = values


if __name__ == "__main__":
    main()
