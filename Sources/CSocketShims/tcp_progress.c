#include "odb_socket_shims.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

/* The connection's TCP_INFO, zeroed past what the kernel fills; 0 or -1 with errno set. */
static int read_tcp_info(int fd, struct tcp_info *info)
{
	socklen_t length = sizeof(*info);

	*info = (struct tcp_info){0};
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &length);
}

int odb_tcp_progress(int fd, struct odb_tcp_progress *progress)
{
	struct tcp_info info;
	int outq = 0;

	if (read_tcp_info(fd, &info) != 0)
		return -1;
	if (ioctl(fd, SIOCOUTQ, &outq) != 0)
		return -1;
	progress->bytes_acked = info.tcpi_bytes_acked;
	progress->bytes_received = info.tcpi_bytes_received;
	progress->unacked_bytes = (uint32_t)outq;
	progress->notsent_bytes = info.tcpi_notsent_bytes;
	progress->last_ack_ms = info.tcpi_last_ack_recv;
	progress->last_data_ms = info.tcpi_last_data_recv;
	progress->rto_us = info.tcpi_rto;
	progress->backoff = info.tcpi_backoff;
	return 0;
}

int odb_tcp_bytes_acked(int fd, uint64_t *acked)
{
	struct tcp_info info;

	if (read_tcp_info(fd, &info) != 0)
		return -1;
	*acked = info.tcpi_bytes_acked;
	return 0;
}

/* TCP_ESTABLISHED of the kernel's tcp_states.h, which linux/tcp.h does not export and
 * netinet/tcp.h, whose tcp_info lacks the fields above, would clash with. */
enum { ODB_TCP_STATE_ESTABLISHED = 1 };

int odb_tcp_established(int fd)
{
	struct tcp_info info;

	if (read_tcp_info(fd, &info) != 0)
		return -1;
	return info.tcpi_state == ODB_TCP_STATE_ESTABLISHED;
}

int odb_unread_bytes(int fd)
{
	int inq = 0;

	return ioctl(fd, SIOCINQ, &inq) == 0 ? inq : -1;
}

int odb_unsent_bytes(int fd)
{
	int unsent = 0;

	return ioctl(fd, SIOCOUTQNSD, &unsent) == 0 ? unsent : -1;
}
