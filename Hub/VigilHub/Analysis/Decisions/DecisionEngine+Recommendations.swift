import VigilAnalytics

// The breaker, ejection and autoscale halves of an evaluation. Breakers are fed the raw calls stored since
// the last evaluation (time-ordered); ejection and autoscaling read the recent rollups.

extension DecisionEngine {
    /// Feeds new calls to the breakers and returns the open and half-open ones.
    func evaluateBreakers(at instant: Instant) async throws(StoreError) -> [RecommendationsReport.Recommendation] {
        let limit = settings.maxCallsPerEvaluation
        let newest = try await rollupStore.lastEventRowid()
        // Further behind than one evaluation may read (a restart, or ingest beyond `limit` per interval): the
        // oldest calls are skipped and counted, so the breakers judge the newest calls instead of falling
        // further behind at every evaluation.
        var after = max(0, newest - Int64(limit))
        if let watermark = callWatermark, watermark > newest {
            // The events table was emptied (retention, or a restored database) and rowids started again below the
            // saved position: reading after it would show the breakers no call ever again.
            logger.warning(
                "breaker call position is past the newest stored call; starting again",
                metadata: ["calls.position": "\(watermark)", "calls.newest": "\(newest)"])
            callWatermark = nil
        }
        if let callWatermark {
            if callWatermark < after {
                breakerCallsSkipped += after - callWatermark
                logger.warning(
                    "breakers skipped calls to catch up", metadata: ["calls.skipped": "\(after - callWatermark)"])
            }
            after = max(after, callWatermark)
        }
        let since = instant.nanosecondsSinceEpoch - settings.breaker.window.totalNanoseconds
        var table = BreakerTable(breakers: breakers, lastCallAt: lastCallAt, configuration: settings.breaker)
        var read = 0
        while read < limit {
            // Chunk by chunk, each in time order: memory stays bounded however many calls arrived.
            let chunk = min(50_000, limit - read)
            var batch = try await rollupStore.calls(afterRowid: after, sinceUnixNano: since, limit: chunk)
            read += batch.rowsRead
            after = batch.lastRowid
            batch.calls.sort { $0.timeUnixNano < $1.timeUnixNano }
            for call in batch.calls { table.record(call) }
            if batch.rowsRead < chunk { break }
        }
        callWatermark = after
        (breakers, lastCallAt) = table.dictionaries
        var out: [RecommendationsReport.Recommendation] = []
        let forgetBefore = instant - .seconds(3600)
        for key in breakers.keys.sorted(by: Self.breakerOrder) {
            guard var breaker = breakers[key] else { continue }
            let decision = breaker.evaluate(at: instant)
            breakers[key] = breaker
            if decision.state == .closed, (lastCallAt[key] ?? instant) < forgetBefore {
                // A breaker that is closed and saw no call for an hour is forgotten: memory stays bounded.
                breakers[key] = nil
                lastCallAt[key] = nil
                continue
            }
            guard decision.state != .closed else { continue }
            out.append(
                .init(
                    kind: "breaker", service: key.service, version: key.version, host: key.host,
                    action: decision.state == .open ? "OPEN" : "HALF_OPEN", reason: decision.reason,
                    since: Self.rfc3339(decision.since)))
        }
        return out
    }

    /// Hosts of `service` whose success rate is an outlier among their peers over the recent window.
    func ejections(service: String, events: [EventRollupRow]) -> [RecommendationsReport.Recommendation] {
        var perHost: [String: (calls: Int64, errors: Int64)] = [:]
        for row in events where row.key.name != MinuteRollup.feedbackName {
            perHost[row.key.host, default: (0, 0)].calls += row.cell.count
            perHost[row.key.host, default: (0, 0)].errors += row.cell.errors
        }
        let hosts = perHost.map {
            HostCallCounts(host: $0.key, calls: Int($0.value.calls), successes: Int($0.value.calls - $0.value.errors))
        }
        let report = settings.ejection.detect(hosts)
        return report.ejections.map { ejection in
            .init(kind: "ejection", service: service, host: ejection.host, action: "EJECT", reason: ejection.reason)
        }
    }

    /// The replica recommendation of `service` from its hosts' recent CPU and queue depth.
    func autoscale(
        service: String, events: [EventRollupRow], samples: [SampleRollupRow], at instant: Instant
    ) -> RecommendationsReport.Recommendation {
        var hosts = Set(events.map(\.key.host))
        var cpu: [String: SampleCell] = [:]
        var queue: [String: SampleCell] = [:]
        for row in samples {
            hosts.insert(row.key.host)
            if row.key.metric == "cpu.utilization" { cpu[row.key.host, default: SampleCell()].merge(row.cell) }
            if row.key.metric == "queue.depth" { queue[row.key.host, default: SampleCell()].merge(row.cell) }
        }
        let cpuMeans = cpu.values.compactMap(\.average)
        let queueMeans = queue.values.compactMap(\.average)
        let input = AutoscaleInput(
            currentReplicas: hosts.count,
            meanCPUUtilization: cpuMeans.isEmpty ? nil : cpuMeans.reduce(0, +) / Double(cpuMeans.count),
            totalQueueDepth: queueMeans.isEmpty ? nil : queueMeans.reduce(0, +))
        var autoscaler = autoscalers[service] ?? Autoscaler(configuration: settings.autoscale)
        let recommendation = autoscaler.recommend(input, at: instant)
        autoscalers[service] = autoscaler
        let action =
            recommendation.change > 0 ? "SCALE_UP" : recommendation.change < 0 ? "SCALE_DOWN" : "KEEP"
        return .init(
            kind: "autoscale", service: service, action: action,
            reason: "\(hosts.count) hosts reporting; \(recommendation.reason)",
            currentReplicas: recommendation.currentReplicas, desiredReplicas: recommendation.desiredReplicas)
    }
}

/// The breakers while an evaluation feeds them calls: each call goes to its version's and its host's breaker,
/// found through ``KeyedSlots``, and is recorded in place.
struct BreakerTable {
    private var slots = KeyedSlots<DecisionEngine.BreakerKey>(recentCount: 8)
    private var breakers: [CircuitBreaker] = []
    private var lastCallAt: [Instant?] = []
    private let configuration: CircuitBreakerConfiguration

    init(
        breakers: [DecisionEngine.BreakerKey: CircuitBreaker], lastCallAt: [DecisionEngine.BreakerKey: Instant],
        configuration: CircuitBreakerConfiguration
    ) {
        self.configuration = configuration
        for (key, breaker) in breakers {
            _ = slots.slot(of: key)
            self.breakers.append(breaker)
            self.lastCallAt.append(lastCallAt[key])
        }
    }

    /// Records `call` in its version's and its host's breakers.
    mutating func record(_ call: CallRecord) {
        let at = Instant(nanosecondsSinceEpoch: call.timeUnixNano)
        let outcome = CallOutcome(succeeded: !call.failed, duration: .nanoseconds(Int64(call.durationMs * 1e6)))
        record(outcome, at: at, key: DecisionEngine.BreakerKey(service: call.service, version: call.version, host: nil))
        record(outcome, at: at, key: DecisionEngine.BreakerKey(service: call.service, version: nil, host: call.host))
    }

    private mutating func record(_ outcome: CallOutcome, at: Instant, key: DecisionEngine.BreakerKey) {
        let (slot, isNew) = slots.slot(of: key)
        if isNew {
            breakers.append(CircuitBreaker(configuration: configuration, start: at))
            lastCallAt.append(nil)
        }
        // In place: copying a breaker out and back would copy its window for every call.
        breakers[slot].record(outcome, at: at)
        lastCallAt[slot] = max(lastCallAt[slot] ?? at, at)
    }

    /// The breakers and their last calls, by key.
    var dictionaries: ([DecisionEngine.BreakerKey: CircuitBreaker], [DecisionEngine.BreakerKey: Instant]) {
        var byKey: [DecisionEngine.BreakerKey: CircuitBreaker] = [:]
        var last: [DecisionEngine.BreakerKey: Instant] = [:]
        for (slot, key) in slots.keys.enumerated() {
            byKey[key] = breakers[slot]
            last[key] = lastCallAt[slot]
        }
        return (byKey, last)
    }
}
