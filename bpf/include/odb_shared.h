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
#define ODB_ABI_VERSION 16

/* `end` of a window that never ends by itself (a tunnel direction, or a body that ends when its
 * source closes): redirect until a side closes. */
#define ODB_WINDOW_UNBOUNDED 0xffffffffffffffffULL

/* Capacity of the maps; sized for a relay host with tens of thousands of connections. */
#define ODB_MAX_SOCKETS 65536
#define ODB_MAX_FLOWS 65536
#define ODB_MAX_EVENT_RINGS 1024
#define ODB_MAX_ATTACHMENTS 64
#define ODB_MAX_RELAYS 256
/* Held virtual payloads `status` can list, across relays (odb.max_held_payloads may be more). */
#define ODB_MAX_HELD 65536
/* Size of each consumer's event ring (bytes, power of two, multiple of the page size). */
#define ODB_EVENT_RING_BYTES (256 * 1024)

enum odb_sock_state {
	ODB_SOCK_ESTABLISHED = 1,
};

/* One TCP socket of a process in an attached cgroup. Key: socket cookie. Written by sock_ops. */
struct odb_sock {
	__u64 established_ns; /* bpf_ktime_get_ns() when the handshake completed */
	__u8 local_addr[16];  /* IPv4 as ::ffff:a.b.c.d, network byte order */
	__u8 remote_addr[16];
	__u16 local_port;     /* host byte order */
	__u16 remote_port;    /* host byte order */
	__u16 family;         /* AF_INET or AF_INET6 */
	__u16 state;          /* enum odb_sock_state */
};

enum odb_flow_state {
	ODB_FLOW_ACTIVE = 1,      /* the verdict redirects (or passes) the socket's skbs */
	ODB_FLOW_TARGET_GONE = 3, /* a redirect found no target; the exchange must abort */
	ODB_FLOW_FAILED = 4,      /* the verdict could not trim an skb; the exchange must abort */
};

/* One socket in the verdict map (a source). Key: its cookie. The relay creates it just before
 * the socket joins odb_sources; the verdict is its only writer from then on.
 *
 * Offsets count the socket's byte stream from the moment it joined: user space has read
 * (bytes it consumed since joining) + `redirected` bytes of it, so it always knows which
 * stream offset its next byte has, and so where a window ends.
 *
 * TCP may queue an skb that begins before bytes it queued earlier (a retransmission that partly
 * overlaps them, or an out-of-order skb partly covered by one), and the verdict is handed whole
 * skbs without a sequence check. `handed_seq` marks where the bytes already handed on end, so the
 * verdict trims every skb to start there and each stream byte is handed on exactly once. */
struct odb_flow {
	__u64 offset;         /* stream bytes the verdict has handled (redirected or passed) */
	__u64 redirected;     /* bytes redirected, all windows together */
	__u64 passed;         /* bytes passed inside windows, which user space forwards itself */
	__u64 event_key;      /* key in odb_event_rings of the ring that hears about this flow */
	__u64 chunk_end;      /* in a chunked window: where the data of the last chunk-size line
	                       * the verdict checked ends (0 before it checked any) */
	__u32 state;          /* enum odb_flow_state */
	__u32 handed_seq;     /* TCP sequence number just past the last byte the verdict handed on
	                       * (redirected, passed or trimmed away); meaningful once handed_known */
	__u32 handed_known;   /* 0 until the verdict has seen the socket's first skb */
	__u32 pad;
};

/* The stretch of a source's stream the verdict may redirect, and where to. Key: source cookie.
 * Written by the relay only while no redirect can happen (no window yet, the
 * previous one's end reached, or passed window bytes unread ahead of every skb to come, when
 * the relay moves `target_base` past the bytes it forwarded and sets the budget to the
 * reader's pace), so the verdict never sees a window change under a redirected skb.
 *
 * A window opens with a budget (`high_watermark`) of its target's last known pace, or of room for
 * the whole body when its known length is at most half the route's budget
 * (KernelPath.openingBudget), and the budget grows like TCP's slow start with what the target's
 * reader acknowledges: a fast reader reaches `growth_ceiling` before its first body could cross
 * the budget, while a slow one crosses near the opening budget. The verdict ends the growth there
 * (it sets `growth_ceiling` to 0, the one field it writes), and the relay paces the reader from
 * then on.
 *
 * Inside a window each skb is either redirected or passed: passed when it crosses `end` (the
 * next message or chunk-size line starts there), when the target is over budget, or when
 * earlier passed bytes are still unread (order). User space forwards passed window bytes
 * itself, in order; bytes past `end` are its to parse.
 *
 * A chunked window starts as one chunk's data. Where an skb crosses its end, the verdict checks
 * the next chunk-size line itself when it is plain (CRLF, up to 14 hex digits, CRLF, size > 0,
 * all inside the skb) and moves the flow's `chunk_end` on; anything else (an extension, the
 * last chunk, a line split across skbs) it hands back to the relay at that chunk's end. */
struct odb_window {
	__u64 source_cookie;   /* equal to the key; a lookup racing a replacement sees otherwise */
	__u64 target_cookie;   /* key of the target in odb_targets */
	__u64 end;             /* stream offset where redirecting stops, or ODB_WINDOW_UNBOUNDED */
	__u64 high_watermark;  /* pass when in-flight bytes on the target exceed it; 0 = never */
	__u64 target_base;     /* bytes ever queued on the target when the window opened */
	__u64 redirected_base; /* the flow's `redirected` when the window opened */
	__u64 growth_ceiling;  /* while above high_watermark: the budget grows by twice what the
	                        * target acknowledged past `acked_base`, up to this (slow start) */
	__u64 acked_base;      /* the bytes the target's peer had acknowledged when the window opened */
	__u32 chunked;         /* `end` is where a chunk's data ends; the verdict may walk on */
	__u32 linearise;       /* redirected skbs of several filled page fragments are made linear
	                        * too (skbs of small fragments always are) */
};

enum odb_event_type {
	ODB_EVENT_WINDOW_DONE = 1,     /* value: the flow's bytes redirected */
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
	ODB_CTR_CHUNK_LINES_WALKED,
	ODB_CTR_CHUNK_HANDBACKS,
	ODB_CTR_OVERLAP_SKBS,          /* skbs that began before bytes the verdict had handed on */
	ODB_CTR_OVERLAP_BYTES_TRIMMED, /* those bytes, trimmed from the skbs' fronts */
	ODB_CTR_LINEARISED_SKBS,       /* redirected skbs made linear: they held several page fragments */
	ODB_CTR_COUNT,
};

/* A cgroup that `attach` hooked. Key: cgroup inode number. Written by the controller. */
struct odb_attachment {
	char path[256];
	__u64 attached_unix_ns;
	__u32 owner_pid;      /* a relay that attached for itself and detaches at exit; 0 = attach */
	__u32 pad;
};

/* Counters of one relay process, slots of odb_relay_stats.counters. Each has one entry in
 * Sources/ODBKernel/RelayCounter.swift, which names it in `status` and on /metrics. All only
 * grow except those marked gauge, which hold the present value. */
enum odb_relay_counter {
	ODB_RELAY_BODY_BYTES_KERNEL = 0,
	ODB_RELAY_BODY_BYTES_SPLICE,
	ODB_RELAY_BODY_BYTES_COPY,
	ODB_RELAY_REQUESTS,
	ODB_RELAY_RESPONSES_NONE,           /* a status outside 100-599 */
	ODB_RELAY_RESPONSES_1XX,
	ODB_RELAY_RESPONSES_2XX,
	ODB_RELAY_RESPONSES_3XX,
	ODB_RELAY_RESPONSES_4XX,
	ODB_RELAY_RESPONSES_5XX,
	ODB_RELAY_FALLBACKS_SMALL_BODY,
	ODB_RELAY_FALLBACKS_UNPARSED,
	ODB_RELAY_FALLBACKS_UNSUPPORTED,
	ODB_RELAY_FALLBACKS_KERNEL_SELFTEST, /* bodies spliced because the kernel failed the self-test */
	ODB_RELAY_FALLBACKS_BUFFER_MEMORY,   /* bodies copied: limits.kernel_buffer_memory was reached */
	ODB_RELAY_FALLBACKS_SPLICE_PIPE,     /* bodies copied: no pipe of at least 64 KiB to splice through */
	ODB_RELAY_REJECTED_REQUESTS,
	ODB_RELAY_REFUSED_CONNECTIONS,       /* over limits.max_connections: answered 503, closed */
	ODB_RELAY_LIMIT_MAX_REQUESTS,        /* limits.max_requests_per_connection: closed after the answer */
	ODB_RELAY_LIMIT_MAX_AGE,             /* timeouts.max_connection_age: closed after the answer or when idle */
	ODB_RELAY_LIMIT_MAX_EXCHANGE_TIME,   /* timeouts.max_exchange_time: 504 before the answer began, else aborted */
	ODB_RELAY_LIMIT_MIN_BODY_RATE,       /* timeouts.min_body_rate: a body moved too slowly, aborted */
	ODB_RELAY_LIMIT_PER_CLIENT,          /* limits.max_connections_per_client: answered 503, closed */
	ODB_RELAY_UPSTREAM_ERRORS,
	ODB_RELAY_ACTIVE_CONNECTIONS,        /* gauge */
	ODB_RELAY_ACTIVE_FLOWS,              /* gauge */
	/* Virtual payload (docs/DESIGN.md, "Virtual payload"). */
	ODB_RELAY_ODB_HELD,                  /* bodies held for a peer, a descriptor answered */
	ODB_RELAY_ODB_CLAIMS_SERVED,         /* held bodies served to a claim */
	ODB_RELAY_ODB_EXPIRED,               /* held bodies released unclaimed after odb.hold_timeout */
	ODB_RELAY_ODB_OVER_CAP,              /* bodies served for real: odb.max_held_* reached */
	ODB_RELAY_ODB_PASSED,                /* descriptors passed on to a peer, head only */
	ODB_RELAY_ODB_FORGED,                /* descriptors or peer headers removed from non-peers */
	ODB_RELAY_ODB_CLAIMS,                /* claims this relay made */
	ODB_RELAY_ODB_FAULTS,                /* claims made for a peer downstream: the route needs the bytes */
	ODB_RELAY_ODB_CLAIMS_FAILED,         /* claims that failed (502 before any byte, or an abort) */
	ODB_RELAY_ODB_HELD_NOW,              /* gauge: payloads held */
	ODB_RELAY_ODB_HELD_BYTES,            /* gauge: socket memory they may occupy */
	ODB_RELAY_ODB_CLAIMS_IN_FLIGHT,      /* gauge: claims made and not yet complete */
	ODB_RELAY_SPARE_SPLICE_PIPES,        /* gauge: empty pipes kept for the next spliced body */
	ODB_RELAY_COUNTER_COUNT,
};

/* Counters of one relay process. Key: pid. Written by that relay. */
struct odb_relay_stats {
	__u64 counters[ODB_RELAY_COUNTER_COUNT]; /* index: enum odb_relay_counter */
	__u64 updated_unix_ns;
};

/* How a held payload's body is framed (docs/DESIGN.md, "Virtual payload"). */
enum odb_held_framing {
	ODB_HELD_LENGTH = 1,
	ODB_HELD_CHUNKED,
	ODB_HELD_CLOSE,
};

/* Names one held payload: the relay, its worker and that worker's serial number for it. */
struct odb_held_key {
	__u32 pid;
	__u32 worker;
	__u64 serial;
};

/* A virtual payload a relay holds, unread in its upstream socket. Key: odb_held_key. Written by
 * the holding relay while it holds the payload, read by `status`; the token itself is never
 * stored, only its digest. */
struct odb_held_payload {
	__u64 length;           /* body bytes when framing is ODB_HELD_LENGTH, else 0 */
	__u64 bound;            /* socket memory it may occupy, as counted against odb.max_held_bytes */
	__u64 held_unix_ns;     /* when it was parked */
	__u32 framing;          /* enum odb_held_framing */
	__u32 pad;
	char token_digest[16];  /* PayloadToken.digest, NUL-terminated */
	char upstream[96];      /* the upstream server as configured, NUL-terminated */
};

/* Whole-object facts. Single entry (key 0) of odb_meta. */
struct odb_meta {
	__u32 abi_version;
	__u32 pad;
	__u64 loaded_unix_ns;
};

#endif /* ODB_SHARED_H */
