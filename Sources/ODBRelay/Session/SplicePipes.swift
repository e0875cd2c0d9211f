/// A worker's spare splice pipes. A spliced body takes one and gives it back empty when it ends,
/// so the next body needs no pipe of its own: making one costs `pipe2`, the `F_SETPIPE_SZ` to
/// 1 MiB, the `F_GETPIPE_SZ` that checks it and two `close` calls later, per body.
///
/// Spares never raise the descriptors a worker holds past what its busiest moment held: a spare
/// is a pipe some spliced body made while every other pipe was in use, and each connection's
/// share of the descriptor budget counts a pipe (`DescriptorBudget.perConnection`).
final class SplicePipes {
    /// Spares kept at most, so a burst of spliced bodies does not leave its pipes open for good.
    /// A spare holds 256 pages of its user's pipe quota as a pipe in use does
    /// (`fs.pipe-user-pages-soft`, 16384 by default), so a worker keeps few, and a relay that
    /// switched user keeps most of that quota for bodies under way (docs/OPERATIONS.md).
    static let mostSpares = 8
    private var spares: [SplicePipe] = []

    var spareCount: Int { spares.count }

    func take() throws(SplicePipe.Unavailable) -> SplicePipe {
        if let pipe = spares.popLast() { return pipe }
        return try SplicePipe()
    }

    /// Keeps an empty pipe for the next body; one still holding bytes (its body failed) closes.
    func giveBack(_ pipe: SplicePipe) {
        guard pipe.buffered == 0, spares.count < Self.mostSpares else { return }
        spares.append(pipe)
    }
}
