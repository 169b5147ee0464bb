import Testing

@testable import VigilAnalytics

@Suite("Peer outlier rule")
struct PeerOutlierDetectorTests {
    let detector = PeerOutlierDetector()

    private func host(_ name: String, _ successes: Int, of calls: Int = 1000) -> HostCallCounts {
        HostCallCounts(host: name, calls: calls, successes: successes)
    }

    @Test("one bad host among five is ejected, with the arithmetic in the reason")
    func ejectsTheOutlier() throws {
        // numpy: mean 0.891, population σ 0.19551368, threshold 0.891 − 1.9 σ = 0.51952400
        let report = detector.detect([
            host("a", 990), host("b", 985), host("c", 992), host("d", 988), host("e", 500),
        ])
        #expect(report.ejections.map(\.host) == ["e"])
        #expect(abs(try #require(report.mean) - 0.891) < 1e-12)
        #expect(abs(try #require(report.standardDeviation) - 0.1955136823856581) < 1e-12)
        #expect(abs(try #require(report.threshold) - 0.5195240034672497) < 1e-12)
        #expect(
            report.ejections.first?.reason
                == "success rate 50 % (500 of 1000 calls) < 52 % = mean 89.1 % − 1.9 × σ 19.6 % over 5 hosts "
                + "with ≥ 100 calls")
    }

    @Test("with exactly five hosts a single host 2 σ below the mean is still caught")
    func fiveHostLimit() {
        // numpy: rates 0.99 ×4 and 0.96: mean 0.984, σ 0.012, the low host is (0.984 − 0.96)/0.012 = 2.0 σ below.
        let report = detector.detect([host("a", 990), host("b", 990), host("c", 990), host("d", 990), host("e", 960)])
        #expect(report.ejections.map(\.host) == ["e"])
    }

    @Test("fewer than five hosts with at least 100 calls: the rule does not run")
    func tooFewQualifyingHosts() {
        let report = detector.detect([
            host("a", 990), host("b", 990), host("c", 990), host("d", 100),
            host("e", 10, of: 99), host("f", 99, of: 99),
        ])
        #expect(report.ejections.isEmpty)
        #expect(report.threshold == nil)
        #expect(report.summary == "4 of 6 hosts have ≥ 100 calls; the rule needs ≥ 5")
    }

    @Test("a host with 99 calls is neither judged nor counted as a peer")
    func lowVolumeHostIgnored() {
        let report = detector.detect([
            host("a", 990), host("b", 985), host("c", 992), host("d", 988), host("e", 991),
            host("quiet", 0, of: 99),
        ])
        #expect(report.qualifyingHosts == 5)
        #expect(report.ejections.isEmpty)
    }

    @Test("identical success rates give σ = 0 and no ejection")
    func identicalRates() {
        let report = detector.detect((0..<8).map { host("h\($0)", 970) })
        #expect(report.standardDeviation == 0)
        #expect(report.ejections.isEmpty)
    }

    @Test("at most max(1, ⌊10 % of hosts⌋) are ejected: 1 of 12, the worst first; the rest are withheld")
    func ejectionCap() {
        // numpy: rates 0.99 ×10, 0.50, 0.52: mean 0.91, σ 0.17893, threshold 0.57003; both below.
        var hosts = (0..<10).map { host("ok\($0)", 990) }
        hosts += [host("worse", 500), host("bad", 520)]
        let report = detector.detect(hosts)
        #expect(report.maxEjections == 1)
        #expect(report.ejections.map(\.host) == ["worse"])
        #expect(report.withheld.map(\.host) == ["bad"])
        #expect(
            report.summary.hasSuffix(
                "1 withheld: at most 1 of 12 hosts (max(1, ⌊10 % × 12⌋)) are ejected at once"))
    }

    @Test("the cap is 1 for 5 to 19 hosts and 2 for 20 hosts")
    func capRounding() {
        #expect(detector.maxEjections(hostCount: 5) == 1)
        #expect(detector.maxEjections(hostCount: 9) == 1)
        #expect(detector.maxEjections(hostCount: 19) == 1)
        #expect(detector.maxEjections(hostCount: 20) == 2)
        #expect(detector.maxEjections(hostCount: 105) == 10)
    }
}
