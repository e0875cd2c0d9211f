/// How an `auto` route moves a body of known length from its `auto_splice_min_body` on, outside
/// its kernel band.
public enum AutoSpliceChoice: String, Sendable, CaseIterable {
    /// Every such body is spliced.
    case size
    /// Each worker splices or copies a body by what either path cost it per byte for bodies of
    /// the same size, measured on bodies it sent each way (docs/DESIGN.md, "Modes and how `auto`
    /// decides"): where splicing pays depends on the host and on where its peers are.
    case measured
}
