#!/usr/bin/env python3
"""The origin of tools/fault_torture.py: serves and checks self-describing bodies (word_pattern).

Usage: torture_origin.py HOST:PORT

Requests (an optional leading /slow only selects the relay's route, except on uploads):
  GET  /cl/SERIAL/SIZE        a Content-Length body
  GET  /chunked/SERIAL/SIZE   a chunked body, chunks of 1 B to 256 KiB
  GET  /close/SERIAL/SIZE     a body framed by closing the connection after it
  POST /upload/SERIAL         checks the Content-Length body, answers "ok" or what differs;
                              under /slow it reads the body at about 4 MB/s
  CONNECT any                 answers 200, then reads a 24-byte header (serial, bytes up, bytes
                              down; big-endian), sends the down body while checking the up body,
                              and ends with 8 bytes: 0 when the up body matched, else 1
Each checked upload or tunnel prints one JSON line on stdout: the origin's own verdict.
"""
import json
import random
import socket
import sys
import threading
import time

from http_wire import read_head
from word_pattern import TUNNEL_DOWN_FLAG, StreamCheck, pattern

BLOCK = 1 << 20
SLOW_PIECE, SLOW_PAUSE = 16384, 0.004


def send_body(connection, serial, size):
    for start in range(0, size, BLOCK):
        connection.sendall(pattern(serial, start, min(size, start + BLOCK)))


def send_chunked(connection, serial, size):
    chooser = random.Random(serial)
    start = 0
    while start < size:
        end = min(size, start + chooser.randint(1, 256 * 1024))
        connection.sendall(b"%x\r\n" % (end - start) + pattern(serial, start, end) + b"\r\n")
        start = end
    connection.sendall(b"0\r\n\r\n")


class Reader:
    """Buffered reads from one connection."""

    def __init__(self, connection):
        self.connection = connection
        self.pending = b""

    def head(self):
        answer = read_head(self.connection, self.pending)
        if answer is None:
            return None
        head, self.pending = answer
        return head

    def exactly(self, size, check, slow=False):
        """Feeds `size` bytes to `check`; False when the peer closed first."""
        left = size
        while left:
            if self.pending:
                piece, self.pending = self.pending[:left], self.pending[left:]
            else:
                piece = self.connection.recv(min(left, SLOW_PIECE if slow else BLOCK))
                if not piece:
                    return False
                if slow:
                    time.sleep(SLOW_PAUSE)
            check.feed(piece)
            left -= len(piece)
        return True


# One line per verdict: print from several threads at once can run two lines together.
REPORT_LOCK = threading.Lock()


def report(kind, serial, size, verdict):
    line = json.dumps({"kind": kind, "serial": serial, "size": size, "bad": verdict}) + "\n"
    with REPORT_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


def tunnel(connection, reader):
    header = b""
    while len(header) < 24:
        take = reader.pending[:24 - len(header)]
        reader.pending = reader.pending[len(take):]
        header += take
        if len(header) < 24:
            data = connection.recv(24 - len(header))
            if not data:
                return
            header += data
    serial, up, down = (int.from_bytes(header[at:at + 8], "big") for at in (0, 8, 16))
    sender = threading.Thread(target=send_body, args=(connection, serial | TUNNEL_DOWN_FLAG, down))
    sender.start()
    check = StreamCheck(serial)
    reader.exactly(up, check)
    sender.join()
    verdict = check.verdict(up)
    report("tunnel_up", serial, up, verdict)
    connection.sendall((0 if verdict is None else 1).to_bytes(8, "big"))


def answer(connection):
    reader = Reader(connection)
    with connection:
        while True:
            head = reader.head()
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            method, target = lines[0].split(" ")[:2]
            if method == "CONNECT":
                connection.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                tunnel(connection, reader)
                return
            slow = target.startswith("/slow/")
            parts = target.removeprefix("/slow").split("/")
            if method == "POST":
                length = next(int(line.split(":", 1)[1]) for line in lines[1:]
                              if line.lower().startswith("content-length:"))
                serial = int(parts[2])
                check = StreamCheck(serial)
                if not reader.exactly(length, check, slow):
                    return
                verdict = check.verdict(length)
                report("upload", serial, length, verdict)
                text = b"ok" if verdict is None else verdict.encode()
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(text) + text)
            elif parts[1] == "chunked":
                connection.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                send_chunked(connection, int(parts[2]), int(parts[3]))
            elif parts[1] == "close":
                connection.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                send_body(connection, int(parts[2]), int(parts[3]))
                return
            else:
                size = int(parts[3])
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                send_body(connection, int(parts[2]), size)


def serve_forever(connection):
    try:
        answer(connection)
    except OSError:
        pass


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    host, port = sys.argv[1].rsplit(":", 1)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen(256)
    print(json.dumps({"kind": "listening"}), flush=True)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve_forever, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main()
