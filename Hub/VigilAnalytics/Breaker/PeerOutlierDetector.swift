// PeerOutlierDetector: DESIGN §5's per-host ejection rule, which is Envoy's success-rate outlier detection
// with its defaults (success_rate_minimum_hosts 5, success_rate_request_volume 100,
// success_rate_stdev_factor 1900 → 1.9, max_ejection_percent 10).
//
// Invariants and the choices behind them:
// - Only hosts with ≥ `minimumCalls` calls qualify; the rule runs only when ≥ `minimumHosts` qualify.
// - "Its peers" is the qualifying group, the judged host included, as in Envoy: mean and population σ of
//   their success rates. Including the host keeps σ > 0 whenever it differs, so a host is never ejected
//   for a tiny dip below peers that happen to agree exactly; the cost is that among n hosts one host can be
//   at most √(n − 1) σ below the mean, so with the minimum of 5 hosts (√4 = 2 ≥ 1.9) a single outlier is
//   still detectable.
// - A host is an outlier when its success rate is strictly below mean − 1.9 σ.
// - At most max(1, ⌊10 % × all hosts⌋) are recommended. Plain ⌊10 %⌋ would be 0 for 5–9 hosts and make
//   the rule dead exactly where it is allowed to run; Envoy likewise ejects at least one host whatever the
//   percentage. The lowest success rates go first (ties by host name); the rest are reported as withheld.

/// Recommends ejecting hosts whose success rate is far below that of their peers.
public struct PeerOutlierDetector: Sendable, Hashable {
    /// The fewest qualifying hosts for the rule to run (default 5).
    public var minimumHosts: Int
    /// The fewest calls for a host to qualify (default 100).
    public var minimumCalls: Int
    /// How many standard deviations below the mean is an outlier (default 1.9).
    public var standardDeviationFactor: Double
    /// The largest fraction of all hosts recommended at once (default 0.1; at least one host).
    public var maxEjectionFraction: Double

    /// Creates a detector; omitted arguments take the documented defaults.
    public init(
        minimumHosts: Int = 5, minimumCalls: Int = 100, standardDeviationFactor: Double = 1.9,
        maxEjectionFraction: Double = 0.1
    ) {
        self.minimumHosts = minimumHosts
        self.minimumCalls = minimumCalls
        self.standardDeviationFactor = standardDeviationFactor
        self.maxEjectionFraction = maxEjectionFraction
    }

    /// The cap on ejections for `hostCount` hosts: max(1, ⌊fraction × hosts⌋).
    public func maxEjections(hostCount: Int) -> Int {
        max(1, Int((maxEjectionFraction * Double(hostCount)).rounded(.down)))
    }

    /// Judges `hosts` (all hosts of one service, qualifying or not).
    public func detect(_ hosts: [HostCallCounts]) -> PeerOutlierReport {
        let qualifying = hosts.filter { $0.calls >= minimumCalls }
        let cap = maxEjections(hostCount: hosts.count)
        guard qualifying.count >= minimumHosts else {
            return PeerOutlierReport(
                ejections: [], withheld: [], qualifyingHosts: qualifying.count, maxEjections: cap, mean: nil,
                standardDeviation: nil, threshold: nil,
                summary: "\(qualifying.count) of \(hosts.count) hosts have ≥ \(minimumCalls) calls; "
                    + "the rule needs ≥ \(minimumHosts)")
        }
        let rates = qualifying.map(\.successRate)
        let n = Double(rates.count)
        // Equal rates get σ = 0 exactly, so rounding in the mean can never make one of them an outlier.
        let allEqual = rates.allSatisfy { $0 == rates[0] }
        let mean = allEqual ? rates[0] : rates.reduce(0, +) / n
        let sigma = allEqual ? 0 : (rates.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        let threshold = mean - standardDeviationFactor * sigma
        let factor = Format.trimmed(standardDeviationFactor, digits: 3)
        let basis =
            "\(Format.percent(threshold)) = mean \(Format.percent(mean)) − \(factor) × σ "
            + "\(Format.percent(sigma)) over \(qualifying.count) hosts with ≥ \(minimumCalls) calls"
        let outliers =
            qualifying
            .filter { $0.successRate < threshold }
            .sorted { ($0.successRate, $0.host) < ($1.successRate, $1.host) }
            .map { host in
                EjectionRecommendation(
                    host: host.host, successRate: host.successRate, threshold: threshold,
                    reason: "success rate \(Format.percent(host.successRate)) (\(host.successes) of \(host.calls) "
                        + "calls) < \(basis)")
            }
        let ejections = Array(outliers.prefix(cap))
        let withheld = Array(outliers.dropFirst(cap))
        var summary = "\(outliers.count) of \(qualifying.count) hosts below \(basis)"
        if !withheld.isEmpty {
            summary +=
                "; \(withheld.count) withheld: at most \(cap) of \(hosts.count) hosts "
                + "(max(1, ⌊\(Format.percent(maxEjectionFraction)) × \(hosts.count)⌋)) are ejected at once"
        }
        return PeerOutlierReport(
            ejections: ejections, withheld: withheld, qualifyingHosts: qualifying.count, maxEjections: cap,
            mean: mean, standardDeviation: sigma, threshold: threshold, summary: summary)
    }
}
