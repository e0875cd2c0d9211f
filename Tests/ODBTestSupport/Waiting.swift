import Foundation
import Glibc

/// Tests wait for the condition a guessed sleep would stand in for. Timeouts are generous, since
/// they cost nothing once the condition holds and a busy 2-core machine may take long to get
/// there; the poll interval only sets how soon a true condition is noticed.
public enum Waiting {
    /// Default time a condition gets before the wait gives up, in seconds.
    public static let timeout = 30.0
    /// Default interval between two looks at a condition, in seconds.
    public static let poll = 0.05

    /// Reads `value` every `poll` seconds until `accepts` holds for it or `timeout` seconds pass,
    /// and returns the last value read with whether it was accepted.
    public static func poll<Value>(timeout: Double, poll: Double, _ value: () throws -> Value,
                                   until accepts: (Value) throws -> Bool) rethrows -> (value: Value, accepted: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let current = try value()
            if try accepts(current) { return (current, true) }
            if Date() >= deadline { return (current, false) }
            usleep(UInt32(poll * 1_000_000))
        }
    }
}

/// A wait that ran out of time: what it waited for and the last value it saw.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public let description: String
}

/// The first value `value` returns that `accepts` holds for, looked at every `poll` seconds;
/// after `timeout` seconds it throws `WaitTimedOut` naming `what` and the last value read,
/// which fails the test.
@discardableResult
public func waitFor<Value>(_ what: @autoclosure () -> String, timeout: Double = Waiting.timeout, poll: Double = Waiting.poll,
                           _ value: () throws -> Value, until accepts: (Value) throws -> Bool) throws -> Value {
    let result = try Waiting.poll(timeout: timeout, poll: poll, value, until: accepts)
    guard result.accepted else {
        throw WaitTimedOut(description: "waited \(timeout) s for \(what()); last seen: \(result.value)")
    }
    return result.value
}

/// Returns once `condition` holds, looked at every `poll` seconds; after `timeout` seconds it
/// throws `WaitTimedOut` naming `what`, which fails the test.
public func waitUntil(_ what: @autoclosure () -> String, timeout: Double = Waiting.timeout, poll: Double = Waiting.poll,
                      _ condition: () throws -> Bool) throws {
    guard try Waiting.poll(timeout: timeout, poll: poll, condition, until: { $0 }).accepted else {
        throw WaitTimedOut(description: "waited \(timeout) s for \(what())")
    }
}

/// True once `condition` holds, false if `timeout` seconds pass first: for a wait whose outcome
/// the caller reports itself, as in `#expect(eventually { ... }, "...")`.
public func eventually(timeout: Double = Waiting.timeout, poll: Double = Waiting.poll, _ condition: () throws -> Bool) rethrows -> Bool {
    try Waiting.poll(timeout: timeout, poll: poll, condition, until: { $0 }).accepted
}
