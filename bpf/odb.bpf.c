// SPDX-License-Identifier: GPL-2.0
/* Kernel side of odb-redirect.
 *
 * odb_sockops  (cgroup sock_ops): tracks the TCP sockets of attached cgroups, from the
 *              handshake to the close, for the relay and `status`.
 * odb_verdict  (sk_skb verdict on odb_sources): redirects the bytes of a source socket that fall
 *              inside the window the relay opened (a body, a chunk's data, a tunnel
 *              direction) to the window's target, and passes everything else to the relay.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_core_read.h>
#include "odb_shared.h"

char LICENSE[] SEC("license") = "GPL";

extern void *bpf_cast_to_kern_ctx(void *ctx) __ksym;

#define AF_INET 2
#define AF_INET6 10

/* Tracked sockets by cookie; written by odb_sockops, read by odb_verdict and `status`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, struct odb_sock);
} odb_socks SEC(".maps");

/* Sockets in odb_sources by cookie; created by the relay, advanced by odb_verdict. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_FLOWS);
	__type(key, __u64);
	__type(value, struct odb_flow);
} odb_flows SEC(".maps");

/* Redirect windows by source cookie; written by the relay, read by odb_verdict. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_FLOWS);
	__type(key, __u64);
	__type(value, struct odb_window);
} odb_windows SEC(".maps");

/* Source sockets whose skbs odb_verdict sees; the relay inserts and removes them. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, ODB_MAX_FLOWS);
	__type(key, __u64);
	__type(value, __u64);
} odb_sources SEC(".maps");

/* Redirect targets, no programs attached; the relay inserts a socket for its lifetime. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, ODB_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, __u64);
} odb_targets SEC(".maps");

/* Global counters, enum odb_counter; written by both programs. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ODB_CTR_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} odb_counters SEC(".maps");

struct odb_event_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ODB_EVENT_RING_BYTES);
};

/* One event ring per consuming relay worker, by a key the relay picks; flows name theirs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, ODB_MAX_EVENT_RINGS);
	__type(key, __u64);
	__array(values, struct odb_event_ring);
} odb_event_rings SEC(".maps");

/* Cgroups hooked by `attach`, by cgroup inode; written by the controller, read by `status`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_ATTACHMENTS);
	__type(key, __u64);
	__type(value, struct odb_attachment);
} odb_attachments SEC(".maps");

/* Per-relay byte and fallback counters, by pid; written by each relay, read by `status`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_RELAYS);
	__type(key, __u32);
	__type(value, struct odb_relay_stats);
} odb_relays SEC(".maps");

/* Held virtual payloads by relay, worker and serial; written by each holding relay, read by `status`. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ODB_MAX_HELD);
	__type(key, struct odb_held_key);
	__type(value, struct odb_held_payload);
} odb_held SEC(".maps");

/* ABI version and load time, single entry; written by the controller at load. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct odb_meta);
} odb_meta SEC(".maps");

static __always_inline void count(__u32 counter, __u64 amount)
{
	__u64 *slot = bpf_map_lookup_elem(&odb_counters, &counter);

	if (slot)
		*slot += amount;
}

static __always_inline void emit(__u64 event_key, __u64 source, __u64 target, __u32 type,
				 __u64 value)
{
	struct odb_event event = {
		.source_cookie = source,
		.target_cookie = target,
		.value = value,
		.type = type,
	};
	void *ring = bpf_map_lookup_elem(&odb_event_rings, &event_key);

	if (!ring || bpf_ringbuf_output(ring, &event, sizeof(event), 0))
		count(ODB_CTR_EVENTS_LOST, 1);
}

static __always_inline void track(struct bpf_sock_ops *skops)
{
	__u64 cookie = bpf_get_socket_cookie(skops);
	/* Newer kernels load the network-order port into the upper 16 bits, older ones the lower. */
	__u32 remote_port = skops->remote_port;
	struct odb_sock sock = {
		.established_ns = bpf_ktime_get_ns(),
		.local_port = (__u16)skops->local_port,
		.remote_port = bpf_ntohs((__u16)(remote_port >> 16 ? remote_port >> 16 : remote_port)),
		.family = (__u16)skops->family,
		.state = ODB_SOCK_ESTABLISHED,
	};

	if (skops->family == AF_INET) {
		/* IPv4-mapped IPv6 so that both families print through one path. */
		sock.local_addr[10] = 0xff;
		sock.local_addr[11] = 0xff;
		sock.remote_addr[10] = 0xff;
		sock.remote_addr[11] = 0xff;
		__builtin_memcpy(&sock.local_addr[12], &skops->local_ip4, 4);
		__builtin_memcpy(&sock.remote_addr[12], &skops->remote_ip4, 4);
	} else if (skops->family == AF_INET6) {
		/* The verifier wants each ctx field read as its own 4-byte load. */
		__u32 words[8] = {
			skops->local_ip6[0], skops->local_ip6[1], skops->local_ip6[2], skops->local_ip6[3],
			skops->remote_ip6[0], skops->remote_ip6[1], skops->remote_ip6[2], skops->remote_ip6[3],
		};
		__builtin_memcpy(sock.local_addr, &words[0], 16);
		__builtin_memcpy(sock.remote_addr, &words[4], 16);
	} else {
		return;
	}
	if (bpf_map_update_elem(&odb_socks, &cookie, &sock, BPF_ANY)) {
		count(ODB_CTR_SOCKS_TABLE_FULL, 1);
		return;
	}
	count(ODB_CTR_SOCKS_ESTABLISHED, 1);
	/* The state changes only, for the close: a callback on every ACK would cost every
	 * request of every socket in the cgroup, and the verdict reads a target's progress from
	 * its tcp_sock when it needs it (target_acked). */
	bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG);
}

SEC("sockops")
int odb_sockops(struct bpf_sock_ops *skops)
{
	__u64 cookie;

	switch (skops->op) {
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		track(skops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		if (skops->args[1] == BPF_TCP_CLOSE) {
			cookie = bpf_get_socket_cookie(skops);
			if (bpf_map_delete_elem(&odb_socks, &cookie) == 0)
				count(ODB_CTR_SOCKS_CLOSED, 1);
		}
		break;
	}
	return 1;
}

/* The window's budget now: `high_watermark`, grown during slow start by twice the bytes the
 * target acknowledged since the window opened, up to `growth_ceiling`. A reader that drains a
 * third as fast as the source fills keeps its in-flight bytes under the grown budget, so a fast
 * reader's first body does not cross it; a slow reader's acknowledgements stop at what its
 * receive queue takes, and it crosses near `high_watermark`. */
static __always_inline __u64 window_budget(const struct odb_window *window, __u64 acked)
{
	__u64 grown;

	if (window->growth_ceiling <= window->high_watermark || acked <= window->acked_base)
		return window->high_watermark;
	grown = window->high_watermark + 2 * (acked - window->acked_base);
	return grown < window->growth_ceiling ? grown : window->growth_ceiling;
}

/* The bytes the target's peer has acknowledged (its tcp_sock's bytes_acked, TCP_INFO's
 * tcpi_bytes_acked), read when the verdict needs them. Returns -1 when the target is gone. */
static __always_inline int target_acked(__u64 target_cookie, __u64 *acked)
{
	struct bpf_sock *sk = bpf_map_lookup_elem(&odb_targets, &target_cookie);
	struct tcp_sock *tp;
	int found = -1;

	if (!sk)
		return -1;
	tp = bpf_skc_to_tcp_sock(sk);
	if (tp) {
		*acked = tp->bytes_acked;
		found = 0;
	}
	bpf_sk_release(sk);
	return found;
}

/* True when the target holds more unacknowledged bytes than the window's budget.
 *
 * Egress redirect has no backpressure of its own. Taking the source out of the verdict map to
 * pause it races with an skb the kernel is handing to the verdict at that moment: the kernel
 * clears the psock's verdict program and drops that skb (seen: a few percent of pauses lost
 * data). So the source never leaves the map; over budget, skbs are passed instead. */
static __always_inline bool over_budget(const struct odb_flow *flow, const struct odb_window *window)
{
	__u64 queued, acked;

	if (!window->high_watermark)
		return false;
	if (target_acked(window->target_cookie, &acked))
		return false;
	queued = window->target_base + (flow->redirected - window->redirected_base);
	return queued > acked && queued - acked > window_budget(window, acked);
}

/* How far user space has read the socket: its copied_seq. Redirected and dropped skbs advance
 * it by their length when the verdict returns (tcp_eat_skb), passed ones as user space reads
 * them, so while passed bytes wait unread it lags behind what the verdict has handed on. */
static __always_inline int read_copied_seq(struct __sk_buff *skb, __u32 *copied_seq)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	struct tcp_sock *tp = (struct tcp_sock *)BPF_CORE_READ(kskb, sk);

	/* tcp_read_skb makes the socket the skb's owner before the verdict runs. */
	if (!tp)
		return -1;
	return bpf_core_read(copied_seq, sizeof(*copied_seq), &tp->copied_seq);
}

static __always_inline __u32 skb_seq(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	__u32 seq = 0;

	bpf_core_read(&seq, sizeof(seq), &((struct tcp_skb_cb *)kskb->cb)->seq);
	return seq;
}

/* Sequence-space distance from `from` to `to`, negative when `to` comes first. */
static __always_inline __s32 seq_distance(__u32 from, __u32 to)
{
	return (__s32)(to - from);
}

/* Removes `skip` bytes from the front of the skb. The helper shrinks at most ODB_SHRINK_STEP
 * bytes a call, hence the bounded loop, enough for a 2 MiB prefix: user space can have read
 * hundreds of KiB of one skb before its socket joined, since TCP coalesces queued skbs of many
 * pages into one. A global function with its step count fixed before the loop, so that the
 * verifier walks the loop once. */
#define ODB_SHRINK_STEP 0xfff
#define ODB_SHRINK_STEPS_MAX 512
__noinline int drop_prefix(struct __sk_buff *skb, __u32 skip)
{
	__u32 steps = skip / ODB_SHRINK_STEP, rest = skip % ODB_SHRINK_STEP;

	if (steps > ODB_SHRINK_STEPS_MAX)
		return -1;
	for (__u32 i = 0; i < ODB_SHRINK_STEPS_MAX && i < steps; i++)
		if (bpf_skb_adjust_room(skb, -ODB_SHRINK_STEP, 0, 0))
			return -1;
	if (rest && bpf_skb_adjust_room(skb, -(__s32)rest, 0, 0))
		return -1;
	return 0;
}

/* Where an skb stands once trim_handed_bytes is done with it. */
enum handed_trim {
	TRIM_IN_ORDER,       /* every byte before it has been read by user space or redirected */
	TRIM_BEHIND_PASSED,  /* passed bytes before it are still unread: redirecting would overtake them */
	TRIM_FAILED,         /* it could not be trimmed; the flow has failed */
};

/* Cuts from the front of the skb every byte that was handed on before (by this verdict, up to
 * handed_seq) or read by user space before the socket joined (up to copied_seq), so that each
 * stream byte leaves the socket once. An skb entirely made of such bytes never reaches the
 * verdict (TCP queues only skbs that end past rcv_nxt), so meeting one means the accounting
 * cannot be trusted and the flow fails: dropping it would advance copied_seq by its length. */
static __always_inline enum handed_trim trim_handed_bytes(struct __sk_buff *skb, struct odb_flow *flow,
							  __u64 source)
{
	__u32 seq = skb_seq(skb), len = skb->len, copied_seq, done, skip = 0, overlap = 0;

	if (read_copied_seq(skb, &copied_seq))
		copied_seq = seq;
	done = copied_seq;
	if (flow->handed_known) {
		if (seq_distance(done, flow->handed_seq) > 0)
			done = flow->handed_seq;
		if (seq_distance(seq, flow->handed_seq) > 0)
			overlap = flow->handed_seq - seq;
	}
	if (seq_distance(seq, done) > 0)
		skip = done - seq;
	if (!flow->handed_known || seq_distance(flow->handed_seq, seq + len) > 0)
		flow->handed_seq = seq + len;
	flow->handed_known = 1;
	if (skip == 0)
		return seq_distance(copied_seq, seq) > 0 ? TRIM_BEHIND_PASSED : TRIM_IN_ORDER;
	if (skip >= len || drop_prefix(skb, skip)) {
		flow->state = ODB_FLOW_FAILED;
		emit(flow->event_key, source, 0, ODB_EVENT_FAILED, skip);
		return TRIM_FAILED;
	}
	if (overlap) {
		count(ODB_CTR_OVERLAP_SKBS, 1);
		count(ODB_CTR_OVERLAP_BYTES_TRIMMED, overlap);
	}
	if (skip > overlap)
		count(ODB_CTR_PREFIX_BYTES_DROPPED, skip - overlap);
	return seq_distance(copied_seq, done) > 0 ? TRIM_BEHIND_PASSED : TRIM_IN_ORDER;
}

/* Longest chunk-size line the verdict checks: CRLF, 14 hex digits, CRLF, rounded up. */
#define ODB_CHUNK_LINE_MAX 32
/* Chunk-size lines checked in one skb before it is handed back. */
#define ODB_CHUNK_LINES_PER_SKB 64

static __always_inline int hex_value(__u8 c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Where walk_chunks stands; bpf_loop hands it from one chunk-size line to the next. */
struct chunk_walk {
	struct __sk_buff *skb;
	__u64 start;          /* stream offset of the skb's first byte */
	__u64 len;
	__u64 end;            /* data end of the chunk being walked past; 0 once handed back */
};

/* Checks the one chunk-size line at walk->end, if it lies inside the skb. Returns 1 to stop. */
static long walk_one_line(__u64 index, void *context)
{
	struct chunk_walk *walk = context;
	__u8 line[ODB_CHUNK_LINE_MAX];
	__u64 size = 0;
	__u32 off, avail, j;

	if (walk->end >= walk->start + walk->len)
		return 1;
	off = walk->end - walk->start;
	avail = walk->start + walk->len - walk->end;
	if (avail >= ODB_CHUNK_LINE_MAX) {
		if (bpf_skb_load_bytes(walk->skb, off, line, ODB_CHUNK_LINE_MAX))
			goto hand_back;
		avail = ODB_CHUNK_LINE_MAX;
	} else {
		/* Masked and checked again so the verifier sees a length in [5, 31]. */
		avail &= ODB_CHUNK_LINE_MAX - 1;
		if (avail < 5 || bpf_skb_load_bytes(walk->skb, off, line, avail))
			goto hand_back;
	}
	if (line[0] != '\r' || line[1] != '\n')
		goto hand_back;
	for (j = 2; j < 17 && j < avail; j++) {
		int digit = hex_value(line[j]);

		if (digit < 0)
			break;
		size = size << 4 | digit;
	}
	/* No digit, 15 or more (the loop stops at index 17 either way), size 0 (the last chunk),
	 * or no CRLF right after them. */
	if (j == 2 || j == 17 || size == 0 || j + 1 >= avail || j + 1 >= ODB_CHUNK_LINE_MAX)
		goto hand_back;
	if (line[j] != '\r' || line[j + 1] != '\n')
		goto hand_back;
	count(ODB_CTR_CHUNK_LINES_WALKED, 1);
	walk->end += j + 2 + size;
	return 0;
hand_back:
	walk->end = 0;
	return 1;
}

/* Checks the chunk-size lines that start at `end` inside the skb [start, start + len).
 * Returns where the data of the chunk the skb ends in ends, or 0 to hand the skb back: the
 * relay's own parser then reads the framing from `end` on. Only plain lines pass; anything
 * the relay's parser might judge differently (extensions, whitespace, the last chunk and its
 * trailers, a line split across skbs) is the relay's to read. bpf_loop keeps the verifier's
 * work to one line however many the skb holds. */
static __always_inline __u64 walk_chunks(struct __sk_buff *skb, __u64 start, __u64 len, __u64 end)
{
	struct chunk_walk walk = { .skb = skb, .start = start, .len = len, .end = end };

	if (bpf_loop(ODB_CHUNK_LINES_PER_SKB, walk_one_line, &walk, 0) < 0)
		return 0;
	return walk.end >= start + len ? walk.end : 0;
}

/* Fragments averaging less than this are pages (another relay's redirected stream, a
 * sendfile origin), not the filled fragments of a sender that copies from user space. */
#define ODB_SMALL_FRAGMENT (16 << 10)

/* True when the verdict makes the skb linear before redirecting it: it holds more than one
 * page fragment, and either they are small or its window asks for it (the relay decides per
 * window, `SkbLinearising`).
 *
 * The psock backlog sends an skb with one tcp_sendmsg per fragment, and each call pushes what
 * it appended as packets of its own (the target has TCP_NODELAY): one push, and often a sub-MSS
 * tail packet, per fragment. A sender that copies from user space (the origin, a copying relay)
 * fills fragments of up to 32 KiB; an skb from another relay's redirected stream or from a
 * sendfile origin carries one page per fragment. Across a link with a 1500-byte MTU those
 * pushes multiply the packets a relay sends and the work of the kworker that sends them, and
 * page-sized pushes cost every later hop even on loopback (docs/PERFORMANCE.md §9, §11, §12).
 * A linear skb goes out in one call, which copies it into the target's own fragments. */
static __always_inline bool worth_linearising(struct __sk_buff *skb, const struct odb_window *window)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);
	unsigned char *head = BPF_CORE_READ(kskb, head);
	__u32 end = BPF_CORE_READ(kskb, end);
	struct skb_shared_info *shared = (struct skb_shared_info *)(head + end);
	__u8 fragments = 0;

	bpf_core_read(&fragments, sizeof(fragments), &shared->nr_frags);
	if (fragments < 2)
		return false;
	return window->linearise || BPF_CORE_READ(kskb, data_len) / fragments < ODB_SMALL_FRAGMENT;
}

/* Gives an skb that starts inside the window to user space, counting its window bytes. */
static __always_inline int pass_in_window(struct odb_flow *flow, __u64 start, __u64 len, __u64 end)
{
	__u64 inside = end - start < len ? end - start : len;

	flow->passed += inside;
	count(ODB_CTR_PASSED_SKBS, 1);
	count(ODB_CTR_PASSED_BODY_BYTES, inside);
	return SK_PASS;
}

SEC("sk_skb")
int odb_verdict(struct __sk_buff *skb)
{
	__u64 source = bpf_get_socket_cookie(skb);
	struct odb_flow *flow = bpf_map_lookup_elem(&odb_flows, &source);
	struct odb_window *found, window;
	__u64 len = skb->len, start, end;
	enum handed_trim order;
	long verdict;

	count(ODB_CTR_VERDICT_SKBS, 1);
	/* An skb without data carries only a FIN, and the socket knows of the FIN without it. A
	 * passed one that has to wait in the psock's backlog (behind passed skbs the receive buffer
	 * had no room for) breaks the socket: the backlog takes its zero-byte delivery for a hard
	 * error and sets EPIPE on it (sk_psock_backlog, Linux 6.18). */
	if (len == 0)
		return SK_DROP;
	if (!flow) {
		count(ODB_CTR_PASSED_SKBS, 1);
		return SK_PASS;
	}
	/* Trimmed whatever the state: a duplicate passed outside a window corrupts just as well. */
	order = trim_handed_bytes(skb, flow, source);
	if (order == TRIM_FAILED)
		return SK_DROP;
	len = skb->len;
	start = flow->offset;
	flow->offset += len;
	found = bpf_map_lookup_elem(&odb_windows, &source);
	if (!found || flow->state != ODB_FLOW_ACTIVE) {
		count(ODB_CTR_PASSED_SKBS, 1);
		return SK_PASS;
	}
	/* One copy, read once: the fields below must all belong to the same window. */
	__builtin_memcpy(&window, found, sizeof(window));
	end = window.end;
	if (window.chunked && flow->chunk_end > end)
		end = flow->chunk_end;
	/* A chunked window may go on at its end with the next chunk-size line. */
	if (window.source_cookie != source || start > end || (start == end && !window.chunked)) {
		count(ODB_CTR_PASSED_SKBS, 1);
		return SK_PASS;
	}
	/* Chunk-size lines are checked whatever happens to the skb next, so that a window whose
	 * skbs are passed (behind unread bytes, over budget) still grows chunk by chunk. */
	if (end - start < len) {
		__u64 walked = window.chunked ? walk_chunks(skb, start, len, end) : 0;

		if (!walked) {
			/* The window ends inside this skb and the next message or chunk-size line
			 * starts there; the verdict cannot split an skb, so user space forwards the
			 * tail and reads on from the window's end. */
			count(window.chunked ? ODB_CTR_CHUNK_HANDBACKS : ODB_CTR_TAILS_PASSED, 1);
			return pass_in_window(flow, start, len, end);
		}
		flow->chunk_end = walked;
		end = walked;
	}
	if (order == TRIM_BEHIND_PASSED)
		return pass_in_window(flow, start, len, end);
	if (over_budget(flow, &window)) {
		/* Passed bytes are charged to the source socket, so its receive window closes and
		 * the sender stops until user space forwards them: backpressure the redirect lacks.
		 * The reader fell behind even the grown budget, so its slow start is over; the relay
		 * paces it from here. The relay rewrites the window only while passed bytes are
		 * unread, when no skb gets this far, so this store never races its rewrite. */
		if (window.growth_ceiling)
			found->growth_ceiling = 0;
		count(ODB_CTR_BUDGET_PASSES, 1);
		return pass_in_window(flow, start, len, end);
	}
	/* A failed pull (no memory for the linear copy) leaves the skb as it was, and it is
	 * sent fragment by fragment. */
	if (worth_linearising(skb, &window) && bpf_skb_pull_data(skb, skb->len) == 0)
		count(ODB_CTR_LINEARISED_SKBS, 1);
	verdict = bpf_sk_redirect_hash(skb, &odb_targets, &window.target_cookie, 0);
	if (verdict != SK_PASS) {
		flow->state = ODB_FLOW_TARGET_GONE;
		count(ODB_CTR_REDIRECT_FAILED, 1);
		emit(flow->event_key, source, window.target_cookie, ODB_EVENT_TARGET_GONE, flow->redirected);
		return SK_DROP;
	}
	flow->redirected += len;
	count(ODB_CTR_REDIRECTED_SKBS, 1);
	count(ODB_CTR_REDIRECTED_BYTES, len);
	/* A chunked window is over only when the verdict hands an skb back. */
	if (start + len == end && !window.chunked)
		emit(flow->event_key, source, window.target_cookie, ODB_EVENT_WINDOW_DONE, flow->redirected);
	return verdict;
}
