"""The HTTP/1.1 framing the tools' own clients and servers share."""


def read_head(sock, pending=b"", piece=65536):
    """Reads from `sock` until `pending` holds a whole head.

    Returns the head without its blank line and the bytes that followed it, or None when the peer
    closed first."""
    while b"\r\n\r\n" not in pending:
        data = sock.recv(piece)
        if not data:
            return None
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    return head, rest
