/// Whether the verdict makes a window's redirected skbs of several filled page fragments linear
/// (`odb_window.linearise`, `worth_linearising` in bpf/odb.bpf.c). Skbs of page-sized fragments
/// (from another relay's redirected stream, or a sendfile origin) it makes linear whatever the
/// window says: sent fragment by fragment they cost every later hop a packet per page, on
/// loopback too (docs/PERFORMANCE.md §11, §12).
///
/// Filled fragments (up to 32 KiB, from a sender that copies from user space) are sent by the
/// psock backlog with one push each. Across a link with a 1500-byte MTU each push can end in a
/// sub-MSS packet, and making the skb linear (one copy in the verdict) brought the kernel path
/// from about half of copy's req/s to level with it (§9, second round). Over a loopback-sized
/// segment the pushes cost little, and for a short body the copy is a large part of what it
/// costs the machine: on loopback, 8 connections, 256 KiB bodies took 4-14 % less machine CPU
/// per request without it, at one relay, in chains of 3 and in virtual mode (64 KiB: 3-8 %,
/// two bench runs). From 1 MiB on
/// leaving it out cost as much or more (1 MiB in a chain of 3: 32 %; 2-16 MiB at one relay:
/// 7-33 %; a long body fills its target's send buffer, where a fragmented skb's partial sends
/// wait for room; §9, sixth round).
enum SkbLinearising {
    /// Segments at least this large are a loopback's (65 483 bytes), not a real link's.
    static let largeSegment: Int32 = 32 << 10
    /// Bodies of known length up to this are short.
    static let shortBody: UInt64 = 256 << 10

    /// - Parameters:
    ///   - length: The window's length; nil when it has none (a tunnel, a body until close, a
    ///     chunked window that may grow).
    ///   - targetSegment: The target's maximum segment size, nil when unknown.
    static func wanted(length: UInt64?, targetSegment: Int32?) -> Bool {
        guard let targetSegment, targetSegment >= largeSegment, let length else { return true }
        return length > shortBody
    }
}
