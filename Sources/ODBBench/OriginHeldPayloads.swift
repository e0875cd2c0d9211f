import Foundation
import ODBHTTP

/// The payloads the built-in origin holds: token → body size, until claimed or expired.
///
/// Holding costs only this entry, because the origin generates the bytes when they are claimed.
/// Tokens are single use, so the table is shared by every connection thread under one lock.
final class OriginHeldPayloads: @unchecked Sendable {
    let settings: OriginHoldSettings
    private let lock = NSLock()
    private var sizes: [PayloadToken: (size: Int, deadline: ContinuousClock.Instant)] = [:]
    /// Tokens in the order they were held, which is deadline order since every payload gets the
    /// same timeout; claimed tokens stay until a sweep or compaction passes them.
    private var expiryOrder: [(token: PayloadToken, deadline: ContinuousClock.Instant)] = []
    private var expiryStart = 0

    init(_ settings: OriginHoldSettings) {
        self.settings = settings
    }

    /// Whether an `ODB-Peer` value proves its request a peer's.
    func acceptsPeer(_ secret: String) -> Bool {
        settings.odb.acceptsPeer(headerValue: secret)
    }

    /// Holds a body of `size` bytes and returns its descriptor; nil when the table is full.
    func hold(size: Int) -> PayloadDescriptor? {
        let now = ContinuousClock.now
        let token = PayloadToken.random()
        let deadline = now + settings.odb.holdTimeout
        let held: Bool = lock.withLock {
            sweep(now: now)
            guard sizes.count < settings.odb.maxHeldPayloads else { return false }
            sizes[token] = (size, deadline)
            expiryOrder.append((token, deadline))
            return true
        }
        return held ? PayloadDescriptor(holder: settings.name, token: token, framing: .length(UInt64(size))) : nil
    }

    /// Takes the payload `token` names: its size, or nil when it is unknown, expired or claimed.
    func claim(_ token: PayloadToken) -> Int? {
        let now = ContinuousClock.now
        return lock.withLock {
            sweep(now: now)
            return sizes.removeValue(forKey: token)?.size
        }
    }

    /// Drops every expired entry, and rebuilds the expiry order once claimed tokens make up most
    /// of it, so that neither grows past a small multiple of the cap. Called with the lock held.
    private func sweep(now: ContinuousClock.Instant) {
        while expiryStart < expiryOrder.count, expiryOrder[expiryStart].deadline <= now {
            sizes.removeValue(forKey: expiryOrder[expiryStart].token)
            expiryStart += 1
        }
        if expiryOrder.count > 2 * sizes.count + 1024 {
            expiryOrder = expiryOrder[expiryStart...].filter { sizes[$0.token] != nil }
            expiryStart = 0
        }
    }
}
