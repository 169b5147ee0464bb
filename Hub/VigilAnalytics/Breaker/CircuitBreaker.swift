// CircuitBreaker: the closed / open / half-open state machine of DESIGN §5, with resilience4j's semantics,
// as a pure value: the caller feeds call outcomes and instants, nothing here reads a clock.
//
// Invariants:
// - closed → open when, after a call is recorded or at an evaluation, either `consecutiveFailures` calls
//   in a row failed, or the window (current second and the 59 before it, one-second buckets) holds at least
//   `minimumCalls` calls and its failure rate or slow-call rate is ≥ its threshold (exactly 50 % opens).
// - open → half-open exactly `openWait` after opening, at the first record or evaluation at or after that
//   instant; calls recorded while open are not judged (they are counted in `callsWhileOpen`).
// - half-open judges the first `halfOpenCalls` calls recorded after it began: when the last of them
//   arrives, a failure rate or slow-call rate ≥ its threshold re-opens the breaker, otherwise it closes with
//   an empty window. Calls beyond those are not judged.
// - Time never runs backwards: an instant earlier than one already seen counts as the latest one for state
//   timing; its call still lands in its own second if that second is inside the window.
// - A call is slow when it takes strictly longer than `slowCallThreshold`; a slow failure counts as both.
// - Codable with every field, its window included, so a restarted hub resumes each breaker exactly where
//   the previous process left it (the hub saves them after every evaluation).

/// A circuit breaker for one service version or host.
public struct CircuitBreaker: Sendable, Hashable, Codable {
    /// The thresholds.
    public let configuration: CircuitBreakerConfiguration
    /// The current state, as of the latest instant seen.
    public private(set) var state: BreakerState = .closed
    /// When the breaker entered `state`.
    public private(set) var since: Instant
    /// Calls recorded while open (not judged).
    public private(set) var callsWhileOpen = 0

    private var now: Instant
    private var window: CallWindow
    private var consecutiveFailures = 0
    private var trial = CallCounts()
    private var stateReason: String
    private var stateCounts = CallCounts()

    /// Creates a closed breaker whose history starts at `start`.
    public init(configuration: CircuitBreakerConfiguration = CircuitBreakerConfiguration(), start: Instant) {
        self.configuration = configuration
        self.since = start
        self.now = start
        self.window = CallWindow(seconds: configuration.windowSeconds)
        self.stateReason = "no calls yet"
    }

    /// Records one call that ended at `instant`, and applies any transition it causes.
    public mutating func record(_ outcome: CallOutcome, at instant: Instant) {
        advance(to: instant)
        let failed = !outcome.succeeded
        let slow = outcome.duration > configuration.slowCallThreshold
        switch state {
        case .closed:
            window.add(second: instant.epochSecond, now: now.epochSecond, failed: failed, slow: slow)
            consecutiveFailures = failed ? consecutiveFailures + 1 : 0
            openIfTripped()
        case .open:
            callsWhileOpen += 1
        case .halfOpen:
            guard trial.calls < configuration.halfOpenCalls else { return }
            trial.add(failed: failed, slow: slow)
            if trial.calls == configuration.halfOpenCalls { judgeTrial() }
        }
    }

    /// The breaker's recommendation at `instant`, after applying the passage of time (window expiry, the
    /// end of the open wait).
    public mutating func evaluate(at instant: Instant) -> BreakerDecision {
        advance(to: instant)
        switch state {
        case .closed:
            openIfTripped()
            if state == .open { return decision() }
            let counts = window.counts(now: now.epochSecond)
            return BreakerDecision(state: .closed, since: since, reason: closedReason(counts), counts: counts)
        case .open:
            return decision()
        case .halfOpen:
            let reason =
                "\(stateReason); judging trial calls: \(trial.calls) of \(configuration.halfOpenCalls) so far "
                + "(\(trial.failures) failed, \(trial.slowCalls) slow)"
            return BreakerDecision(state: .halfOpen, since: since, reason: reason, counts: trial)
        }
    }

    private func decision() -> BreakerDecision {
        BreakerDecision(state: state, since: since, reason: stateReason, counts: stateCounts)
    }

    private mutating func advance(to instant: Instant) {
        if instant > now { now = instant }
        if state == .open, now >= since + configuration.openWait {
            let halfOpenAt = since + configuration.openWait
            transition(
                to: .halfOpen, at: halfOpenAt, reason: "open wait \(Format.seconds(configuration.openWait)) elapsed")
            trial = CallCounts()
        }
    }

    private mutating func transition(
        to newState: BreakerState, at instant: Instant, reason: String, counts: CallCounts = CallCounts()
    ) {
        state = newState
        since = instant
        stateReason = reason
        stateCounts = counts
    }

    private mutating func openIfTripped() {
        let counts = window.counts(now: now.epochSecond)
        guard let reason = tripReason(counts) else { return }
        transition(
            to: .open, at: now,
            reason: "\(reason); half-open at \(now + configuration.openWait)",
            counts: counts)
        consecutiveFailures = 0
        window.reset()
    }

    private func tripReason(_ counts: CallCounts) -> String? {
        let config = configuration
        if consecutiveFailures >= config.consecutiveFailures {
            return "\(consecutiveFailures) consecutive failures ≥ \(config.consecutiveFailures)"
        }
        guard counts.calls >= config.minimumCalls else { return nil }
        // Called for every recorded call: the text is built only when the breaker trips.
        if counts.failureRate >= config.failureRateThreshold {
            return "failure rate \(Format.percent(counts.failureRate)) (\(counts.failures) of \(counts.calls) "
                + "calls in \(Format.seconds(config.window))) ≥ \(Format.percent(config.failureRateThreshold))"
        }
        if counts.slowCallRate >= config.slowCallRateThreshold {
            return "slow-call rate \(Format.percent(counts.slowCallRate)) (\(counts.slowCalls) of \(counts.calls) "
                + "calls in \(Format.seconds(config.window)) slower than \(Format.seconds(config.slowCallThreshold))) "
                + "≥ \(Format.percent(config.slowCallRateThreshold))"
        }
        return nil
    }

    private func closedReason(_ counts: CallCounts) -> String {
        let config = configuration
        let run = "\(consecutiveFailures) consecutive failures < \(config.consecutiveFailures)"
        guard counts.calls >= config.minimumCalls else {
            return "\(counts.calls) calls in \(Format.seconds(config.window)) < minimum \(config.minimumCalls), "
                + "rates not judged; \(run)"
        }
        return "failure rate \(Format.percent(counts.failureRate)) (\(counts.failures) of \(counts.calls) calls in "
            + "\(Format.seconds(config.window))) < \(Format.percent(config.failureRateThreshold)); "
            + "slow-call rate \(Format.percent(counts.slowCallRate)) (\(counts.slowCalls) of \(counts.calls)) "
            + "< \(Format.percent(config.slowCallRateThreshold)); \(run)"
    }

    private mutating func judgeTrial() {
        let config = configuration
        let failure =
            "failure rate \(Format.percent(trial.failureRate)) (\(trial.failures) of \(trial.calls) trial calls)"
        let slow = "slow-call rate \(Format.percent(trial.slowCallRate)) (\(trial.slowCalls) of \(trial.calls))"
        let counts = trial
        if trial.failureRate >= config.failureRateThreshold {
            transition(
                to: .open, at: now,
                reason: "half-open trial failed: \(failure) ≥ \(Format.percent(config.failureRateThreshold)); "
                    + "half-open at \(now + config.openWait)",
                counts: counts)
        } else if trial.slowCallRate >= config.slowCallRateThreshold {
            transition(
                to: .open, at: now,
                reason: "half-open trial failed: \(slow) ≥ \(Format.percent(config.slowCallRateThreshold)); "
                    + "half-open at \(now + config.openWait)",
                counts: counts)
        } else {
            transition(
                to: .closed, at: now,
                reason: "half-open trial passed: \(failure) < \(Format.percent(config.failureRateThreshold)), "
                    + "\(slow) < \(Format.percent(config.slowCallRateThreshold))",
                counts: counts)
            window.reset()
            consecutiveFailures = 0
        }
        trial = CallCounts()
    }
}
