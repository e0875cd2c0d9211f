#!/usr/bin/env python3
"""The clients of tools/fault_torture.py: fetch, upload and tunnel self-describing bodies through a
relay for a while, checking every byte, and print one JSON summary.

Usage: torture_client.py RELAY_HOST:PORT SECONDS SERIAL_BASE SLOW_READERS SLOW_BYTES_PER_SECOND [KINDS]

Workers, each on its own keep-alive connection (a new one after an error); KINDS, a comma-separated
list of their names, runs only those (default: all but until_close):
  content_length  Content-Length bodies of 64 KiB to 64 MiB, read as fast as they come
  slow            SLOW_READERS workers fetching 1 to 16 MiB bodies on the relay's /slow/ route
                  (small flow budget), each read at SLOW_BYTES_PER_SECOND so passed bytes wait
                  in the relay
  chunked         chunked bodies of 64 KiB to 16 MiB
  until_close     bodies of 64 KiB to 64 MiB framed by the end of the connection
  upload          Content-Length uploads of 64 KiB to 16 MiB, half to an origin that reads slowly;
                  the origin's answer says whether they matched
  tunnel          CONNECT tunnels carrying 1 to 8 MiB each way at once
"""
import http.client
import itertools
import json
import random
import socket
import sys
import threading
import time

from http_wire import read_head
from word_pattern import TUNNEL_DOWN_FLAG, StreamCheck, pattern

BLOCK = 1 << 20
SLOW_PIECE = 16384
TIMEOUT = 120
MIB = 1 << 20


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}

    def record(self, kind, serial=None, size=0, bad=None, error=None):
        with self.lock:
            entry = self.kinds.setdefault(kind, {"checked": 0, "bytes": 0, "bad": 0, "errors": 0, "details": []})
            if error is not None:
                entry["errors"] += 1
                entry["details"].append(f"error: {error}")
                return
            entry["checked"] += 1
            entry["bytes"] += size
            if bad is not None:
                entry["bad"] += 1
                entry["details"].append(f"body {serial:#x} of {size} bytes: {bad}")


def read_checked(response, serial, size, pause):
    """Reads and checks the body, in 16 KiB pieces `pause` seconds apart when `pause` is set."""
    if response.status != 200:
        response.read()
        return f"answered {response.status} {response.reason}"
    check = StreamCheck(serial)
    while True:
        piece = response.read(SLOW_PIECE if pause else BLOCK)
        if not piece:
            break
        check.feed(piece)
        if pause:
            time.sleep(pause)
    return check.verdict(size)


def fetcher(path, sizes, pause=0.0):
    def one(connection, serial, chooser):
        size = chooser.choice(sizes)
        connection.request("GET", f"{path}/{serial}/{size}")
        response = connection.getresponse()
        return size, read_checked(response, serial, size, pause)
    return one


def upload(connection, serial, chooser):
    size = chooser.choice([64 * 1024, 256 * 1024, MIB, 4 * MIB, 16 * MIB])
    prefix = "/slow" if chooser.random() < 0.5 else ""
    connection.putrequest("POST", f"{prefix}/upload/{serial}")
    connection.putheader("Content-Length", str(size))
    connection.endheaders()
    for start in range(0, size, BLOCK):
        connection.send(pattern(serial, start, min(size, start + BLOCK)))
    response = connection.getresponse()
    answer = response.read().decode(errors="replace")
    if response.status != 200:
        return size, f"answered {response.status} {response.reason}: the origin never had the whole body"
    return size, None if answer == "ok" else f"the origin found: {answer}"


def tunnel(address, serial, chooser):
    up, down = chooser.randint(MIB, 8 * MIB), chooser.randint(MIB, 8 * MIB)
    with socket.create_connection(address, timeout=TIMEOUT) as connection:
        connection.sendall(b"CONNECT origin:443 HTTP/1.1\r\nHost: origin:443\r\n\r\n")
        answer = read_head(connection)
        if answer is None:
            raise ConnectionError("closed before the CONNECT answer")
        head, pending = answer
        if b" 200 " not in head.split(b"\r\n")[0] + b" ":
            raise ConnectionError(f"CONNECT answered {head[:40]!r}")

        def send_up():
            connection.sendall(serial.to_bytes(8, "big") + up.to_bytes(8, "big") + down.to_bytes(8, "big"))
            for start in range(0, up, BLOCK):
                connection.sendall(pattern(serial, start, min(up, start + BLOCK)))

        sender = threading.Thread(target=send_up)
        sender.start()
        check = StreamCheck(serial | TUNNEL_DOWN_FLAG)
        received, total = pending, len(pending)
        while total < down + 8:
            data = connection.recv(BLOCK)
            if not data:
                break
            received += data
            total += len(data)
            if len(received) > BLOCK + 8:
                check.feed(received[:-8])
                received = received[-8:]
        sender.join()
        check.feed(received[:-8] if total >= down + 8 else received)
        down_bad = check.verdict(down)
        if total < down + 8:
            raise ConnectionError(f"tunnel closed after {total} of {down + 8} bytes")
        up_bad = None if received[-8:] == bytes(8) else "the origin found a difference in the up body"
    return up, down, up_bad, down_bad


def run_worker(kind, one, address, deadline, serials, tally, seed):
    chooser = random.Random(seed)
    connection = None
    while time.monotonic() < deadline:
        serial = next(serials)
        try:
            if kind == "tunnel":
                up, down, up_bad, down_bad = tunnel(address, serial, chooser)
                tally.record("tunnel_up", serial, up, up_bad)
                tally.record("tunnel_down", serial | TUNNEL_DOWN_FLAG, down, down_bad)
                continue
            if connection is None:
                connection = http.client.HTTPConnection(*address, timeout=TIMEOUT)
            size, bad = one(connection, serial, chooser)
            tally.record(kind, serial, size, bad)
        except (OSError, http.client.HTTPException) as error:
            tally.record(kind, error=f"{type(error).__name__}: {error}")
            if connection is not None:
                connection.close()
            connection = None
    if connection is not None:
        connection.close()


DEFAULT_KINDS = ["content_length", "slow", "chunked", "upload", "tunnel"]


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    host, port = sys.argv[1].rsplit(":", 1)
    address = (host, int(port))
    deadline = time.monotonic() + float(sys.argv[2])
    base, slow_readers, slow_rate = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    # next() on an itertools.count is atomic under the GIL, so the workers share one.
    serials = itertools.count(base)
    sizes = [64 * 1024, 256 * 1024, MIB, 4 * MIB, 16 * MIB, 64 * MIB]
    kinds = sys.argv[6].split(",") if len(sys.argv) == 7 else DEFAULT_KINDS
    available = {
        "content_length": [fetcher("/cl", sizes)],
        "slow": [fetcher("/slow/cl", [MIB, 4 * MIB, 16 * MIB], SLOW_PIECE / slow_rate)] * slow_readers,
        "chunked": [fetcher("/chunked", [64 * 1024, MIB, 4 * MIB, 16 * MIB])],
        "until_close": [fetcher("/close", sizes)],
        "upload": [upload],
        "tunnel": [None],
    }
    unknown = set(kinds) - set(available)
    if unknown:
        sys.exit(f"unknown kinds: {', '.join(sorted(unknown))}")
    workers = [(kind, one) for kind in kinds for one in available[kind]]
    tally = Tally()
    threads = [threading.Thread(target=run_worker, args=(kind, one, address, deadline, serials, tally, base + index))
               for index, (kind, one) in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(tally.kinds))


if __name__ == "__main__":
    main()
