import Testing
@testable import ODBRelay

/// The moves an exchange may make between phases, and what each phase says about the answer.
@Suite struct SessionPhaseTests {
    static let all: [ExchangePhase] = [.connecting, .awaitingResponse, .interim, .claimConnecting, .claiming, .streaming, .responded, .tunnel]

    static let legal: Set<String> = [
        "connecting>connecting", "connecting>awaitingResponse", "connecting>tunnel",
        "awaitingResponse>connecting", "awaitingResponse>awaitingResponse",
        "awaitingResponse>interim", "awaitingResponse>streaming", "awaitingResponse>responded", "awaitingResponse>tunnel",
        "interim>interim", "interim>streaming", "interim>responded", "interim>tunnel",
        "streaming>responded",
        "awaitingResponse>claimConnecting", "awaitingResponse>claiming", "interim>claimConnecting", "interim>claiming",
        "claimConnecting>claimConnecting", "claimConnecting>claiming", "claiming>claimConnecting", "claiming>claiming",
        "claiming>streaming", "claiming>responded",
    ]

    @Test func everyPairOfPhasesIsLegalExactlyWhenListed() {
        for from in Self.all {
            for to in Self.all {
                let key = "\(from)>\(to)"
                #expect(from.canMove(to: to) == Self.legal.contains(key), "\(key)")
            }
        }
    }

    @Test func finishedAndStreamingExchangesCannotGoBack() {
        for phase in [ExchangePhase.responded, .tunnel] {
            #expect(Self.all.allSatisfy { !phase.canMove(to: $0) }, "\(phase) is final")
        }
        #expect(!ExchangePhase.streaming.canMove(to: .connecting), "a started response is never retried")
        #expect(!ExchangePhase.interim.canMove(to: .connecting), "an interim answer went out: no retry")
        #expect(!ExchangePhase.claiming.canMove(to: .connecting), "a claim never becomes the request again")
    }

    @Test func anAnswerHasBegunFromTheFirstInterimResponseOn() {
        let begun = Self.all.filter(\.answerBegun)
        #expect(begun == [.interim, .streaming, .responded, .tunnel])
    }

    /// A claim follows the descriptor, which may follow an interim answer (100 Continue); until
    /// the holder's answer head arrives, a failed claim can still be answered 502.
    @Test func aClaimBeginsNoAnswer() {
        #expect(ExchangePhase.interim.canMove(to: .claimConnecting) && ExchangePhase.interim.canMove(to: .claiming))
        #expect(!ExchangePhase.claimConnecting.answerBegun && !ExchangePhase.claiming.answerBegun)
    }
}
