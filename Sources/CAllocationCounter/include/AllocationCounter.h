#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Starts counting the calling thread's heap allocations (malloc, calloc, realloc,
/// aligned_alloc, posix_memalign, memalign) from zero.
void allocation_counter_start(void);

/// Stops counting on the calling thread and returns how many allocations it made since
/// `allocation_counter_start`.
unsigned long allocation_counter_stop(void);

#endif
