#!/usr/bin/env python3
"""Hunts for bytes a kernel-mode relay delivers twice or out of order, and says where they came from.

Usage: overlap_hunt.py RELAY_BINARY BODY_BYTES COUNT [CONNECTIONS]

The built-in origin's pattern repeats every 251 bytes, so a displaced block can be seen but not
traced. This script serves bodies whose every 8-byte word is its own index (big-endian) from a
small threaded origin, runs a two-worker kernel-mode relay from RELAY_BINARY in front of it,
fetches COUNT bodies on each of CONNECTIONS connections, and for every body that differs prints
the first differing offset and where the bytes found there were taken from in the body:
a negative distance means bytes that had already been delivered came again.
"""
import array
import http.client
import signal
import socket
import subprocess
import sys
import threading

from http_wire import read_head
from ports import wait_for_port

ORIGIN_PORT, RELAY_PORT = 18741, 18742


def serve(body, listener):
    def answer(connection):
        pending = b""
        while True:
            answer = read_head(connection, pending)
            if answer is None:
                connection.close()
                return
            head, pending = answer
            size = int(head.split(b" ")[1].rsplit(b"/", 1)[1])
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            connection.sendall(memoryview(body)[:size])

    while True:
        connection, _ = listener.accept()
        threading.Thread(target=answer, args=(connection,), daemon=True).start()


def word_body(size):
    words = array.array("Q", range((size + 7) // 8))
    words.byteswap()
    return words.tobytes()[:size]


def source_of(received, at, size):
    """The body offset the bytes at `at` were taken from, trying each alignment of an 8-byte word."""
    for shift in range(8):
        start = at + shift
        if start + 8 <= len(received):
            word = int.from_bytes(received[start:start + 8], "big")
            if word * 8 < size:
                return word * 8 - shift
    return None


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, size, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    body = word_body(size)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", ORIGIN_PORT))
    listener.listen(64)
    threading.Thread(target=serve, args=(body, listener), daemon=True).start()
    relay = subprocess.Popen([binary, "relay", "--listen", f"127.0.0.1:{RELAY_PORT}", "--upstream",
                              f"127.0.0.1:{ORIGIN_PORT}", "--mode", "kernel", "--workers", "2"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    findings, fetched = [], [0]

    def fetch():
        client = http.client.HTTPConnection("127.0.0.1", RELAY_PORT, timeout=30)
        for index in range(count):
            client.request("GET", f"/bytes/{size}")
            received = client.getresponse().read()
            fetched[0] += 1
            if received != body:
                first = next(at for at in range(0, len(received), 8) if received[at:at + 8] != body[at:at + 8])
                taken = source_of(received, first, size)
                findings.append((index, first, taken, None if taken is None else taken - first))

    try:
        wait_for_port(RELAY_PORT)
        threads = [threading.Thread(target=fetch) for _ in range(connections)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait()
    print(f"{fetched[0]} bodies of {size} bytes, {len(findings)} differ")
    for index, first, taken, distance in findings:
        print(f"  body {index}: first difference at {first}; the bytes there came from {taken}"
              f" (distance {distance})")


if __name__ == "__main__":
    main()
