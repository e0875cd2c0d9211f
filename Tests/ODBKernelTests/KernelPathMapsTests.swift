import Foundation
import OdbShared
import Testing
@testable import ODBKernel

/// The kernel path's typed map API reads and writes exactly the C fields it names, on real maps.
@Suite(.serialized) struct KernelPathMapsTests {
    @Test func everyGeneratedNameIsPinned() throws {
        let fixture = try KernelFixture()
        _ = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        let pinned = try FileManager.default.contentsOfDirectory(atPath: fixture.pinDirectory)
        #expect(Set(BPFMapName.allCases.map(\.rawValue)).isSubset(of: pinned))
        #expect(Set(BPFProgramName.allCases.map(KernelObjects.Pin.program)).isSubset(of: pinned))
    }

    @Test func aWindowRecordLandsFieldByField() throws {
        let fixture = try KernelFixture()
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        let windows = WindowTable(objects)
        try windows.write(WindowRecord(sourceCookie: 7, targetCookie: 8, end: 9, highWatermark: 10,
                                       targetBase: 11, redirectedBase: 12, chunked: true, linearise: true))
        let stored = try #require(objects.windows.lookup(7))
        #expect([stored.source_cookie, stored.target_cookie, stored.end, stored.high_watermark,
                 stored.target_base, stored.redirected_base] == [7, 8, 9, 10, 11, 12])
        #expect(stored.chunked == 1 && stored.linearise == 1)
        #expect(windows.lookup(source: 7)?.linearise == true)
        windows.delete(source: 7)
        #expect(objects.windows.lookup(7) == nil)
    }

    @Test func aFlowRecordReadsWhatTheVerdictWrites() throws {
        let fixture = try KernelFixture()
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        let flows = FlowTable(objects)
        try flows.create(source: 5, eventKey: 99)
        #expect(objects.flows.lookup(5)?.event_key == 99)
        #expect(flows.lookup(source: 5)?.state == .active)
        #expect(flows.lookup(source: 5)?.handled == 0)
        for (state, expected) in [(ODB_FLOW_TARGET_GONE, FlowRecord.State.targetGone), (ODB_FLOW_FAILED, .failed)] {
            try objects.flows.update(5, odb_flow(
                offset: 30, redirected: 20, passed: 10, event_key: 99, chunk_end: 40,
                state: UInt32(state.rawValue), handed_seq: 0, handed_known: 0, pad: 0))
            let record = try #require(flows.lookup(source: 5))
            #expect([record.handled, record.redirected, record.chunkEnd] == [30, 20, 40])
            #expect(record.state == expected)
        }
        flows.delete(source: 5)
        #expect(flows.lookup(source: 5) == nil)
    }

    @Test func anEventRingIsRegisteredWhileItLives() throws {
        let fixture = try KernelFixture()
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        var ring: EventRing? = try EventRing(objects: objects, key: 77)
        #expect(objects.eventRings.lookup(77) != nil)
        #expect(ring?.pollDescriptor ?? -1 >= 0)
        #expect(ring?.consume() == [])
        ring = nil
        #expect(objects.eventRings.lookup(77) == nil)
    }
}
