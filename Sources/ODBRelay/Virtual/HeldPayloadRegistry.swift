import Foundation
import ODBHTTP

/// Every payload the relay holds, across workers: which worker owns each token, the caps
/// (`odb.max_held_payloads`, `odb.max_held_bytes`) on their number and socket memory, and each
/// worker's mailbox, where claims accepted elsewhere reach the owner.
///
/// Only the owning worker takes a payload out of its own table, so a token is used once however
/// many claims for it arrive; this table answers where a claim must go, and what may be held.
final class HeldPayloadRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var owners = [PayloadToken: (worker: Int, bound: Int)]()
    private var heldBytes = 0
    private var mailboxes = [Int: ClaimMailbox]()

    func register(_ mailbox: ClaimMailbox, worker: Int) {
        lock.withLock { mailboxes[worker] = mailbox }
    }

    func mailbox(of worker: Int) -> ClaimMailbox? {
        lock.withLock { mailboxes[worker] }
    }

    /// Records a payload of `worker` that may occupy `bound` bytes, unless that would pass a cap.
    func admit(_ token: PayloadToken, worker: Int, bound: Int, maxPayloads: Int, maxBytes: Int) -> Bool {
        lock.withLock {
            guard owners.count < maxPayloads, heldBytes + bound <= maxBytes else { return false }
            owners[token] = (worker, bound)
            heldBytes += bound
            return true
        }
    }

    /// The worker holding `token`, or nil when no worker does.
    func owner(of token: PayloadToken) -> Int? {
        lock.withLock { owners[token]?.worker }
    }

    /// Forgets a payload its owner released or handed to a claim.
    func remove(_ token: PayloadToken) {
        lock.withLock {
            guard let entry = owners.removeValue(forKey: token) else { return }
            heldBytes -= entry.bound
        }
    }
}
