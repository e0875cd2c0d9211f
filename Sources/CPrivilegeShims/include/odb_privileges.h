#ifndef ODB_PRIVILEGES_H
#define ODB_PRIVILEGES_H

#include <stdint.h>
#include <sys/types.h>

/* Switches the process to `uid`/`gid` (with `gid` as its only group) and keeps exactly the
 * capabilities in `keep` (bit N = capability number N) as permitted and effective; all others
 * leave the permitted, effective, inheritable, ambient and bounding sets, so nothing can
 * regain them later. Must run as root and before any other thread exists: capset(2) changes
 * only the calling thread (glibc applies the set*id calls to every thread, capset it cannot).
 * prctl(2) is variadic and capset(2) has no glibc wrapper, so Swift cannot call either.
 * Returns 0, or -1 with errno set and *failed naming the call that failed. */
int odb_switch_identity(uid_t uid, gid_t gid, uint64_t keep, const char **failed);

/* Reduces the permitted and effective capabilities to `keep` and clears the ambient set;
 * needs no privilege (a process may always give capabilities up). Same thread caveat and
 * return convention as above. */
int odb_limit_capabilities(uint64_t keep, const char **failed);

#endif
