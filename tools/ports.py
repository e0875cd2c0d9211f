"""Loopback ports for the tools that start their own servers."""
import itertools
import os
import socket
import time

# Above the well-known and registered ports most services use.
LOWEST_PORT = 10_000


def ephemeral_floor():
    """The first port of the kernel's ephemeral range, from which outgoing connections take theirs."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as file:
        return int(file.read().split()[0])


_POOL_SIZE = max(1_000, ephemeral_floor() - LOWEST_PORT)
# Each port once per process, from a start the process id sets, so that tools running side by
# side try different ports first.
_candidates = (LOWEST_PORT + (os.getpid() * 7_919 + step) % _POOL_SIZE for step in itertools.count())


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on at the moment, below the ephemeral range:
    a port bind(0) hands out is one an outgoing connection may take before the caller's server
    binds it."""
    for port in itertools.islice(_candidates, _POOL_SIZE):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port below the ephemeral range")


def wait_for_port(port, seconds=60):
    """Returns once something accepts connections on 127.0.0.1:port; exits after `seconds`.

    A relay listens once it has loaded and verified its BPF objects, which took about 20 s at
    load average 15-19 on the 2-core machine."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")
