"""Where a tool's client, relays and origin run: all on this host's loopback, or each in its own
network namespace, in a line joined by veth. Both offer each tier's address, the command that
runs a program on a tier, a wait for a listener, and the client's namespace (None on loopback)
for `join_network`."""
import ctypes
import subprocess
import time

from fault_torture import Topology
from ports import wait_for_port
from slow_readers import forget_connections

CLONE_NEWNET = 0x40000000


def join_network(namespace):
    """Moves the calling thread (only it) into a network namespace named under /run/netns."""
    with open(f"/run/netns/{namespace}") as handle:
        if ctypes.CDLL(None, use_errno=True).setns(handle.fileno(), CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns {namespace}")


class Loopback:
    """Client, relay and origin on loopback."""
    relay_host = origin_host = "127.0.0.1"
    client_namespace = None

    def host(self, tier):
        return "127.0.0.1"

    def command(self, arguments, tier="relay"):
        return arguments

    def wait_for_port(self, host, port):
        wait_for_port(port)

    def forget(self, origin_port, relay_port):
        forget_connections(origin_port, relay_port)

    def remove(self):
        pass


class Veth:
    """Client, relays and origin in their own network namespaces, in a line joined by veth
    (`fault_torture.Topology`, whose `set_loss` drops a share of the packets on every link end).
    `relays` names the relay tiers from the client's side; `relay_host` is the first one's.
    By default TCP runs as Linux's defaults have it; `sack=False, tso=False` make a loss's
    retransmission overlap what the receiver already queued, as the fault torture needs."""

    def __init__(self, sack=True, tso=True, relays=("relay",)):
        self.topology = Topology(["client", *relays, "origin"], sack=sack, tso=tso)
        self.relay_host = self.topology.front(relays[0])
        self.origin_host = self.topology.front("origin")
        self.client_namespace = self.topology.namespaces["client"]

    def host(self, tier):
        """`tier`'s address on the link towards the client."""
        return self.topology.front(tier)

    def command(self, arguments, tier="relay"):
        return self.topology.command(tier, *arguments)

    def wait_for_port(self, host, port, seconds=60):
        owner = next(tier for tier in self.topology.tiers if self.topology.front(tier) == host)
        probe = self.command(["python3", "-c", f"import socket; socket.create_connection(('{host}', {port}), timeout=1).close()"], owner)
        deadline = time.monotonic() + seconds
        while subprocess.run(probe, capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise SystemExit(f"nothing listens on {host}:{port}")
            time.sleep(0.05)

    def forget(self, origin_port, relay_port):
        pass  # each run's sockets go with their relay; the namespaces go at the end

    def remove(self):
        self.topology.remove()
