import Foundation
import FuzzChecks
import Testing

/// The relay's head parser against llhttp (swift-nio's NIOHTTP1) on the seed corpus.
///
/// Where the two disagree the relay must be the safer one: it rejects what llhttp accepts, or
/// it accepts a message llhttp refuses only in a form it forwards with one unambiguous length.
/// Every such input is listed in `expectedDisagreements`, so a new disagreement (or one that
/// went away) fails the test and gets looked at. docs/ROBUSTNESS.md carries the same table.
@Suite struct DifferentialTests {
    static let inputs = [FuzzTarget.requestHead, .responseHead, .framing].flatMap { Corpus.inputs($0) }

    enum Disagreement {
        /// The relay rejects, llhttp accepts; the rule and why rejecting is right.
        case odbRejects(String)
        /// The relay accepts what llhttp rejects and forwards a single, agreed Content-Length.
        case odbNormalises(String)
    }

    static let repeatedLength = "equal Content-Length values (RFC 9110 §8.6 allows either answer); "
        + "the relay forwards one Content-Length, so the next hop has nothing to choose between"

    static let expectedDisagreements: [String: Disagreement] = [
        "request-head/chunked-gzip": .odbRejects("unsupportedTransferEncoding (501): the relay decodes no coding but chunked"),
        "request-head/smuggling-host-list": .odbRejects("invalidHost: a Host list means two Hosts were merged; routing could pick either"),
        "request-head/smuggling-two-hosts": .odbRejects("multipleHost: components that pick different Hosts route differently"),
        "request-head/smuggling-te-empty-element": .odbRejects("invalidTransferEncoding: empty list elements appear only in obfuscation"),
        "request-head/smuggling-te-in-http-1-0": .odbRejects("transferEncodingInHTTP10: an HTTP/1.0 hop may ignore TE (RFC 9112 §6.1)"),
        "response-head/status-999": .odbRejects("invalidStatusLine: a status outside 100-599 has no class, so no defined framing"),
        "response-head/te-http10": .odbRejects("transferEncodingInHTTP10: an HTTP/1.0 client may read it until close"),
        "framing/connect-cl": .odbRejects("contentNotAllowed: a CONNECT with Content-Length; tunnel bytes could be read as a body"),
        "request-head/post-cl-repeated-equal": .odbNormalises(repeatedLength),
        "response-head/repeated-equal-cl": .odbNormalises(repeatedLength),
        "framing/post-cl-list": .odbNormalises(repeatedLength),
    ]

    struct Verdicts {
        let odb: Verdict
        let llhttp: Verdict
        /// llhttp's reading of the head the relay forwards; nil when the relay forwards nothing.
        let llhttpOfForwarded: Verdict?
    }

    static func verdicts(_ input: Corpus.Input) -> Verdicts? {
        guard let (bytes, isRequest) = Corpus.message(input) else { return nil }
        let odb = Verdict.odb(bytes, isRequest: isRequest, probeLength: LLHTTPParser.probe.count)
        guard case .accepted = odb.verdict else {
            return Verdicts(odb: odb.verdict, llhttp: LLHTTPParser.verdict(bytes, isRequest: isRequest), llhttpOfForwarded: nil)
        }
        // Both judge the same head, so both frame the same probe after it.
        return Verdicts(
            odb: odb.verdict,
            llhttp: LLHTTPParser.verdict(Array(bytes[..<odb.headLength]), isRequest: isRequest),
            llhttpOfForwarded: LLHTTPParser.verdict(odb.forwarded, isRequest: isRequest))
    }

    @Test(arguments: inputs)
    func agreesWithLLHTTPOrIsSafer(_ input: Corpus.Input) throws {
        let verdicts = try #require(Self.verdicts(input))
        let (odb, llhttp) = (verdicts.odb, verdicts.llhttp)
        switch Self.expectedDisagreements[input.id] {
        case let .odbRejects(reason):
            #expect(odb == .rejected && llhttp != .rejected,
                    "\(input.id) is listed (\(reason)) but now odb \(odb), llhttp \(llhttp)")
        case let .odbNormalises(reason):
            guard case .accepted(.length) = odb else {
                Issue.record("\(input.id) is listed (\(reason)) but now odb \(odb)")
                return
            }
            #expect(llhttp == .rejected, "\(input.id) is listed (\(reason)) but now llhttp \(llhttp)")
            // The forwarded head carries exactly one Content-Length (HeadChecks.oneFramingField).
            #expect(input.target.check(input.bytes) == nil)
        case nil:
            #expect(odb == llhttp, "\(input.id): odb \(odb), llhttp \(llhttp)")
        }
    }

    /// What the relay sends on is what the next hop reads: llhttp frames every forwarded head
    /// of the seed corpus exactly as the relay did.
    @Test(arguments: inputs)
    func forwardedHeadIsFramedTheSameByLLHTTP(_ input: Corpus.Input) throws {
        let verdicts = try #require(Self.verdicts(input))
        guard let forwarded = verdicts.llhttpOfForwarded else { return }
        #expect(forwarded == verdicts.odb, "\(input.id): odb \(verdicts.odb), llhttp of the forwarded head \(forwarded)")
    }

    /// Safety alone (no table) over another corpus, e.g. a long fuzz run's:
    /// ODB_DIFFERENTIAL_CORPUS=Fuzz/.build-fuzz-long/corpus swift test --filter Differential
    ///
    /// An input is safe when the relay forwards nothing (rejects or waits), or when llhttp, as
    /// the next hop, reads the forwarded head with the relay's framing or refuses it outright:
    /// a refusal fails the exchange, a second reading would desynchronise the connection.
    @Test func largerCorpusIsNeverLessSafe() throws {
        guard let path = ProcessInfo.processInfo.environment["ODB_DIFFERENTIAL_CORPUS"] else { return }
        let root = URL(fileURLWithPath: path)
        var counts: [String: Int] = [:]
        for target in [FuzzTarget.requestHead, .responseHead, .framing] {
            for input in Corpus.inputs(target, root: root) {
                guard let verdicts = Self.verdicts(input) else { continue }
                let (odb, llhttp) = (verdicts.odb, verdicts.llhttp)
                let key = odb == llhttp ? "same verdict" : "odb \(odb), llhttp \(llhttp)"
                counts[key, default: 0] += 1
                guard let forwarded = verdicts.llhttpOfForwarded else { continue }
                counts["forwarded: llhttp " + (forwarded == odb ? "frames it the same" : "\(forwarded)"), default: 0] += 1
                #expect(forwarded == odb || forwarded == .rejected,
                        "\(input.id): odb \(odb), llhttp of the forwarded head \(forwarded)")
            }
        }
        print("differential over \(path): \(counts.sorted { $0.key < $1.key })")
    }
}
