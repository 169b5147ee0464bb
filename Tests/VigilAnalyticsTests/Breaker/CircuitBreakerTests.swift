import Foundation
import Testing

@testable import VigilAnalytics

/// An instant `seconds` after an arbitrary epoch second.
func at(_ seconds: Double) -> Instant {
    Instant(nanosecondsSinceEpoch: 1_700_000_000_000_000_000 + Int64((seconds * 1e9).rounded()))
}

let ok = CallOutcome.success(milliseconds: 20)
let failed = CallOutcome.failure(milliseconds: 20)

extension CircuitBreaker {
    /// Records `outcomes` in order, all at `time`.
    mutating func record(_ outcomes: [CallOutcome], at time: Instant) {
        for outcome in outcomes { record(outcome, at: time) }
    }
}

/// `failures` failures and `successes` successes, failures spread so no run reaches 10.
func mixed(failures: Int, successes: Int) -> [CallOutcome] {
    var outcomes: [CallOutcome] = []
    var f = failures
    var s = successes
    while f > 0 || s > 0 {
        let run = min(f, 5)
        outcomes += Array(repeating: failed, count: run)
        f -= run
        if s > 0 {
            outcomes.append(ok)
            s -= 1
        }
    }
    return outcomes
}

@Suite("Circuit breaker")
struct CircuitBreakerTests {
    @Test("a new breaker is closed and says it has too few calls to judge")
    func startsClosed() {
        var breaker = CircuitBreaker(start: at(0))
        let decision = breaker.evaluate(at: at(1))
        #expect(decision.state == .closed)
        #expect(decision.reason.hasPrefix("0 calls in 60 s < minimum 20"))
    }

    @Test("exactly 50 % failures over 20 calls opens the breaker")
    func exactlyHalfFailuresOpens() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 10, successes: 10), at: at(5))
        let decision = breaker.evaluate(at: at(5))
        #expect(decision.state == .open)
        #expect(decision.since == at(5))
        #expect(decision.reason.hasPrefix("failure rate 50 % (10 of 20 calls in 60 s) ≥ 50 %"))
        #expect(decision.counts == CallCounts(calls: 20, failures: 10, slowCalls: 0))
    }

    @Test("9 failures in 20 calls (45 %) keep the breaker closed and the reason shows the numbers")
    func belowThresholdStaysClosed() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 9, successes: 11), at: at(5))
        let decision = breaker.evaluate(at: at(6))
        #expect(decision.state == .closed)
        #expect(decision.reason.hasPrefix("failure rate 45 % (9 of 20 calls in 60 s) < 50 %"))
    }

    @Test("19 calls are not judged however many fail; the 20th call brings the rates into play")
    func minimumCalls() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 15, successes: 4), at: at(1))
        #expect(breaker.evaluate(at: at(2)).state == .closed)
        #expect(breaker.evaluate(at: at(2)).reason.hasPrefix("19 calls in 60 s < minimum 20"))
        breaker.record(ok, at: at(3))
        let decision = breaker.evaluate(at: at(3))
        #expect(decision.state == .open)
        #expect(decision.reason.hasPrefix("failure rate 75 % (15 of 20 calls in 60 s) ≥ 50 %"))
    }

    @Test("the reason carries the numbers: 25 of 40 calls is 62.5 %")
    func reasonNumbers() {
        var breaker = CircuitBreaker(configuration: CircuitBreakerConfiguration(minimumCalls: 40), start: at(0))
        breaker.record(mixed(failures: 25, successes: 15), at: at(10))
        #expect(breaker.state == .open)
        #expect(
            breaker.evaluate(at: at(10)).reason
                == "failure rate 62.5 % (25 of 40 calls in 60 s) ≥ 50 %; half-open at \(at(70))")
    }

    @Test("exactly 50 % slow calls opens; a call of exactly 1000 ms is not slow")
    func slowCalls() {
        let slow = CallOutcome.success(milliseconds: 1000.001)
        let borderline = CallOutcome.success(milliseconds: 1000)
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(Array(repeating: borderline, count: 10) + Array(repeating: slow, count: 9), at: at(1))
        breaker.record(borderline, at: at(1))
        #expect(breaker.evaluate(at: at(1)).state == .closed)
        #expect(breaker.evaluate(at: at(1)).counts.slowCalls == 9)

        var opening = CircuitBreaker(start: at(0))
        opening.record(Array(repeating: borderline, count: 10) + Array(repeating: slow, count: 10), at: at(1))
        let decision = opening.evaluate(at: at(1))
        #expect(decision.state == .open)
        #expect(
            decision.reason.hasPrefix(
                "slow-call rate 50 % (10 of 20 calls in 60 s slower than 1 s) ≥ 50 %"))
    }

    @Test("10 consecutive failures open the breaker even below the minimum calls; 9 do not")
    func consecutiveFailures() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(Array(repeating: failed, count: 9), at: at(1))
        #expect(breaker.state == .closed)
        breaker.record(ok, at: at(1))
        breaker.record(Array(repeating: failed, count: 9), at: at(2))
        #expect(breaker.state == .closed, "a success resets the run")
        breaker.record(failed, at: at(3))
        let decision = breaker.evaluate(at: at(3))
        #expect(decision.state == .open)
        #expect(decision.reason.hasPrefix("10 consecutive failures ≥ 10"))
    }

    @Test("calls 59.999 s apart share the 60 s window")
    func windowStillHolds() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 8, successes: 4), at: at(0))
        breaker.record(Array(repeating: failed, count: 8), at: at(59.999))
        #expect(breaker.state == .open)
    }

    @Test("a call leaves the window 60 s after its second began")
    func windowExpiry() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 8, successes: 4), at: at(0))
        #expect(breaker.evaluate(at: at(59.9)).counts.calls == 12)
        #expect(breaker.evaluate(at: at(60)).counts.calls == 0)
        breaker.record(Array(repeating: failed, count: 8), at: at(60))
        let decision = breaker.evaluate(at: at(60))
        #expect(decision.state == .closed)
        #expect(decision.reason.hasPrefix("8 calls in 60 s < minimum 20"))
    }

    @Test("open turns half-open exactly 60 s after opening, not before; calls while open are not judged")
    func openWait() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(Array(repeating: failed, count: 10), at: at(10))
        breaker.record(Array(repeating: ok, count: 5), at: at(30))
        #expect(breaker.callsWhileOpen == 5)
        #expect(breaker.evaluate(at: at(69.999)).state == .open)
        let decision = breaker.evaluate(at: at(75))
        #expect(decision.state == .halfOpen)
        #expect(decision.since == at(70))
        #expect(decision.reason.hasPrefix("open wait 60 s elapsed; judging trial calls: 0 of 10"))
    }

    /// A breaker that opened at 10 s and is half-open from 70 s.
    private func halfOpenBreaker() -> CircuitBreaker {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(Array(repeating: failed, count: 10), at: at(10))
        return breaker
    }

    @Test("half-open with 5 failures in 10 trial calls opens again for another 60 s")
    func halfOpenFailsOnFailures() {
        var breaker = halfOpenBreaker()
        breaker.record(mixed(failures: 5, successes: 4), at: at(71))
        #expect(breaker.evaluate(at: at(71)).state == .halfOpen)
        #expect(breaker.evaluate(at: at(71)).reason.hasSuffix("9 of 10 so far (5 failed, 0 slow)"))
        breaker.record(ok, at: at(72))
        let decision = breaker.evaluate(at: at(72))
        #expect(decision.state == .open)
        #expect(decision.since == at(72))
        #expect(
            decision.reason == "half-open trial failed: failure rate 50 % (5 of 10 trial calls) ≥ 50 %; "
                + "half-open at \(at(132))")
        #expect(breaker.evaluate(at: at(131.9)).state == .open)
        #expect(breaker.evaluate(at: at(132)).state == .halfOpen)
    }

    @Test("half-open with 5 slow trial calls opens again")
    func halfOpenFailsOnSlowCalls() {
        var breaker = halfOpenBreaker()
        let slow = CallOutcome.success(milliseconds: 2500)
        breaker.record(Array(repeating: slow, count: 5) + Array(repeating: ok, count: 5), at: at(80))
        let decision = breaker.evaluate(at: at(80))
        #expect(decision.state == .open)
        #expect(decision.reason.hasPrefix("half-open trial failed: slow-call rate 50 % (5 of 10) ≥ 50 %"))
    }

    @Test("half-open with 4 failures in 10 trial calls closes with an empty window")
    func halfOpenPasses() {
        var breaker = halfOpenBreaker()
        breaker.record(mixed(failures: 4, successes: 6), at: at(90))
        let decision = breaker.evaluate(at: at(91))
        #expect(decision.state == .closed)
        #expect(decision.since == at(90))
        #expect(decision.counts.calls == 0)
        // The earlier failures are gone: 9 more failures do not reopen it.
        breaker.record(Array(repeating: failed, count: 9), at: at(92))
        #expect(breaker.state == .closed)
    }

    @Test("a late call still lands in its own second when that second is inside the window")
    func lateCalls() {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(mixed(failures: 5, successes: 5), at: at(50))
        breaker.record(mixed(failures: 5, successes: 5), at: at(20))
        #expect(breaker.evaluate(at: at(50)).state == .open)
        var late = CircuitBreaker(start: at(0))
        late.record(ok, at: at(100))
        late.record(failed, at: at(30))
        #expect(late.evaluate(at: at(100)).counts.calls == 1)
    }

    @Test("a breaker saved as JSON and read back is the same breaker and goes on the same way")
    func roundTripsThroughJSON() throws {
        var open = CircuitBreaker(start: at(0))
        open.record(mixed(failures: 12, successes: 10), at: at(5))
        #expect(open.evaluate(at: at(6)).state == .open)
        var closed = CircuitBreaker(start: at(0))
        closed.record(mixed(failures: 3, successes: 9), at: at(2))
        closed.record(mixed(failures: 2, successes: 4), at: at(40))
        for original in [open, closed] {
            var restored = try JSONDecoder().decode(CircuitBreaker.self, from: JSONEncoder().encode(original))
            #expect(restored == original)
            var expected = original
            restored.record(mixed(failures: 9, successes: 0), at: at(50))
            expected.record(mixed(failures: 9, successes: 0), at: at(50))
            #expect(restored.evaluate(at: at(70)) == expected.evaluate(at: at(70)))
        }
    }

    @Test("a saved window with a bad bucket is refused, not half read")
    func corruptWindowIsRefused() throws {
        var breaker = CircuitBreaker(start: at(0))
        breaker.record(ok, at: at(1))
        let json = String(decoding: try JSONEncoder().encode(breaker), as: UTF8.self)
        let broken = json.replacingOccurrences(of: "\"buckets\":[[", with: "\"buckets\":[[7,")
        #expect(broken != json)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CircuitBreaker.self, from: Data(broken.utf8))
        }
    }
}
