"""Self-describing bodies: every 8-byte word (big-endian) holds the body's serial in its high 32
bits and its own word index in the low 32, so any displaced block names the body and the offset it
was taken from. Used by tools/fault_torture.py's origin and client.
"""
import numpy

INDEX_BITS = 32
INDEX_MASK = (1 << INDEX_BITS) - 1
# Set in the serial of a tunnel's down body, whose up body carries the serial without it.
TUNNEL_DOWN_FLAG = 1 << 31


def pattern(serial, start, end):
    """Bytes [start, end) of body `serial`."""
    first, last = start // 8, (end + 7) // 8
    words = numpy.arange(first, last, dtype=numpy.uint64) | numpy.uint64(serial << INDEX_BITS)
    skip = start - first * 8
    return words.astype(">u8").tobytes()[skip:skip + end - start]


def source_of(data, at):
    """(serial, offset) the bytes at data[at] were taken from, or None when no two consecutive
    words there decode as a run of one body."""
    for shift in range(16):
        start = at + shift
        if start + 16 > len(data):
            break
        word = int.from_bytes(data[start:start + 8], "big")
        following = int.from_bytes(data[start + 8:start + 16], "big")
        if following == word + 1 and (word & INDEX_MASK) != INDEX_MASK:
            return word >> INDEX_BITS, (word & INDEX_MASK) * 8 - shift
    return None


class StreamCheck:
    """Compares a body arriving in pieces with body `serial`, keeping the first difference."""

    def __init__(self, serial):
        self.serial = serial
        self.position = 0
        self.first_difference = None
        self.source = None

    def feed(self, piece):
        if self.first_difference is None:
            expected = pattern(self.serial, self.position, self.position + len(piece))
            if piece != expected:
                received = numpy.frombuffer(piece, dtype=numpy.uint8)
                wanted = numpy.frombuffer(expected, dtype=numpy.uint8)
                at = int(numpy.flatnonzero(received != wanted)[0])
                self.first_difference = self.position + at
                self.source = source_of(piece, at)
        self.position += len(piece)

    def verdict(self, size):
        """None when exactly `size` bytes arrived and all matched, else a description."""
        if self.first_difference is not None:
            where = "unknown" if self.source is None else f"body {self.source[0]:#x} offset {self.source[1]}"
            distance = "" if self.source is None or self.source[0] != self.serial else \
                f" (distance {self.source[1] - self.first_difference})"
            return f"first difference at offset {self.first_difference}; the bytes there came from {where}{distance}"
        if self.position != size:
            return f"length {self.position} instead of {size}"
        return None
