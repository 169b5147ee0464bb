import VigilAnalytics

// Saving and restoring the engine's state (see DecisionEngine's invariants): the shell half of keeping
// breakers and autoscalers across a restart; what is kept is a plain `DecisionState` value.

extension DecisionEngine {
    /// The breakers, autoscaler histories and call watermark, in a stable order.
    var state: DecisionState {
        let breakerEntries = breakers.keys.sorted(by: Self.breakerOrder).compactMap { key in
            breakers[key].map {
                DecisionState.Breaker(
                    service: key.service, version: key.version, host: key.host, lastCallAt: lastCallAt[key],
                    breaker: $0)
            }
        }
        let autoscaleEntries = autoscalers.keys.sorted().compactMap { service in
            autoscalers[service].map { DecisionState.Autoscale(service: service, history: $0.history) }
        }
        return DecisionState(breakers: breakerEntries, autoscalers: autoscaleEntries, callWatermark: callWatermark)
    }

    static func breakerOrder(_ lhs: BreakerKey, _ rhs: BreakerKey) -> Bool {
        (lhs.service, lhs.version ?? "", lhs.host ?? "") < (rhs.service, rhs.version ?? "", rhs.host ?? "")
    }

    /// Loads the saved state into the engine; saved breakers under other thresholds are dropped.
    func restoreState() async throws(StoreError) {
        let saved = try await stateStore.loadDecisionState()
        var dropped = 0
        for entry in saved.state.breakers {
            guard entry.breaker.configuration == settings.breaker else {
                dropped += 1
                continue
            }
            let key = BreakerKey(service: entry.service, version: entry.version, host: entry.host)
            breakers[key] = entry.breaker
            lastCallAt[key] = entry.lastCallAt
        }
        for entry in saved.state.autoscalers {
            autoscalers[entry.service] = Autoscaler(configuration: settings.autoscale, history: entry.history)
        }
        callWatermark = saved.state.callWatermark
        if saved.unreadable > 0 || dropped > 0 {
            logger.warning(
                "skipped saved decision state",
                metadata: ["state.unreadable": "\(saved.unreadable)", "state.breakers_reconfigured": "\(dropped)"])
        }
    }

    /// Drops the in-memory state so the next evaluation loads what the store holds (a replica that just became
    /// leader continues from the previous leader's last save).
    public func reloadStateAtNextEvaluation() {
        breakers = [:]
        lastCallAt = [:]
        autoscalers = [:]
        callWatermark = nil
        restored = false
    }

    /// Saves the state; a failure is logged and counted, and the next evaluation saves again.
    func saveState(at instant: Instant) async {
        do {
            try await stateStore.saveDecisionState(state, at: instant.nanosecondsSinceEpoch)
        } catch {
            stateSaveFailures += 1
            logger.warning("saving the decision state failed", metadata: ["error": "\(error)"])
        }
    }
}
