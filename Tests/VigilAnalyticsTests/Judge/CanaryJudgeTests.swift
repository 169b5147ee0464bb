import Foundation
import Testing
import VigilTestSupport

@testable import VigilAnalytics

/// Seeded per-(host, minute) values of the six judged metrics, with the canary's means scaled by factors.
struct Scenario {
    var points = 120
    var errors = 1.0
    var p50 = 1.0
    var p99 = 1.0
    var cpu = 1.0
    var queue = 1.0

    func metrics(seed: UInt64 = 0x5EED_0040) -> [MetricSamples] {
        var canaryRandom = SplitMix64(seed: seed)
        var baselineRandom = SplitMix64(seed: seed ^ 0xBA5E)
        func draw(_ random: inout SplitMix64, _ factor: Double, _ value: (inout SplitMix64) -> Double) -> [Double] {
            (0..<points).map { _ in factor * value(&random) }
        }
        func both(_ factor: Double, _ value: (inout SplitMix64) -> Double) -> (canary: [Double], baseline: [Double]) {
            (draw(&canaryRandom, factor, value), draw(&baselineRandom, 1, value))
        }
        let errorRate = both(errors) { max(0, 0.01 + 0.002 * $0.gaussian()) }
        let latency50 = both(p50) { exp(log(40) + 0.1 * $0.gaussian()) }
        let latency99 = both(p99) { exp(log(250) + 0.15 * $0.gaussian()) }
        let cpuUse = both(cpu) { 0.5 + 0.02 * $0.gaussian() }
        let memory = both(1) { 0.6 + 0.03 * $0.gaussian() }
        let depth = both(queue) { 20 + 4 * $0.gaussian() }
        return [
            .errorRate(canary: errorRate.canary, baseline: errorRate.baseline),
            .latency("p50", canary: latency50.canary, baseline: latency50.baseline),
            .latency("p99", canary: latency99.canary, baseline: latency99.baseline),
            .resource("cpu", canary: cpuUse.canary, baseline: cpuUse.baseline),
            .resource("memory", canary: memory.canary, baseline: memory.baseline),
            .queueDepth(canary: depth.canary, baseline: depth.baseline),
        ]
    }
}

@Suite("Canary judge")
struct CanaryJudgeTests {
    let judge = CanaryJudge()

    private func evidence(_ verdict: Verdict, _ name: String) throws -> MetricEvidence {
        try #require(verdict.evidence.first { $0.name == name })
    }

    @Test("a canary drawn from the baseline's distributions is promoted with score 100")
    func sameDistributionsPromote() throws {
        let verdict = judge.judge(Scenario().metrics())
        #expect(verdict.decision == .promote)
        #expect(verdict.score == 100)
        #expect(
            verdict.reason
                == "score 100 ≥ 95 (errors 1/1, latency 2/2, resources 2/2, saturation 1/1 passed)")
        let p50 = try evidence(verdict, "latency.p50")
        #expect(p50.canaryCount == 120 && p50.baselineCount == 120)
        #expect(p50.test != nil)
        #expect(p50.canaryMedian != nil && p50.baselineMedian != nil)
    }

    @Test("p50 latency 30 % higher fails the latency group by half: score 85, HOLD")
    func higherP50Holds() throws {
        let verdict = judge.judge(Scenario(p50: 1.3).metrics())
        #expect(verdict.decision == .hold)
        #expect(verdict.score == 85)
        let p50 = try evidence(verdict, "latency.p50")
        #expect(p50.classification == .high)
        #expect(p50.reason.hasPrefix("high: 98 % CI of shift ["))
        #expect(p50.reason.contains("> allowed 1.1"))
        #expect(!p50.isCriticalFailure)
    }

    @Test("p99 latency 1.5 times higher is high but not critical: HOLD")
    func higherP99Holds() throws {
        let verdict = judge.judge(Scenario(p99: 1.5).metrics())
        #expect(verdict.decision == .hold)
        #expect(try evidence(verdict, "latency.p99").classification == .high)
    }

    @Test("p99 latency 2.5 times higher is a critical failure: ROLLBACK whatever the score")
    func criticalP99RollsBack() throws {
        let verdict = judge.judge(Scenario(p99: 2.5).metrics())
        #expect(verdict.decision == .rollback)
        #expect(verdict.score == 85)
        #expect(verdict.reason.hasPrefix("critical metric latency.p99 failed: high: "))
        #expect(verdict.reason.contains("; critical: mean ratio 2.5"))
        #expect(try evidence(verdict, "latency.p99").isCriticalFailure)
    }

    @Test("an error rate 1.5 times higher loses the errors group's 40 points: ROLLBACK at 60")
    func higherErrorsRollBack() {
        let verdict = judge.judge(Scenario(errors: 1.5).metrics())
        #expect(verdict.decision == .rollback)
        #expect(verdict.score == 60)
        #expect(verdict.reason.hasPrefix("score 60 < 75 (errors 0/1"))
    }

    @Test("a significant CPU rise within the allowed 1.2 mean ratio still passes")
    func effectSizeWithinAllowance() throws {
        let verdict = judge.judge(Scenario(cpu: 1.1).metrics())
        #expect(verdict.decision == .promote)
        let cpu = try evidence(verdict, "cpu")
        #expect(cpu.classification == .pass)
        #expect(try #require(cpu.test).lower > 0)
        #expect(cpu.reason.contains("≤ allowed 1.2"))
    }

    @Test("a lower canary is classified low and scores as a pass")
    func lowerIsAnImprovement() throws {
        let verdict = judge.judge(Scenario(p50: 0.7).metrics())
        #expect(verdict.decision == .promote)
        #expect(try evidence(verdict, "latency.p50").classification == .low)
    }

    @Test("fewer than 50 values for a metric make the verdict INCONCLUSIVE")
    func insufficientData() {
        let verdict = judge.judge(Scenario(points: 40).metrics())
        #expect(verdict.decision == .inconclusive)
        #expect(verdict.reason.hasPrefix("fewer than 50 values for error_rate (40 canary, 40 baseline)"))
    }

    @Test("a metric without values is left out of the score")
    func noData() throws {
        var metrics = Scenario().metrics()
        metrics[5].canary = []
        let verdict = judge.judge(metrics)
        #expect(try evidence(verdict, "queue_depth").classification == .noData)
        #expect(verdict.score == 100)
        #expect(verdict.decision == .promote)
        #expect(judge.judge([]).decision == .inconclusive)
    }

    @Test("a canary that sent no calls (no error rate, no latency) is INCONCLUSIVE, never promoted on CPU and memory")
    func noCallsIsInconclusive() {
        var metrics = Scenario().metrics()
        for index in 0..<3 { metrics[index].canary = [] }  // error_rate, latency.p50, latency.p99
        let verdict = judge.judge(metrics)
        #expect(verdict.decision == .inconclusive)
        #expect(
            verdict.reason
                == "no data on the canary side for critical metrics error_rate (0 canary, 120 baseline values), "
                + "latency.p99 (0 canary, 120 baseline values)")
    }

    @Test("one critical metric without canary values makes the verdict INCONCLUSIVE whatever the others say")
    func criticalWithoutCanaryDataIsInconclusive() {
        var metrics = Scenario().metrics()
        metrics[0].canary = []  // error_rate
        let verdict = judge.judge(metrics)
        #expect(verdict.decision == .inconclusive)
        #expect(
            verdict.reason
                == "no data on the canary side for critical metric error_rate (0 canary, 120 baseline values)")
    }

    @Test("no data for half or more of the metrics is INCONCLUSIVE (Kayenta's NODATA_THRESHOLD); fewer is scored")
    func noDataThreshold() {
        var metrics = Scenario().metrics()
        metrics[1].canary = []  // latency.p50
        metrics[4].baseline = []  // memory
        #expect(judge.judge(metrics).decision == .promote)
        metrics[5].canary = []  // queue_depth
        metrics[5].baseline = []
        let verdict = judge.judge(metrics)
        #expect(verdict.decision == .inconclusive)
        #expect(verdict.reason == "no data for 3 of 6 metrics (latency.p50, memory, queue_depth): half or more")
    }

    @Test("a critical failure still rolls back when other metrics have no data")
    func criticalFailureOutranksMissingData() {
        var metrics = Scenario(p99: 2.5).metrics()
        for index in 3..<6 { metrics[index].canary = [] }  // cpu, memory, queue_depth
        let verdict = judge.judge(metrics)
        #expect(verdict.decision == .rollback)
        #expect(verdict.reason.hasPrefix("critical metric latency.p99 failed"))
    }

    @Test("Kayenta's tolerance: an interval above 0 but within 25 % of |shift| passes")
    func kayentaTolerance() throws {
        // The first seeded draw whose interval lies above 0 yet not above 25 % of |shift| (deterministic).
        func draw(_ seed: UInt64) -> (canary: [Double], baseline: [Double]) {
            var random = SplitMix64(seed: seed)
            let canary = (0..<60).map { _ in 112 + 20 * random.gaussian() }
            let baseline = (0..<60).map { _ in 100 + 20 * random.gaussian() }
            return (canary, baseline)
        }
        let seed = try #require(
            (UInt64(0x5EED_0041)..<0x5EED_0141).first { seed in
                let (canary, baseline) = draw(seed)
                guard let test = try? MannWhitneyTest(x: canary, y: baseline) else { return false }
                return test.lower > 0 && test.lower <= 0.25 * test.shift.magnitude
            })
        let (canary, baseline) = draw(seed)
        let verdict = judge.judge([.resource("cpu", canary: canary, baseline: baseline)])
        let cpu = try evidence(verdict, "cpu")
        #expect(cpu.classification == .pass)
        #expect(cpu.reason.contains("within ±"))
    }

    @Test("identical samples pass without a test")
    func identicalSamples() throws {
        let values = (0..<60).map { Double($0 % 7) }
        let verdict = judge.judge([.queueDepth(canary: values.reversed(), baseline: values)])
        let queue = try evidence(verdict, "queue_depth")
        #expect(queue.classification == .pass)
        #expect(queue.test == nil)
        #expect(queue.meanRatio == 1)
    }

    @Test("the baseline is the pinned version, even without events, else the one with most events")
    func baselineSelection() {
        let counts = ["1.4.0": 9_000, "1.5.0-rc1": 400, "1.3.9": 9_000]
        #expect(CanaryJudge.baseline(eventCounts: counts) == "1.3.9")
        #expect(CanaryJudge.baseline(eventCounts: counts, pinned: "1.4.0") == "1.4.0")
        #expect(CanaryJudge.baseline(eventCounts: counts, pinned: "2.0.0") == "2.0.0")
        #expect(CanaryJudge.baseline(eventCounts: [:]) == nil)
    }
}
