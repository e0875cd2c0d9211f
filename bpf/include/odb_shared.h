/* Structs and constants shared by the BPF programs (bpf/odb.bpf.c) and the Swift controller.
 *
 * Defined once here and imported into Swift through the OdbShared C target, so the two sides
 * can never disagree about a layout. Plain fixed-width types only; the BPF side gets them from
 * vmlinux.h, user space from <linux/types.h>.
 */
#ifndef ODB_SHARED_H
#define ODB_SHARED_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
/* The version this user-space build was compiled with (bpf/abi/abi.c). */
extern const unsigned int odb_abi_version;
#endif

/* Bumped whenever a map layout below changes; pinned maps with another version are refused. */
#define ODB_ABI_VERSION 5

/* `remaining` of a flow that never ends by itself (tunnels): redirect until a side closes. */
#define ODB_REMAINING_UNBOUNDED 0xffffffffffffffffULL

/* Capacity of the maps; sized for a relay host with tens of thousands of connections. */
#define ODB_MAX_SOCKETS 65536
#define ODB_MAX_FLOWS 65536
#define ODB_MAX_EVENT_RINGS 1024
#define ODB_MAX_ATTACHMENTS 64
#define ODB_MAX_RELAYS 256
/* Size of each consumer's event ring (bytes, power of two, multiple of the page size). */
#define ODB_EVENT_RING_BYTES (256 * 1024)

enum odb_sock_state {
	ODB_SOCK_ESTABLISHED = 1,
};

/* One TCP socket of a process in an attached cgroup. Key: socket cookie. Written by sock_ops. */
struct odb_sock {
	__u64 bytes_acked;    /* tcpi_bytes_acked at the last ACK with an RTT sample */
	__u64 bytes_received; /* tcpi_bytes_received at that moment */
	__u64 established_ns; /* bpf_ktime_get_ns() when the handshake completed */
	__u8 local_addr[16];  /* IPv4 as ::ffff:a.b.c.d, network byte order */
	__u8 remote_addr[16];
	__u16 local_port;     /* host byte order */
	__u16 remote_port;    /* host byte order */
	__u16 family;         /* AF_INET or AF_INET6 */
	__u16 state;          /* enum odb_sock_state */
};

enum odb_flow_state {
	ODB_FLOW_ACTIVE = 1,      /* the verdict redirects (or passes) the body's skbs */
	ODB_FLOW_DONE = 2,        /* every body byte was redirected or passed */
	ODB_FLOW_TARGET_GONE = 3, /* the target left the target map; the source must be closed */
	ODB_FLOW_FAILED = 4,      /* the verdict could not trim an skb; the exchange must abort */
};

/* One body (or tunnel direction) moving in the kernel. Key: cookie of the source socket.
 * User space creates it before the source joins the verdict map and only reads it after;
 * the verdict is its only writer from then on.
 *
 * Each body byte is either redirected or passed: passed when the body ends inside an skb,
 * when the target is over budget, or when earlier passed bytes are still unread (order).
 * User space forwards the passed body bytes itself, in order. */
struct odb_flow {
	__u64 target_cookie;  /* key of the target in odb_targets */
	__u64 remaining;      /* body bytes the verdict has not handled, or ODB_REMAINING_UNBOUNDED */
	__u64 redirected;     /* bytes redirected by this flow so far */
	__u64 passed;         /* body bytes passed to user space so far */
	__u64 target_base;    /* bytes ever queued on the target when the flow started */
	__u64 high_watermark; /* hand back when in-flight bytes on the target exceed it; 0 = never */
	__u64 event_key;      /* key in odb_event_rings of the ring that hears about this flow */
	__u32 state;          /* enum odb_flow_state */
	__u32 pad;
};

enum odb_event_type {
	ODB_EVENT_FLOW_DONE = 1,       /* value: bytes redirected */
	ODB_EVENT_TARGET_GONE = 2,     /* value: bytes redirected before the failure */
	ODB_EVENT_FAILED = 3,          /* value: the prefix that could not be trimmed */
};

/* What the BPF programs tell a consumer through its ring buffer. */
struct odb_event {
	__u64 source_cookie;
	__u64 target_cookie;
	__u64 value;
	__u32 type;           /* enum odb_event_type */
	__u32 pad;
};

/* Global counters, one slot each in the per-CPU array odb_counters. */
enum odb_counter {
	ODB_CTR_SOCKS_ESTABLISHED = 0,
	ODB_CTR_SOCKS_CLOSED,
	ODB_CTR_SOCKS_TABLE_FULL,
	ODB_CTR_VERDICT_SKBS,
	ODB_CTR_REDIRECTED_SKBS,
	ODB_CTR_REDIRECTED_BYTES,
	ODB_CTR_PASSED_SKBS,
	ODB_CTR_PASSED_BODY_BYTES,
	ODB_CTR_TAILS_PASSED,
	ODB_CTR_REDIRECT_FAILED,
	ODB_CTR_BUDGET_PASSES,
	ODB_CTR_EVENTS_LOST,
	ODB_CTR_PREFIX_BYTES_DROPPED,
	ODB_CTR_COUNT,
};

/* A cgroup that `attach` hooked. Key: cgroup inode number. Written by the controller. */
struct odb_attachment {
	char path[256];
	__u64 attached_unix_ns;
	__u32 owner_pid;      /* a relay that attached for itself and detaches at exit; 0 = attach */
	__u32 pad;
};

/* Byte and event counters of one relay process. Key: pid. Written by that relay. */
struct odb_relay_stats {
	__u64 body_bytes_kernel;
	__u64 body_bytes_splice;
	__u64 body_bytes_copy;
	__u64 requests;
	__u64 responses_by_class[6];     /* index: status / 100, 0 for none */
	__u64 fallbacks_small_body;
	__u64 fallbacks_unparsed;
	__u64 fallbacks_unsupported;
	__u64 rejected_requests;
	__u64 upstream_errors;
	__u64 active_connections;
	__u64 active_flows;
	__u64 updated_unix_ns;
	__u64 refused_connections;       /* over limits.max_connections: answered 503, closed */
};

/* Whole-object facts. Single entry (key 0) of odb_meta. */
struct odb_meta {
	__u32 abi_version;
	__u32 pad;
	__u64 loaded_unix_ns;
};

#endif /* ODB_SHARED_H */
