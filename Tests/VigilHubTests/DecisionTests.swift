import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

/// Decisions end to end inside one hub: events and samples arrive through the real receiver (mutual TLS on
/// 127.0.0.1) into the real SQLite store, the real rollup job rolls them up, and the decision engine is run
/// with an injected instant. The hub's own evaluation loop is set to an hour so only these calls evaluate.
@Suite("Decisions: verdicts, breakers and autoscaling from received data", .timeLimit(.minutes(5)))
struct DecisionTests {
    static func configure(_ configuration: inout HubConfiguration) {
        configuration.evaluationInterval = .seconds(3600)
        configuration.limits.maxBatchRecords = 1000
    }

    /// Sends 30 minutes of traffic for `service`: `baseline` on h01–h05, `canary` on h06–h10.
    static func sendCanaryTraffic(
        _ hub: TestHub, service: String, baseline: Traffic.Profile, canary: Traffic.Profile, seed: UInt64,
        endMinute: Int64
    ) async throws {
        var rng = SplitMix64(seed: seed)
        let minutes = (endMinute - 30)..<endMinute
        for (index, host) in DecisionHosts.names.prefix(10).enumerated() {
            let isCanary = index >= 5
            let version = isCanary ? "2.0.0" : "1.0.0"
            let records = Traffic.events(
                service: service, version: version, host: host, hostIndex: index, profile: isCanary ? canary : baseline,
                minutes: minutes, rng: &rng)
            try await Traffic.send(records, as: host, labels: ["service": service, "version": version], to: hub)
        }
    }

    static func instant(minute: Int64) -> Instant {
        Instant(nanosecondsSinceEpoch: minute * 60_000_000_000 + 5_000_000_000)
    }

    @Test("a canary 30 % slower at every percentile (p99 included) on 5 hosts over 30 minutes is judged ROLLBACK")
    func canaryRegressionRollsBack() async throws {
        try await TestHub.with(configure: Self.configure) { hub in
            let end = Traffic.currentMinute
            var canary = Traffic.Profile()
            canary.scale = 1.3
            try await Self.sendCanaryTraffic(
                hub, service: "checkout", baseline: Traffic.Profile(), canary: canary, seed: 7, endMinute: end)
            let report = await hub.runtime.decisions.evaluate(at: Self.instant(minute: end))
            let verdict = try #require(report.recommendations.first { $0.kind == "canary" })
            #expect(verdict.version == "2.0.0")
            #expect(verdict.action == "ROLLBACK", "\(verdict.reason)")
            let versions = try #require(
                try await hub.runtime.decisions.versions(service: "checkout", at: Self.instant(minute: end)))
            #expect(versions.baseline == "1.0.0")
            let canaryVersion = try #require(versions.versions.first { $0.version == "2.0.0" })
            let evidence = try #require(canaryVersion.verdict?.evidence.first { $0.metric == "latency.p99" })
            #expect(evidence.classification == "high")
            #expect(evidence.canaryN == 150 && evidence.baselineN == 150)
            let ratio = try #require(evidence.meanRatio)
            #expect(ratio > 1.15 && ratio < 1.45, "p99 mean ratio \(ratio)")
            #expect(canaryVersion.hosts == Array(DecisionHosts.names[5..<10]))
            #expect((canaryVersion.verdict?.score ?? 100) < 75)
        }
    }

    @Test("an A/A comparison through the receiver is judged PROMOTE")
    func sameDistributionPromotesThroughReceiver() async throws {
        try await TestHub.with(configure: Self.configure) { hub in
            let end = Traffic.currentMinute
            try await Self.sendCanaryTraffic(
                hub, service: "search", baseline: Traffic.Profile(), canary: Traffic.Profile(), seed: 11, endMinute: end
            )
            let report = await hub.runtime.decisions.evaluate(at: Self.instant(minute: end))
            let verdict = try #require(report.recommendations.first { $0.kind == "canary" })
            #expect(verdict.action == "PROMOTE", "\(verdict.reason)")
        }
    }

    @Test("a version whose failure rate crosses 50 % is recommended OPEN at the next evaluation")
    func failingVersionOpensBreaker() async throws {
        try await TestHub.with(configure: Self.configure) { hub in
            let now = Int64(Date().timeIntervalSince1970 * 1e9)
            func calls(_ count: Int, failing: (Int) -> Bool, from start: Int64, offset: Int) -> [Vigil_V1_Record] {
                (0..<count).map { i in
                    var event = Vigil_V1_Event()
                    event.eventID = Traffic.eventID(host: 1, n: offset + i, salt: "breaker")
                    event.timeUnixNano = start + Int64(i) * 100_000_000
                    event.service = "payments"
                    event.version = "3.1.0"
                    event.name = "request"
                    event.outcome = failing(i) ? .error : .ok
                    event.durationMs = 20
                    return Vigil_V1_Record.with { $0.event = event }
                }
            }
            let labels = ["service": "payments", "version": "3.1.0"]
            // 30 calls, one in ten failing: the breaker stays closed.
            try await Traffic.send(
                calls(30, failing: { $0 % 10 == 0 }, from: now - 20_000_000_000, offset: 0), as: "h01", labels: labels,
                to: hub)
            let first = await hub.runtime.decisions.evaluate(at: Instant(nanosecondsSinceEpoch: now))
            #expect(!first.recommendations.contains { $0.kind == "breaker" })
            // 40 more, three in four failing (never ten in a row): 33 of 70 = 47 %, still closed; then 10 with
            // 7 failing: 40 of 80 = 50 %, which opens it.
            try await Traffic.send(
                calls(40, failing: { $0 % 4 != 0 }, from: now - 10_000_000_000, offset: 100)
                    + calls(10, failing: { $0 % 2 == 0 || $0 > 5 }, from: now - 5_000_000_000, offset: 200),
                as: "h01", labels: labels, to: hub, stream: 2)
            let second = await hub.runtime.decisions.evaluate(at: Instant(nanosecondsSinceEpoch: now + 1_000_000_000))
            let open = try #require(
                second.recommendations.first { $0.kind == "breaker" && $0.version == "3.1.0" && $0.host == nil })
            #expect(open.action == "OPEN")
            #expect(open.reason.contains("failure rate"), "\(open.reason)")
        }
    }

    @Test("CPU at 0.9 on 4 hosts with target 0.7 recommends 6 replicas, showing the arithmetic")
    func cpuScalesUp() async throws {
        try await TestHub.with(configure: Self.configure) { hub in
            let end = Traffic.currentMinute
            for host in DecisionHosts.names.prefix(4) {
                try await Traffic.send(
                    Traffic.samples(metric: "cpu.utilization", value: 0.9, minutes: (end - 3)..<end), as: host,
                    labels: ["service": "render", "version": "1.0.0"], to: hub)
            }
            let report = await hub.runtime.decisions.evaluate(at: Self.instant(minute: end))
            let scale = try #require(report.recommendations.first { $0.kind == "autoscale" && $0.service == "render" })
            #expect(scale.currentReplicas == 4)
            #expect(scale.desiredReplicas == 6)
            #expect(scale.action == "SCALE_UP")
            #expect(scale.reason.contains("ceil(4 × 0.90 / 0.70) = ceil(5.14) = 6"), "\(scale.reason)")
        }
    }
}
