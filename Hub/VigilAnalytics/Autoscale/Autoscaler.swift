// Autoscaler: the Kubernetes Horizontal Pod Autoscaler rule (DESIGN §5) as a pure value; the caller passes
// each evaluation's observations and instant, and the autoscaler keeps the recommendation history that the
// scale-down stabilization window needs.
//
// Invariants, following kube-controller-manager's replica calculator:
// - cpu:   ratio = mean utilization / target; unchanged when |ratio − 1| ≤ tolerance, else
//          ceil(current × ratio).
// - queue: ratio = total / (target per replica × current); unchanged when |ratio − 1| ≤ tolerance, else
//          ceil(total / target per replica) (HPA's external metric with an average value target).
// - The largest proposal wins. If a metric is missing and the others propose fewer replicas than now, the
//   replicas stay as they are (HPA never scales down on partial information); scaling up still happens.
//   With no metric at all, nothing changes.
// - Every proposal is stored with its instant. Replicas rise to a higher proposal at once; they fall only to
//   the highest proposal of the last `scaleDownWindow` (inclusive of its start), so a scale-down happens
//   only as far as every recommendation in the window allows; history never raises replicas above the
//   current count by itself (HPA's stabilizeRecommendationWithBehaviors). Older entries are dropped.
// - An autoscaler that holds no recommendation inside the window (a service first seen, a hub that starts
//   with no saved history or only history older than the window) first records the current replica count
//   at `instant` as a recommendation, as HPA's controller does for a scale target it has not seen yet: no
//   scale-down happens until `scaleDownWindow` has passed since then. A zero window never holds back.
// - The result is clamped to [minReplicas, maxReplicas] last.
// - Floating-point noise is not allowed to add a replica: a product within 1e-9 of an integer counts as
//   that integer (10 × 0.77 / 0.7 is 11.000000000000002 in doubles, and 11 replicas are meant), and a ratio
//   within 1e-9 of the tolerance edge counts as inside it.

/// Recommends replica counts for one service.
public struct Autoscaler: Sendable, Hashable {
    /// A past recommendation, kept for the stabilization window.
    public struct HistoryEntry: Sendable, Hashable, Codable {
        /// When it was made.
        public var at: Instant
        /// The replicas proposed (before clamping).
        public var replicas: Int

        /// Creates an entry.
        public init(at: Instant, replicas: Int) {
            self.at = at
            self.replicas = replicas
        }
    }

    /// The settings.
    public let configuration: AutoscalerConfiguration
    /// The proposals still inside the stabilization window, oldest first, starting with the current replica
    /// count when the autoscaler first recommended with no history inside the window.
    public private(set) var history: [HistoryEntry]

    private static let epsilon = 1e-9

    /// Creates an autoscaler, optionally with the history a previous process kept. Without history inside
    /// the window, the first recommendation seeds it with the current replica count.
    public init(configuration: AutoscalerConfiguration = AutoscalerConfiguration(), history: [HistoryEntry] = []) {
        self.configuration = configuration
        self.history = history
    }

    /// The recommendation for `input` observed at `instant`; the proposal joins the history.
    public mutating func recommend(_ input: AutoscaleInput, at instant: Instant) -> ScaleRecommendation {
        let current = input.currentReplicas
        var steps: [String] = []
        var proposals: [ScaleRecommendation.Proposal] = []
        var missing: [String] = []

        if let utilization = input.meanCPUUtilization, current > 0 {
            proposals.append(cpuProposal(current: current, utilization: utilization))
        } else {
            missing.append("cpu")
        }
        if let depth = input.totalQueueDepth {
            proposals.append(queueProposal(current: current, depth: depth))
        } else {
            missing.append("queue")
        }
        steps += proposals.map(\.arithmetic)

        var proposed: Int
        if let best = proposals.max(by: { $0.replicas < $1.replicas }) {
            proposed = best.replicas
            if proposals.count > 1 { steps.append("max = \(proposed) (\(best.metric))") }
            if !missing.isEmpty, proposed < current {
                steps.append("\(missing.joined(separator: ", ")) missing: no scale-down below \(current)")
                proposed = current
            }
        } else {
            steps.append("no metrics: keep \(current)")
            proposed = current
        }

        let cutoff = instant - configuration.scaleDownWindow
        history.removeAll { $0.at < cutoff }
        if history.isEmpty, configuration.scaleDownWindow > .zero {
            // HPA seeds a fresh controller's recommendations with the current scale.
            history.append(HistoryEntry(at: instant, replicas: current))
        }
        let highest = history.max { $0.replicas < $1.replicas }
        history.append(HistoryEntry(at: instant, replicas: proposed))
        // As HPA's stabilizeRecommendationWithBehaviors: rise to the proposal at once, fall no lower than
        // the highest proposal in the window, and never rise because of history alone.
        var desired = max(current, proposed)
        if let highest, highest.replicas > proposed, desired > proposed {
            desired = min(desired, highest.replicas)
            steps.append(
                "scale-down held at \(desired): highest recommendation in the last "
                    + "\(Format.seconds(configuration.scaleDownWindow)) is \(highest.replicas) (at \(highest.at))")
        } else {
            desired = proposed
        }
        if desired > configuration.maxReplicas {
            steps.append("clamped to max \(configuration.maxReplicas)")
            desired = configuration.maxReplicas
        } else if desired < configuration.minReplicas {
            steps.append("raised to min \(configuration.minReplicas)")
            desired = configuration.minReplicas
        }
        steps.append(
            desired == current
                ? "keep \(current)" : "scale \(desired > current ? "up" : "down") \(current) → \(desired)")
        return ScaleRecommendation(
            at: instant, currentReplicas: current, desiredReplicas: desired, proposals: proposals,
            reason: steps.joined(separator: "; "))
    }

    private func withinTolerance(_ ratio: Double) -> Bool {
        (ratio - 1).magnitude <= configuration.tolerance + Self.epsilon
    }

    private func ceiling(_ value: Double) -> Int {
        Int((value - Self.epsilon).rounded(.up))
    }

    private func cpuProposal(current: Int, utilization: Double) -> ScaleRecommendation.Proposal {
        let target = configuration.targetCPUUtilization
        let ratio = utilization / target
        if withinTolerance(ratio) {
            return .init(
                metric: "cpu", replicas: current,
                arithmetic: "cpu: \(Format.fixed(utilization, digits: 2)) / \(Format.fixed(target, digits: 2)) = "
                    + "\(Format.fixed(ratio, digits: 2)) within tolerance \(Format.fixed(configuration.tolerance, digits: 2)) "
                    + "of 1 → \(current)")
        }
        let raw = Double(current) * ratio
        let replicas = ceiling(raw)
        return .init(
            metric: "cpu", replicas: replicas,
            arithmetic:
                "cpu: ceil(\(current) × \(Format.fixed(utilization, digits: 2)) / \(Format.fixed(target, digits: 2))) "
                + "= ceil(\(Format.fixed(raw, digits: 2))) = \(replicas)")
    }

    private func queueProposal(current: Int, depth: Double) -> ScaleRecommendation.Proposal {
        let perReplica = configuration.targetQueuePerReplica
        let depthText = Format.trimmed(depth, digits: 2)
        let targetText = Format.trimmed(perReplica, digits: 2)
        if current > 0 {
            let ratio = depth / (perReplica * Double(current))
            if withinTolerance(ratio) {
                return .init(
                    metric: "queue", replicas: current,
                    arithmetic:
                        "queue: \(depthText) / (\(targetText) × \(current)) = \(Format.fixed(ratio, digits: 2)) "
                        + "within tolerance \(Format.fixed(configuration.tolerance, digits: 2)) of 1 → \(current)")
            }
        }
        let raw = depth / perReplica
        let replicas = ceiling(raw)
        return .init(
            metric: "queue", replicas: replicas,
            arithmetic:
                "queue: ceil(\(depthText) / \(targetText)) = ceil(\(Format.fixed(raw, digits: 2))) = \(replicas)")
    }
}
