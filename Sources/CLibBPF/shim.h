/* libbpf for Swift. Function-like macros such as LIBBPF_OPTS do not import, so the option
 * structs are filled here. */
#ifndef ODB_CLIBBPF_SHIM_H
#define ODB_CLIBBPF_SHIM_H

#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <errno.h>

/* Opens an object from memory under `name` (libbpf requires a name for in-memory objects). */
static inline struct bpf_object *odb_open_object(const void *bytes, size_t size, const char *name)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	return bpf_object__open_mem(bytes, size, &opts);
}

/* Creates a ring buffer map that fits the odb_event_rings inner-map template. */
static inline int odb_create_ringbuf(const char *name, unsigned int bytes)
{
	return bpf_map_create(BPF_MAP_TYPE_RINGBUF, name, 0, 0, bytes, NULL);
}

/* Links a program to a cgroup with a bpf_link, so that pinning the link keeps it attached. */
static inline int odb_link_cgroup(int prog_fd, int cgroup_fd, enum bpf_attach_type type)
{
	return bpf_link_create(prog_fd, cgroup_fd, type, NULL);
}

#endif
