#define _GNU_SOURCE
#include "odb_privileges.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int set_capabilities(uint64_t keep)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	data[0].permitted = data[0].effective = (uint32_t)keep;
	data[1].permitted = data[1].effective = (uint32_t)(keep >> 32);
	return (int)syscall(SYS_capset, &header, data);
}

#define STEP(call, name)              \
	do {                          \
		if ((call) != 0) {    \
			*failed = (name); \
			return -1;    \
		}                     \
	} while (0)

int odb_switch_identity(uid_t uid, gid_t gid, uint64_t keep, const char **failed)
{
	/* The bounding set can only shrink while CAP_SETPCAP is still effective, i.e. as root. */
	for (unsigned long cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
			*failed = "prctl(PR_CAPBSET_DROP)";
			return -1;
		}
	}
	/* Without KEEPCAPS, setuid from root to another user empties the permitted set. */
	STEP(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
	STEP(setgroups(1, &gid), "setgroups");
	STEP(setresgid(gid, gid, gid), "setresgid");
	STEP(setresuid(uid, uid, uid), "setresuid");
	STEP(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), "prctl(PR_SET_KEEPCAPS)");
	return odb_limit_capabilities(keep, failed);
}

int odb_limit_capabilities(uint64_t keep, const char **failed)
{
	STEP(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
	STEP(set_capabilities(keep), "capset");
	return 0;
}
