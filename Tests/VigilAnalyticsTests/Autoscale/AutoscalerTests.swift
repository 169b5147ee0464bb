import Testing

@testable import VigilAnalytics

@Suite("Autoscaler")
struct AutoscalerTests {
    private func cpuOnly(_ replicas: Int, _ utilization: Double) -> AutoscaleInput {
        AutoscaleInput(currentReplicas: replicas, meanCPUUtilization: utilization, totalQueueDepth: 0)
    }

    /// An autoscaler that has been running for a while: its history holds one proposal of 0 replicas a
    /// second ago, so neither the seed of a fresh autoscaler nor the stabilization window holds back the
    /// HPA arithmetic these tests check. (`fresh()` is the autoscaler a hub makes for a service it first sees.)
    private func autoscaler(target: Double = 0.7, min: Int = 1, max: Int = 100) -> Autoscaler {
        Autoscaler(
            configuration: AutoscalerConfiguration(targetCPUUtilization: target, minReplicas: min, maxReplicas: max),
            history: [.init(at: at(-1), replicas: 0)])
    }

    private func fresh() -> Autoscaler {
        Autoscaler(configuration: AutoscalerConfiguration())
    }

    // Kubernetes documentation, "Horizontal Pod Autoscaling", Algorithm details:
    //   desiredReplicas = ceil[currentReplicas * ( currentMetricValue / desiredMetricValue )]
    //   "For example, if the current metric value is 200m, and the desired value is 100m, the number of
    //   replicas will be doubled, since 200.0 / 100.0 == 2.0"
    @Test("HPA docs: current 200m against a 100m target doubles the replicas")
    func doubles() {
        var scaler = autoscaler(target: 0.1)  // 100m of one core
        let recommendation = scaler.recommend(cpuOnly(3, 0.2), at: at(0))
        #expect(recommendation.desiredReplicas == 6)
        #expect(recommendation.reason.hasPrefix("cpu: ceil(3 × 0.20 / 0.10) = ceil(6.00) = 6"))
    }

    //   "If the current value is instead 50m, you'll halve the number of replicas, since 50.0 / 100.0 == 0.5."
    @Test("HPA docs: current 50m against a 100m target halves the replicas")
    func halves() {
        var scaler = autoscaler(target: 0.1)
        let recommendation = scaler.recommend(cpuOnly(6, 0.05), at: at(0))
        #expect(recommendation.desiredReplicas == 3)
        #expect(recommendation.reason.hasSuffix("scale down 6 → 3"))
    }

    //   "The control plane skips any scaling action if the ratio is sufficiently close to 1.0 (within a
    //   globally-configurable tolerance, 0.1 by default)."
    @Test("HPA docs: a ratio within the 0.1 tolerance of 1 changes nothing, exactly 1.1 included")
    func tolerance() {
        for utilization in [0.665, 0.735, 0.63, 0.77] {  // ratios 0.95, 1.05, 0.9, 1.1
            var scaler = autoscaler()
            let recommendation = scaler.recommend(cpuOnly(10, utilization), at: at(0))
            #expect(recommendation.desiredReplicas == 10, "utilization \(utilization)")
        }
        var scaler = autoscaler()
        #expect(scaler.recommend(cpuOnly(10, 0.7 * 1.11), at: at(0)).desiredReplicas == 12)
        var tolerant = autoscaler()
        #expect(
            tolerant.recommend(cpuOnly(10, 0.735), at: at(0)).reason
                .hasPrefix("cpu: 0.74 / 0.70 = 1.05 within tolerance 0.10 of 1 → 10"))
    }

    @Test("DESIGN §5: 4 hosts at 0.90 CPU with a 0.70 target need 6, with the arithmetic shown")
    func fourHostsAtNinetyPercent() {
        var scaler = autoscaler()
        let recommendation = scaler.recommend(cpuOnly(4, 0.9), at: at(0))
        #expect(recommendation.desiredReplicas == 6)
        #expect(recommendation.proposals.first?.arithmetic == "cpu: ceil(4 × 0.90 / 0.70) = ceil(5.14) = 6")
        #expect(
            recommendation.description == "4 → 6: cpu: ceil(4 × 0.90 / 0.70) = ceil(5.14) = 6; "
                + "queue: ceil(0 / 50) = ceil(0.00) = 0; max = 6 (cpu); scale up 4 → 6")
    }

    @Test("floating-point noise does not add a replica: 10 × 0.77 / 0.7 asks for 11 at zero tolerance")
    func noiseDoesNotAddAReplica() {
        var scaler = Autoscaler(configuration: AutoscalerConfiguration(tolerance: 0))
        let recommendation = scaler.recommend(cpuOnly(10, 0.77), at: at(0))
        #expect(recommendation.desiredReplicas == 11)
    }

    @Test("queue depth proposes ceil(total / target per replica) and the larger proposal wins")
    func queueWins() {
        var scaler = autoscaler()
        let input = AutoscaleInput(currentReplicas: 4, meanCPUUtilization: 0.7, totalQueueDepth: 420)
        let recommendation = scaler.recommend(input, at: at(0))
        #expect(recommendation.desiredReplicas == 9)
        #expect(
            recommendation.reason == "cpu: 0.70 / 0.70 = 1.00 within tolerance 0.10 of 1 → 4; "
                + "queue: ceil(420 / 50) = ceil(8.40) = 9; max = 9 (queue); scale up 4 → 9")
    }

    @Test("queue depth within tolerance of the per-replica target keeps the replicas")
    func queueTolerance() {
        var scaler = autoscaler()
        let input = AutoscaleInput(currentReplicas: 4, meanCPUUtilization: nil, totalQueueDepth: 215)
        let recommendation = scaler.recommend(input, at: at(0))
        #expect(recommendation.desiredReplicas == 4)
        #expect(
            recommendation.proposals.first?.arithmetic == "queue: 215 / (50 × 4) = 1.08 within tolerance 0.10 of 1 → 4")
    }

    @Test("a missing metric blocks a scale-down but not a scale-up")
    func missingMetric() {
        var down = autoscaler()
        let idle = down.recommend(
            AutoscaleInput(currentReplicas: 8, meanCPUUtilization: 0.2, totalQueueDepth: nil), at: at(0))
        #expect(idle.desiredReplicas == 8)
        #expect(idle.reason.contains("queue missing: no scale-down below 8"))

        var up = autoscaler()
        let busy = up.recommend(
            AutoscaleInput(currentReplicas: 4, meanCPUUtilization: nil, totalQueueDepth: 500), at: at(0))
        #expect(busy.desiredReplicas == 10)

        var none = autoscaler()
        let blind = none.recommend(
            AutoscaleInput(currentReplicas: 4, meanCPUUtilization: nil, totalQueueDepth: nil), at: at(0))
        #expect(blind.desiredReplicas == 4)
        #expect(blind.reason == "no metrics: keep 4; keep 4")
    }

    @Test("a scale-down waits until every recommendation of the last 300 s allows it; the window's start is inclusive")
    func stabilizationWindow() {
        var scaler = autoscaler()
        #expect(scaler.recommend(cpuOnly(5, 1.4), at: at(0)).desiredReplicas == 10)
        let held = scaler.recommend(cpuOnly(10, 0.28), at: at(100))  // proposes 4
        #expect(held.desiredReplicas == 10)
        #expect(
            held.reason.contains("scale-down held at 10: highest recommendation in the last 300 s is 10 (at \(at(0)))"))
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(300)).desiredReplicas == 10)
        let released = scaler.recommend(cpuOnly(10, 0.28), at: at(300.001))
        #expect(released.desiredReplicas == 4)
        #expect(scaler.history.map(\.at) == [at(100), at(300), at(300.001)])
    }

    @Test("a fresh autoscaler holds the current replicas as a recommendation: no scale-down within 300 s")
    func freshAutoscalerIsSeeded() {
        var scaler = fresh()
        for second in [0.0, 10, 50, 150, 300] {
            let held = scaler.recommend(cpuOnly(10, 0.28), at: at(second))  // proposes 4
            #expect(held.desiredReplicas == 10, "at \(second) s")
            #expect(held.change == 0)
        }
        #expect(
            scaler.recommend(cpuOnly(10, 0.28), at: at(10)).reason.contains(
                "scale-down held at 10: highest recommendation in the last 300 s is 10 (at \(at(0)))"))
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(300.001)).desiredReplicas == 4)
    }

    @Test("a fresh autoscaler still scales up at once")
    func freshAutoscalerScalesUp() {
        var scaler = fresh()
        #expect(scaler.recommend(cpuOnly(4, 0.9), at: at(0)).desiredReplicas == 6)
    }

    @Test("history older than the window is replaced by a seed of the current replicas")
    func staleHistoryIsReseeded() {
        var scaler = Autoscaler(configuration: AutoscalerConfiguration(), history: [.init(at: at(0), replicas: 2)])
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(1000)).desiredReplicas == 10)
        #expect(scaler.history.first == .init(at: at(1000), replicas: 10))
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(1200)).desiredReplicas == 10)
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(1300.001)).desiredReplicas == 4)
    }

    @Test("with a zero scale-down window nothing is seeded and a scale-down happens at once")
    func zeroWindowDoesNotHold() {
        var scaler = Autoscaler(configuration: AutoscalerConfiguration(scaleDownWindow: .zero))
        #expect(scaler.recommend(cpuOnly(10, 0.28), at: at(0)).desiredReplicas == 4)
    }

    @Test("a scale-down goes only as far as the highest recommendation in the window")
    func partialScaleDown() {
        var scaler = Autoscaler(
            configuration: AutoscalerConfiguration(),
            history: [.init(at: at(0), replicas: 7), .init(at: at(200), replicas: 5)])
        let recommendation = scaler.recommend(cpuOnly(10, 0.28), at: at(250))  // proposes 4
        #expect(recommendation.desiredReplicas == 7)
    }

    @Test("history never raises replicas above the current count by itself")
    func historyDoesNotScaleUp() {
        var scaler = Autoscaler(configuration: AutoscalerConfiguration(), history: [.init(at: at(0), replicas: 12)])
        let recommendation = scaler.recommend(cpuOnly(3, 0.7), at: at(10))
        #expect(recommendation.desiredReplicas == 3)
    }

    @Test("the result is clamped to the configured minimum and maximum")
    func clamping() {
        var capped = autoscaler(max: 8)
        let high = capped.recommend(cpuOnly(4, 2.1), at: at(0))  // proposes 12
        #expect(high.desiredReplicas == 8)
        #expect(high.reason.contains("clamped to max 8"))
        var floored = autoscaler(min: 3)
        let low = floored.recommend(cpuOnly(4, 0.1), at: at(0))  // proposes 1
        #expect(low.desiredReplicas == 3)
        #expect(low.reason.contains("raised to min 3"))
    }
}
