// SPDX-License-Identifier: GPL-2.0
/* The least a relay on sk_skb redirects can cost: every byte of a socket pair goes to the
 * other socket, with no window, no budget, no head parsing and no user space after the join.
 * Not part of the relay; `tools/tunnel_floor.py` compiles and loads it to measure the kernel's
 * own cost of moving bytes this way against relays that copy or splice them
 * (docs/PERFORMANCE.md §23).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

/* The tunnels' sockets by cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} tunnel_sockets SEC(".maps");

/* Each tunnel socket's cookie to its peer's. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} tunnel_peers SEC(".maps");

/* Key 0: nonzero makes every skb of several fragments linear before it is redirected, as the
 * relay's verdict does for long bodies (`worth_linearising` in odb.bpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} tunnel_linearise SEC(".maps");

SEC("sk_skb")
int tunnel_verdict(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	__u64 *peer = bpf_map_lookup_elem(&tunnel_peers, &cookie);
	__u32 zero = 0, *linearise = bpf_map_lookup_elem(&tunnel_linearise, &zero);

	if (!peer)
		return SK_PASS;
	if (linearise && *linearise && skb->data_end - skb->data < skb->len)
		bpf_skb_pull_data(skb, skb->len);
	return bpf_sk_redirect_hash(skb, &tunnel_sockets, peer, 0);
}
