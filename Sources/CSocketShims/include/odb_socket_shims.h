#ifndef ODB_SOCKET_SHIMS_H
#define ODB_SOCKET_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/types.h>

/* What the relay's ordering and flow-control checks read from a TCP socket. */
struct odb_tcp_progress {
	uint64_t bytes_acked;    /* tcpi_bytes_acked: bytes the peer has acknowledged */
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint32_t unacked_bytes;  /* SIOCOUTQ: bytes queued on the socket, not yet acknowledged */
	uint32_t notsent_bytes;  /* tcpi_notsent_bytes */
	uint32_t last_ack_ms;    /* tcpi_last_ack_recv: milliseconds since the last ACK arrived */
	uint32_t last_data_ms;   /* tcpi_last_data_recv: milliseconds since the last data arrived */
	uint32_t rto_us;         /* tcpi_rto: the retransmission timeout, backoff included */
	uint8_t backoff;         /* tcpi_backoff: how often the retransmission timer has doubled */
};

/* Reads TCP_INFO first and SIOCOUTQ second: acked + outq then can only under-report how much
 * was ever queued on the socket, which is the safe side for "has everything left the backlog".
 * Returns 0 or -1 with errno set. */
int odb_tcp_progress(int fd, struct odb_tcp_progress *progress);

/* tcpi_bytes_acked alone, for a caller that needs no SIOCOUTQ: one system call, not two.
 * Returns 0 or -1 with errno set. */
int odb_tcp_bytes_acked(int fd, uint64_t *acked);

/* 1 while the connection is established (TCP_INFO's tcpi_state), 0 once its peer has closed
 * or reset it or it never was, -1 with errno set when the state cannot be read. */
int odb_tcp_established(int fd);

/* Bytes received that nobody has consumed yet (SIOCINQ: rcv_nxt - copied_seq; a verdict that
 * redirects or drops an skb consumes it), or -1. ioctl is variadic, which Swift cannot call. */
int odb_unread_bytes(int fd);

/* Bytes queued on the socket and not sent yet (SIOCOUTQNSD): what waits for the peer's receive
 * window or the congestion window, not what is in flight. Or -1. */
int odb_unsent_bytes(int fd);

/* splice(2) with SPLICE_F_NONBLOCK | SPLICE_F_MOVE; glibc declares it only under _GNU_SOURCE,
 * which a Swift module header cannot set. Returns what splice returns. */
ssize_t odb_splice(int from, int to, size_t length);

/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (_GNU_SOURCE only). */
int odb_accept_nonblocking(int listener, void *address, unsigned int *length);

/* pipe2 with O_NONBLOCK | O_CLOEXEC (_GNU_SOURCE only). */
int odb_pipe_nonblocking(int fds[2]);

/* fcntl(F_SETPIPE_SZ), also _GNU_SOURCE only. */
int odb_set_pipe_size(int fd, int bytes);

/* fcntl(F_GETPIPE_SZ): the pipe's capacity in bytes, or -1. */
int odb_pipe_size(int fd);

#endif
