import Foundation
import Testing
import VigilAnalytics
import VigilConfiguration
import VigilTestSupport

@testable import VigilHub

@Suite("Rule files and rule unit tests")
struct RuleFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let deploy = Self.root.appendingPathComponent("deploy").path
    let fixtures = Self.root.appendingPathComponent("Tests/VigilHubTests/Fixtures/rules").path

    func loadError(_ yaml: String) -> ConfigurationError? {
        do {
            _ = try RuleFile.load(yaml: yaml, source: "rules.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test("the example rules load with their thresholds, durations, labels and annotations")
    func exampleLoads() throws {
        let rules = try RuleFile.load(paths: ["\(deploy)/rules.example.yaml"])
        #expect(rules.map(\.name) == ["HighErrorRate", "SlowRequests", "AgentDown", "IngestLagging", "HighCPU"])
        let errors = rules[0]
        #expect(errors.selector.name == .errorRate)
        #expect(errors.warning == 0.05)
        #expect(errors.critical == 0.2)
        #expect(errors.forDuration == .seconds(120))
        #expect(errors.keepFiringFor == .seconds(300))
        #expect(errors.labels == ["team": "sre"])
        #expect(errors.annotations.keys.sorted() == ["runbook", "summary"])
        #expect(rules[2].comparison == .less)
        #expect(rules[2].warning == nil)
        #expect(
            Set(rules.map(\.selector.name)) == [.errorRate, .latencyP99, .agentUp, .ingestLagSeconds, .cpuUtilization])
    }

    @Test("unknown keys, bad values, bad selectors and duplicate names are errors naming file and key path")
    func strictErrors() {
        let base = "rules:\n  - name: A\n    series: error_rate\n    warning: 1\n"
        let unknown = loadError(base + "    keep_firing: 30s\n")
        #expect(unknown?.code == .unknownKey)
        #expect(unknown?.message == "rules.yaml: rules[0].keep_firing: unknown key")
        let typo = loadError("rules:\n  - name: A\n    series: error_rate\n    warnin: 1\n")
        #expect(typo?.message == "rules.yaml: rules[0].warnin: unknown key (did you mean warning?)")
        #expect(loadError(base + "    for: soon\n")?.keyPath == "rules[0].for")
        #expect(loadError(base + "    comparison: '=='\n")?.keyPath == "rules[0].comparison")
        let selector = loadError("rules:\n  - name: A\n    series: error_ratio\n    warning: 1\n")
        #expect(selector?.keyPath == "rules[0].series")
        #expect(selector?.message.contains("unknown series \"error_ratio\"") == true)
        let template = loadError(base + "    annotations: { summary: '{{ $labels }}' }\n")
        #expect(template?.keyPath == "rules[0].annotations.summary")
        #expect(
            loadError("rules:\n  - name: A\n    series: error_rate\n")?.message.contains("warning or a critical")
                == true)
        #expect(loadError(base + "  - name: A\n    series: error_rate\n    critical: 2\n")?.keyPath == "rules[1].name")
        #expect(loadError("groups: []\n")?.keyPath == "groups")
        #expect(loadError(base + "    labels: { severity: page }\n")?.message.contains("severity") == true)
    }

    @Test("values notation expands like promtool's")
    func valuesNotation() throws {
        func expand(_ text: String) throws -> [Double?] { try SeriesValuesNotation.parse(text).get() }
        #expect(try expand("1 2 _ 3") == [1, 2, nil, 3])
        #expect(try expand("1+1x3") == [1, 2, 3, 4])
        #expect(try expand("10-2x2") == [10, 8, 6])
        #expect(try expand("0.5x2 _x2") == [0.5, 0.5, 0.5, nil, nil])
        #expect(try expand("-1+1x1 1e-3") == [-1, 0, 0.001])
        #expect(throws: SeriesValuesNotation.ParseFailure.self) { try expand("1 two") }
        #expect(throws: SeriesValuesNotation.ParseFailure.self) { try expand("1+x3") }
    }

    @Test("deploy/rules.example.test.yaml passes")
    func examplePasses() {
        let outcome = RuleTestRunner.runFiles(["\(deploy)/rules.example.test.yaml"])
        #expect(outcome.passed, "\(outcome.text)")
        #expect(outcome.text.contains("SUCCESS: 4 of 4 test groups passed"))
    }

    @Test("a failing rule test file is reported with a diff of expected and got, and fails")
    func failuresReported() {
        let outcome = RuleTestRunner.runFiles(["\(fixtures)/failing.test.yaml"])
        #expect(!outcome.passed)
        let text = outcome.text
        #expect(text.contains("FAIL  expects the alert too early (1 of 1 checks failed)"))
        #expect(text.contains("tests[0].alert_rule_test[0]: at 20s, alertname QueueBacklog:"))
        #expect(text.contains("expected 1 firing, got 0"))
        #expect(text.contains(#"- expected, not firing: labels={host="web-01", severity="warning"}"#))
        #expect(text.contains("FAIL  expects the wrong annotation"))
        #expect(
            text.contains(
                #"+ firing, not expected: labels={host="web-02", severity="warning"} annotations={summary="web-02 queue at 500"}"#
            ))
        #expect(
            text.contains(
                #"- expected, not firing: labels={host="web-02", severity="warning"} annotations={summary="web-02 queue at 499"}"#
            ))
        #expect(text.contains("PASS  passes (1 checks)"))
        #expect(text.contains("FAILED: 1 of 3 test groups passed"))
    }

    @Test("a test file that names a missing rule file is reported as an error")
    func missingRuleFile() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("t.yaml")
        try "rule_files: [nope.yaml]\ntests: []\n".write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = RuleTestRunner.runFiles([path])
        #expect(!outcome.passed)
        #expect(outcome.text.contains("ERROR \(directory.path)/nope.yaml: cannot read the file"))
    }
}
