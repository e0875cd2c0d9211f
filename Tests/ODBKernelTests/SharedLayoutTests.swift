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
        let slots = KernelCounter.allCases.map { Int($0.slot.rawValue) }
        #expect(slots.sorted() == Array(0..<Int(ODB_CTR_COUNT.rawValue)))
        #expect(Set(KernelCounter.allCases.map(\.statusKey)).count == KernelCounter.allCases.count)
    }
}

@Suite struct RelayLimitTests {
    @Test func everyLimitSlotHasExactlyOneCase() {
        #expect(RelayLimit.allCases.map(\.slot).sorted() == Array(0..<RelayLimit.slotCount))
        #expect(Set(RelayLimit.allCases.map(\.statusKey)).count == RelayLimit.allCases.count)
    }
}
