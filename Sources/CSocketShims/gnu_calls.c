#define _GNU_SOURCE
#include "odb_socket_shims.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

ssize_t odb_splice(int from, int to, size_t length)
{
	return splice(from, NULL, to, NULL, length, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
}

int odb_set_pipe_size(int fd, int bytes)
{
	return fcntl(fd, F_SETPIPE_SZ, bytes);
}

int odb_pipe_size(int fd)
{
	return fcntl(fd, F_GETPIPE_SZ);
}

int odb_accept_nonblocking(int listener, void *address, unsigned int *length)
{
	return accept4(listener, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int odb_pipe_nonblocking(int fds[2])
{
	return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}
