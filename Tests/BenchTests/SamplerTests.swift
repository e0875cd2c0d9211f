import Foundation
import ODBBench
import Testing

/// The CPU and memory samplers, measured against a child doing a known amount of work.
@Suite struct SamplerTests {
    @Test func cpuSamplerSeesHalfASecondOfBusyWork() throws {
        // Spins until the child itself has used 0.5 s of CPU, then idles.
        let child = try PythonChild(script: """
            import time, sys
            while time.process_time() < 0.5: pass
            print(time.process_time(), flush=True)
            time.sleep(30)
            """)
        let reported = Double(child.readyLine()) ?? -1
        let measured = try #require(ProcFS.processCPUSeconds(pid: child.pid))
        #expect(reported >= 0.5)
        // The interpreter's start-up adds a little; clock ticks are 10 ms.
        #expect(measured >= 0.45 && measured <= reported + 0.05, "measured \(measured) s, child reported \(reported) s")
    }

    @Test func cpuSnapshotDeltaExcludesIdleTime() throws {
        let child = try PythonChild(script: "import time\nprint('up', flush=True)\ntime.sleep(30)")
        _ = child.readyLine()
        let before = CPUSnapshot.take(pids: [child.pid])
        usleep(300_000)  // the idle interval measured
        let delta = CPUSnapshot.take(pids: [child.pid]).since(before)
        #expect(delta.processSeconds < 0.05, "a sleeping child used \(delta.processSeconds) s")
    }

    /// Short bursts every millisecond, as the fixed-rate load makes: the tick-sampled busy
    /// columns of /proc/stat missed nearly all of such work; elapsed × CPUs − idle does not.
    @Test func machineBusyCountsMillisecondBursts() throws {
        let before = CPUSnapshot.take(pids: [])
        let child = try PythonChild(script: """
            import time
            # Until it has worked 0.3 s of CPU, however busy the machine is (at most 30 s).
            end = time.monotonic() + 30
            while time.process_time() < 0.3 and time.monotonic() < end:
                burst = time.monotonic() + 0.0005
                while time.monotonic() < burst: pass
                time.sleep(0.0005)
            print(time.process_time(), flush=True)
            time.sleep(30)
            """)
        let used = Double(child.readyLine()) ?? -1
        let delta = CPUSnapshot.take(pids: []).since(before)
        #expect(used >= 0.3, "the child worked \(used) s")
        #expect(delta.machineBusySeconds >= used * 0.8, "machine busy \(delta.machineBusySeconds) s, the child alone \(used) s")
    }

    @Test func memorySamplerSeesTouchedAllocation() throws {
        // b"\\x01" * n writes every byte, so every page is resident (calloc'd zeros might not be).
        let child = try PythonChild(script: """
            import time
            block = b"\\x01" * (200 * 1024 * 1024)
            print(len(block), flush=True)
            time.sleep(30)
            """)
        #expect(child.readyLine() == String(200 * 1024 * 1024))
        let sampler = ResourceSampler(pids: [child.pid], interval: 0.02)
        usleep(100_000)  // the sampler's thread samples over this interval, at 20 ms
        let peaks = sampler.stop()
        let mib = Double(peaks.residentKiB) / 1024
        // The interpreter itself is ~10 MiB.
        #expect(mib >= 200 && mib <= 240, "peak RSS \(mib) MiB for a 200 MiB block")
        #expect(peaks.minMemAvailableKiB < Int.max)
    }

    @Test func processTreeIncludesChildren() throws {
        let child = try PythonChild(script: """
            import subprocess, time
            sub = subprocess.Popen(["sleep", "30"])
            print(sub.pid, flush=True)
            time.sleep(30)
            """)
        let grandchild = try #require(Int32(child.readyLine()))
        let tree = ProcFS.processTree(root: child.pid)
        #expect(tree.first == child.pid)
        #expect(tree.contains(grandchild))
        kill(grandchild, SIGTERM)
    }
}
