"""Loopback ports for the tools that start their own servers."""
import socket
import time


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on at the moment."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
