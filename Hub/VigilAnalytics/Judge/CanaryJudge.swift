// CanaryJudge: DESIGN §5's verdict on a canary version against the baseline, after Kayenta's
// Mann–Whitney classifier and NetflixACAJudge scoring.
//
// Per metric, in this order:
// - no values on a side → no data (left out of the score, but see the verdict rules); fewer than
//   `minimumPoints` on a side → insufficient data;
// - identical samples, or a single distinct value overall → pass (Kayenta's short-cuts);
// - otherwise the Mann–Whitney test of canary − baseline with its `confidenceLevel` interval [lo, hi] and
//   Hodges–Lehmann shift s; Kayenta's bounds are ±tolerance·|s|: lo > +tolerance·|s| is higher,
//   hi < −tolerance·|s| is low, anything else passes;
// - higher counts as high only when mean(canary) / mean(baseline) > the metric's allowed increase;
// - a high critical metric whose mean ratio exceeds `criticalIncrease` is a critical failure.
// Verdict, the first rule that applies:
// - a critical failure → ROLLBACK (evidence of harm is never set aside for missing data elsewhere);
// - a critical metric with no values on the canary side → INCONCLUSIVE: a canary that sent no calls has no
//   error rate or latency, and must not be promoted on its CPU and memory alone;
// - no data for half or more of the metrics → INCONCLUSIVE (Kayenta's NODATA_THRESHOLD of 50 %);
// - any insufficient data, or nothing judged → INCONCLUSIVE;
// - else score = 100 · Σ weight_g · passed_g / judged_g / Σ weight_g over groups with judged metrics
// (low scores as passed: every Vigil metric is higher-is-worse) → PROMOTE ≥ 95, HOLD ≥ 75, ROLLBACK below.

/// Judges canary versions against a baseline.
public struct CanaryJudge: Sendable, Hashable {
    /// The thresholds.
    public var configuration: CanaryJudgeConfiguration

    /// Creates a judge.
    public init(configuration: CanaryJudgeConfiguration = CanaryJudgeConfiguration()) {
        self.configuration = configuration
    }

    /// The baseline among `eventCounts` (events per version): `pinned` when given, whether or not it has
    /// events (a pinned baseline without data makes the verdicts INCONCLUSIVE; it is never silently replaced
    /// by another version), otherwise the version with the most events, ties going to the smallest version
    /// string; `nil` when there are none.
    public static func baseline(eventCounts: [String: Int], pinned: String? = nil) -> String? {
        if let pinned { return pinned }
        return eventCounts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key
    }

    /// The verdict over `metrics`.
    public func judge(_ metrics: [MetricSamples]) -> Verdict {
        let evidence = metrics.map(classify)
        var weighted = 0.0
        var weights = 0.0
        var parts: [String] = []
        for group in MetricGroup.allCases {
            let judged = evidence.filter { $0.group == group && $0.classification.isJudged }
            guard !judged.isEmpty else { continue }
            let passed = judged.filter { $0.classification != .high }.count
            weighted += group.weight * Double(passed) / Double(judged.count)
            weights += group.weight
            parts.append("\(group.rawValue) \(passed)/\(judged.count)")
        }
        let score = weights > 0 ? 100 * weighted / weights : nil
        let scoreText = score.map { "score \(Format.trimmed($0, digits: 1))" } ?? "no score"
        let detail = parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")) passed)"

        if let critical = evidence.first(where: \.isCriticalFailure) {
            return Verdict(
                decision: .rollback, score: score, evidence: evidence,
                reason: "critical metric \(critical.name) failed: \(critical.reason)")
        }
        let blindCritical = evidence.filter { $0.isCritical && $0.canaryCount == 0 }
        if !blindCritical.isEmpty {
            let names = blindCritical.map { "\($0.name) (0 canary, \($0.baselineCount) baseline values)" }
            return Verdict(
                decision: .inconclusive, score: score, evidence: evidence,
                reason: "no data on the canary side for critical metric\(names.count > 1 ? "s" : "") "
                    + names.joined(separator: ", "))
        }
        let noData = evidence.filter { $0.classification == .noData }
        if !evidence.isEmpty, 2 * noData.count >= evidence.count {
            return Verdict(
                decision: .inconclusive, score: score, evidence: evidence,
                reason: "no data for \(noData.count) of \(evidence.count) metrics "
                    + "(\(noData.map(\.name).joined(separator: ", "))): half or more")
        }
        let insufficient = evidence.filter { $0.classification == .insufficientData }
        if !insufficient.isEmpty {
            let names = insufficient.map { "\($0.name) (\($0.canaryCount) canary, \($0.baselineCount) baseline)" }
            return Verdict(
                decision: .inconclusive, score: score, evidence: evidence,
                reason: "fewer than \(configuration.minimumPoints) values for \(names.joined(separator: ", "))")
        }
        guard let score else {
            return Verdict(decision: .inconclusive, score: nil, evidence: evidence, reason: "no metric has data")
        }
        let decision: VerdictDecision
        let rule: String
        if score >= configuration.promoteScore {
            decision = .promote
            rule = "≥ \(Format.trimmed(configuration.promoteScore, digits: 1))"
        } else if score >= configuration.holdScore {
            decision = .hold
            rule =
                "≥ \(Format.trimmed(configuration.holdScore, digits: 1)) and < "
                + Format.trimmed(configuration.promoteScore, digits: 1)
        } else {
            decision = .rollback
            rule = "< \(Format.trimmed(configuration.holdScore, digits: 1))"
        }
        return Verdict(decision: decision, score: score, evidence: evidence, reason: "\(scoreText) \(rule)\(detail)")
    }

    private func classify(_ metric: MetricSamples) -> MetricEvidence {
        var evidence = MetricEvidence(
            name: metric.name, group: metric.group, isCritical: metric.isCritical,
            canaryCount: metric.canary.count, baselineCount: metric.baseline.count,
            canaryMedian: Self.median(metric.canary), baselineMedian: Self.median(metric.baseline),
            meanRatio: Self.meanRatio(metric.canary, metric.baseline), test: nil, classification: .noData,
            isCriticalFailure: false, reason: "")
        let minimum = configuration.minimumPoints
        if metric.canary.isEmpty || metric.baseline.isEmpty {
            evidence.reason = "no values (\(metric.canary.count) canary, \(metric.baseline.count) baseline)"
            return evidence
        }
        if metric.canary.count < minimum || metric.baseline.count < minimum {
            evidence.classification = .insufficientData
            evidence.reason =
                "\(metric.canary.count) canary and \(metric.baseline.count) baseline values; "
                + "\(minimum) needed on each side"
            return evidence
        }
        if metric.canary.sorted() == metric.baseline.sorted() || Set(metric.canary + metric.baseline).count == 1 {
            evidence.classification = .pass
            evidence.reason = "canary and baseline values are identical"
            return evidence
        }
        guard
            let test = try? MannWhitneyTest(
                x: metric.canary, y: metric.baseline, confidenceLevel: configuration.confidenceLevel)
        else {
            evidence.reason = "values are not all finite"
            return evidence
        }
        evidence.test = test
        let bound = configuration.tolerance * test.shift.magnitude
        let ratio = evidence.meanRatio ?? 1
        let level = Format.percent(configuration.confidenceLevel)
        let interval = "\(level) CI of shift [\(Self.number(test.lower)), \(Self.number(test.upper))]"
        let tolerance = "\(Format.percent(configuration.tolerance)) of |shift| \(Self.number(test.shift.magnitude))"
        let ratioText = "mean ratio \(Self.number(ratio))"
        if test.lower > bound {
            if ratio > metric.allowedIncrease {
                evidence.classification = .high
                evidence.reason =
                    "high: \(interval) above +\(Self.number(bound)) (\(tolerance)) and \(ratioText) "
                    + "> allowed \(Self.number(metric.allowedIncrease))"
                if metric.isCritical, ratio > configuration.criticalIncrease {
                    evidence.isCriticalFailure = true
                    evidence.reason += "; critical: \(ratioText) > \(Self.number(configuration.criticalIncrease))"
                }
            } else {
                evidence.classification = .pass
                evidence.reason =
                    "pass: \(interval) above +\(Self.number(bound)) (\(tolerance)) but \(ratioText) "
                    + "≤ allowed \(Self.number(metric.allowedIncrease))"
            }
        } else if test.upper < -bound {
            evidence.classification = .low
            evidence.reason = "low: \(interval) below −\(Self.number(bound)) (\(tolerance)); \(ratioText)"
        } else {
            evidence.classification = .pass
            evidence.reason = "pass: \(interval) within ±\(Self.number(bound)) (\(tolerance)); \(ratioText)"
        }
        return evidence
    }

    /// Four significant digits, no exponent for everyday magnitudes.
    private static func number(_ value: Double) -> String {
        guard value.isFinite else { return value > 0 ? "∞" : "−∞" }
        let magnitude = value.magnitude
        let digits = magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 1 ? 3 : magnitude >= 0.001 ? 4 : 8
        return Format.trimmed(value, digits: digits)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func meanRatio(_ canary: [Double], _ baseline: [Double]) -> Double? {
        guard !canary.isEmpty, !baseline.isEmpty else { return nil }
        let canaryMean = canary.reduce(0, +) / Double(canary.count)
        let baselineMean = baseline.reduce(0, +) / Double(baseline.count)
        if baselineMean == 0 { return canaryMean == 0 ? 1 : (canaryMean > 0 ? .infinity : -.infinity) }
        return canaryMean / baselineMean
    }
}
