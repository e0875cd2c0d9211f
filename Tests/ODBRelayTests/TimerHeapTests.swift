import Testing
@testable import ODBRelay

/// The event loop sleeps until `nextDeadline()`; a cancelled timer must never set that time, and
/// the heap's memory of a live first timer must follow cancellations and earlier insertions.
@Suite struct TimerHeapTests {
    @Test func theNextDeadlineSkipsCancelledTimersAndFollowsEarlierOnes() {
        var heap = TimerHeap()
        let first = heap.insert(deadline: 10) {}
        _ = heap.insert(deadline: 20) {}
        let third = heap.insert(deadline: 30) {}
        #expect(heap.nextDeadline() == 10)
        #expect(heap.nextDeadline() == 10)

        heap.cancel(first)
        #expect(heap.nextDeadline() == 20)

        let earlier = heap.insert(deadline: 5) {}
        #expect(heap.nextDeadline() == 5)
        heap.cancel(third)
        #expect(heap.nextDeadline() == 5)
        heap.cancel(earlier)
        #expect(heap.nextDeadline() == 20)
    }

    @Test func expiredTimersRunOnceAndCancelledOnesNever() {
        var heap = TimerHeap()
        var ran: [Int] = []
        _ = heap.insert(deadline: 1) { ran.append(1) }
        let cancelled = heap.insert(deadline: 2) { ran.append(2) }
        _ = heap.insert(deadline: 3) { ran.append(3) }
        _ = heap.insert(deadline: 9) { ran.append(9) }
        #expect(heap.nextDeadline() == 1)
        heap.cancel(cancelled)

        for body in heap.popExpired(now: 3) { body() }
        #expect(ran == [1, 3])
        #expect(heap.nextDeadline() == 9)
        #expect(heap.popExpired(now: 3).isEmpty)

        for body in heap.popExpired(now: 9) { body() }
        #expect(ran == [1, 3, 9])
        #expect(heap.nextDeadline() == nil)
    }
}
