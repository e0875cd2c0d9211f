#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H

/// Starts counting the calling thread's heap allocations (malloc, calloc, realloc,
/// aligned_alloc, posix_memalign, memalign) from zero.
void allocation_counter_start(void);

/// Stops counting on the calling thread and returns how many allocations it made since
/// `allocation_counter_start`.
unsigned long allocation_counter_stop(void);

/// The calling thread's counter, valid while the thread lives, for `allocation_counter_read`
/// on another thread.
const unsigned long *allocation_counter_of_this_thread(void);

/// How many allocations the thread owning `counter` has counted since it last called
/// `allocation_counter_start`; callable from any thread.
unsigned long allocation_counter_read(const unsigned long *counter);

#endif
