#ifndef ODB_SOCKET_SHIMS_H
#define ODB_SOCKET_SHIMS_H

#include <stdint.h>

/* What the relay's ordering and flow-control checks read from a TCP socket. */
struct odb_tcp_progress {
	uint64_t bytes_acked;    /* tcpi_bytes_acked: bytes the peer has acknowledged */
	uint64_t bytes_received; /* tcpi_bytes_received */
	uint32_t unacked_bytes;  /* SIOCOUTQ: bytes queued on the socket, not yet acknowledged */
	uint32_t notsent_bytes;  /* tcpi_notsent_bytes */
};

/* Reads TCP_INFO first and SIOCOUTQ second: acked + outq then can only under-report how much
 * was ever queued on the socket, which is the safe side for "has everything left the backlog".
 * Returns 0 or -1 with errno set. */
int odb_tcp_progress(int fd, struct odb_tcp_progress *progress);

#endif
