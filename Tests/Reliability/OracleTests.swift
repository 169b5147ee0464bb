import Foundation
import Testing

/// The oracle's classification on hand-made ledgers and stores (pure; no daemons).
@Suite("Oracle")
struct OracleTests {
    static func id(_ n: UInt8) -> Data { Data([0xE6] + [UInt8](repeating: 0, count: 14) + [n]) }

    @Test("acknowledged-and-absent is lost, extra copies are duplicates, unattempted ids are phantoms")
    func classifies() {
        var ledger = Ledger()
        ledger.record(Self.id(1), .acknowledged)
        ledger.record(Self.id(2), .acknowledged)
        ledger.record(Self.id(3), .unknown)
        ledger.record(Self.id(4), .unknown)
        ledger.record(Self.id(5), .rejected)
        ledger.record(Self.id(6), .rejected)
        let stored = [Self.id(1): 3, Self.id(3): 1, Self.id(6): 1, Self.id(9): 2]
        let verdict = Oracle.judge(ledger: ledger, stored: stored, skippedDuplicates: 7)
        #expect(verdict.attempted == 6)
        #expect(verdict.lost == 1)
        #expect(verdict.duplicated == 2)
        #expect(verdict.phantom == 2)
        #expect(verdict.recovered == 1)
        #expect(verdict.rejectedButStored == 1)
        #expect(verdict.skippedDuplicates == 7)
        #expect(!verdict.isSound)
    }

    @Test("a retry's acknowledgement outranks an earlier unknown or refusal, never the reverse")
    func strongestOutcomeWins() {
        var ledger = Ledger()
        ledger.record(Self.id(1), .unknown)
        ledger.record(Self.id(1), .acknowledged)
        ledger.record(Self.id(1), .rejected)
        ledger.record(Self.id(2), .rejected)
        ledger.record(Self.id(2), .unknown)
        #expect(ledger.outcomes[Self.id(1)] == .acknowledged)
        #expect(ledger.outcomes[Self.id(2)] == .unknown)
        let verdict = Oracle.judge(ledger: ledger, stored: [Self.id(1): 1], skippedDuplicates: 0)
        #expect(verdict.isSound)
        #expect(verdict.acknowledged == 1 && verdict.unknown == 1)
    }

    @Test("a write the hub must refuse is neither lost when absent nor phantom; stored, it is a breach")
    func unauthorizedWrites() {
        var ledger = Ledger()
        for n: UInt8 in 1...4 {
            ledger.record(Self.id(n), n == 4 ? .unknown : .acknowledged)
            ledger.markUnauthorized(Self.id(n))
        }
        ledger.record(Self.id(5), .acknowledged)
        let refused = Oracle.judge(ledger: ledger, stored: [Self.id(5): 1], skippedDuplicates: 0)
        #expect(refused.isSound)
        #expect(refused.lost == 0 && refused.refusedByHub == 3 && refused.unauthorizedStored == 0)
        // The hub let one through (acknowledged) and one the client never heard back about: both breaches.
        let leaked = Oracle.judge(
            ledger: ledger, stored: [Self.id(2): 1, Self.id(4): 1, Self.id(5): 1], skippedDuplicates: 0)
        #expect(!leaked.isSound)
        #expect(leaked.unauthorizedStored == 2 && leaked.refusedByHub == 2 && leaked.lost == 0)
        // Without the mark, an acknowledged write that is absent is lost, as before.
        var unmarked = Ledger()
        unmarked.record(Self.id(1), .acknowledged)
        #expect(Oracle.judge(ledger: unmarked, stored: [:], skippedDuplicates: 0).lost == 1)
    }
}
