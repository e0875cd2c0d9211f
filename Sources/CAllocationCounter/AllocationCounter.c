// Counts heap allocations per thread by interposing glibc's allocation functions: a binary
// that links this target resolves malloc and its siblings here first, and each forwards to
// the next definition (glibc's) found with dlsym(RTLD_NEXT).
//
// glibc 2.34 removed __malloc_hook, and mallinfo2() reports bytes in use rather than calls,
// so interposition is the way left to count calls. Only threads that called
// allocation_counter_start count, so concurrent work elsewhere in the process does not.
// A counting thread's total can be read from another thread (allocation_counter_read), so a
// test can sample a thread that runs a loop of its own; the counter has one writer, its
// thread, and relaxed atomic stores keep the read free of a data race without a locked add.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "AllocationCounter.h"

static __thread int counting;
static __thread unsigned long allocations;

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static void *(*next_aligned_alloc)(size_t, size_t);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_memalign)(size_t, size_t);

// dlsym may allocate while the pointers above are still being resolved; those requests are
// served from this arena and never freed.
static _Alignas(16) unsigned char bootstrap[8192];
static size_t bootstrap_used;
static int resolving;

static void *bootstrap_alloc(size_t size) {
    size_t rounded = (size + 15) & ~(size_t)15;
    if (bootstrap_used + rounded > sizeof bootstrap) {
        return NULL;
    }
    void *result = bootstrap + bootstrap_used;
    bootstrap_used += rounded;
    return result;
}

static int is_bootstrap(const void *pointer) {
    const unsigned char *byte = pointer;
    return byte >= bootstrap && byte < bootstrap + sizeof bootstrap;
}

static void resolve(void) {
    resolving = 1;
    next_malloc = dlsym(RTLD_NEXT, "malloc");
    next_calloc = dlsym(RTLD_NEXT, "calloc");
    next_realloc = dlsym(RTLD_NEXT, "realloc");
    next_free = dlsym(RTLD_NEXT, "free");
    next_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
    next_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
    next_memalign = dlsym(RTLD_NEXT, "memalign");
    resolving = 0;
}

static inline void count(void) {
    if (counting) {
        __atomic_store_n(&allocations, allocations + 1, __ATOMIC_RELAXED);
    }
}

void *malloc(size_t size) {
    if (next_malloc == NULL) {
        if (resolving) return bootstrap_alloc(size);
        resolve();
    }
    count();
    return next_malloc(size);
}

void *calloc(size_t count_, size_t size) {
    if (next_calloc == NULL) {
        if (resolving) {
            // The arena is zero-initialised static storage that is never reused.
            return size != 0 && count_ > SIZE_MAX / size ? NULL : bootstrap_alloc(count_ * size);
        }
        resolve();
    }
    count();
    return next_calloc(count_, size);
}

void *realloc(void *pointer, size_t size) {
    if (next_realloc == NULL) resolve();
    if (is_bootstrap(pointer)) {
        void *moved = malloc(size);
        if (moved != NULL) {
            size_t available = (size_t)(bootstrap + sizeof bootstrap - (unsigned char *)pointer);
            memcpy(moved, pointer, size < available ? size : available);
        }
        return moved;
    }
    count();
    return next_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer == NULL || is_bootstrap(pointer)) return;
    if (next_free == NULL) resolve();
    next_free(pointer);
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (next_aligned_alloc == NULL) resolve();
    count();
    return next_aligned_alloc(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (next_posix_memalign == NULL) resolve();
    count();
    return next_posix_memalign(result, alignment, size);
}

void *memalign(size_t alignment, size_t size) {
    if (next_memalign == NULL) resolve();
    count();
    return next_memalign(alignment, size);
}

void allocation_counter_start(void) {
    __atomic_store_n(&allocations, 0, __ATOMIC_RELAXED);
    counting = 1;
}

const unsigned long *allocation_counter_of_this_thread(void) {
    return &allocations;
}

unsigned long allocation_counter_read(const unsigned long *counter) {
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

unsigned long allocation_counter_stop(void) {
    counting = 0;
    return allocations;
}
