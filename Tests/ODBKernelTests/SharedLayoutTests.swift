import Foundation
import CLibBPF
import Testing
import OdbShared
@testable import ODBKernel

/// The structs Swift imports from odb_shared.h must have the sizes the kernel made the maps with.
@Suite(.serialized) struct SharedLayoutTests {
    private func valueSize(of map: Int32) -> Int {
        var info = bpf_map_info()
        var length = UInt32(MemoryLayout<bpf_map_info>.size)
        #expect(bpf_obj_get_info_by_fd(map, &info, &length) == 0)
        return Int(info.value_size)
    }

    @Test func importedStructsMatchTheLoadedMaps() throws {
        let fixture = try KernelFixture()
        let objects = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        #expect(valueSize(of: objects.socks.fd) == MemoryLayout<odb_sock>.size)
        #expect(valueSize(of: objects.flows.fd) == MemoryLayout<odb_flow>.size)
        #expect(valueSize(of: objects.windows.fd) == MemoryLayout<odb_window>.size)
        #expect(valueSize(of: objects.attachments.fd) == MemoryLayout<odb_attachment>.size)
        #expect(valueSize(of: objects.relays.fd) == MemoryLayout<odb_relay_stats>.size)
        #expect(valueSize(of: objects.meta.fd) == MemoryLayout<odb_meta>.size)
        #expect(odb_abi_version == UInt32(ODB_ABI_VERSION))
    }

    @Test func reopeningPinsGivesTheSameMaps() throws {
        let fixture = try KernelFixture()
        let first = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        try first.flows.update(42, odb_flow(offset: 9, redirected: 0, passed: 0, event_key: 0, chunk_end: 0, state: 1, handed_seq: 0, handed_known: 0, pad: 0))
        let second = try KernelObjects.openOrLoad(pinDirectory: fixture.pinDirectory)
        #expect(second.flows.lookup(42)?.offset == 9)
    }
}

@Suite struct KernelCounterTests {
    @Test func everyCounterSlotHasExactlyOneCase() {
        #expect(KernelCounter.allCases.map(\.slot) == Array(0..<KernelCounter.slotCount))
        #expect(Set(KernelCounter.allCases.map(\.statusKey)).count == KernelCounter.allCases.count)
    }
}

@Suite struct RelayCounterTests {
    @Test func everyCounterSlotHasExactlyOneCase() {
        #expect(RelayCounter.allCases.map(\.slot) == Array(0..<RelayCounter.slotCount))
        #expect(MemoryLayout<odb_relay_stats>.size == (RelayCounter.slotCount + 1) * MemoryLayout<UInt64>.size)
    }

    @Test func everyCounterHasItsOwnStatusPlaceAndSeries() {
        let places = RelayCounter.allCases.map { counter in
            switch counter.status {
            case .field(let name): "\(name)"
            case .member(let key, let family): "\(family.statusObject).\(key)"
            }
        }
        #expect(Set(places).count == RelayCounter.allCases.count, "\(places)")
        let series = RelayCounter.allCases.compactMap(\.metric).map { "\($0.name)\($0.dimensions)" }
        #expect(Set(series).count == RelayCounter.allCases.count, "\(series)")
    }

    @Test func everyMetricIsInTheOperationsGuide() throws {
        let guide = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../docs/OPERATIONS.md")
        let text = try String(contentsOf: guide, encoding: .utf8)
        let metrics = RelayCounter.allCases.compactMap(\.metric) + KernelCounter.allCases.compactMap(\.metric)
        for name in Set(metrics.map(\.name.description)) {
            #expect(text.contains("| `\(name)"), "\(name) has no row in docs/OPERATIONS.md")
        }
    }

    @Test func responseClassesFollowTheStatusCode() {
        #expect(RelayCounter.response(status: 204) == .responses2xx)
        #expect(RelayCounter.response(status: 599) == .responses5xx)
        #expect(RelayCounter.response(status: 600) == .responsesNone)
        #expect(RelayCounter.response(status: 99) == .responsesNone)
    }
}

@Suite struct RelayLimitTests {
    @Test func everyLimitHasItsOwnLimitClosesCounter() {
        let counters = RelayLimit.allCases.map(\.counter)
        #expect(Set(counters).count == RelayLimit.allCases.count)
        #expect(counters.allSatisfy { if case .member(_, let family) = $0.status { "\(family.statusObject)" == "limit_closes" } else { false } })
    }
}
