extension RuleTestRunner {
    /// What `vigil-hub test-rules` prints and whether everything passed.
    public struct FilesOutcome: Sendable {
        /// The report, one block per file.
        public var text: String
        /// True when every file loaded and every check passed.
        public var passed: Bool
    }

    /// Loads and runs each test file (and the rule files it names); a file that cannot be loaded is
    /// reported as a failure with its error and the others still run.
    public static func runFiles(_ paths: [String]) -> FilesOutcome {
        var lines: [String] = []
        var failedGroups = 0
        var totalGroups = 0
        var brokenFiles = 0
        for path in paths {
            lines.append(path)
            let file: RuleTestFile
            let results: [GroupResult]
            do {
                file = try RuleTestFile.load(path: path)
                results = run(file, rules: try RuleFile.load(paths: file.ruleFiles))
            } catch {
                lines.append("  ERROR \(error)")
                brokenFiles += 1
                continue
            }
            for result in results {
                totalGroups += 1
                if result.failures.isEmpty {
                    lines.append("  PASS  \(result.name) (\(result.checks) checks)")
                } else {
                    failedGroups += 1
                    lines.append("  FAIL  \(result.name) (\(result.failures.count) of \(result.checks) checks failed)")
                    for failure in result.failures {
                        lines += failure.split(separator: "\n", omittingEmptySubsequences: false).map { "    \($0)" }
                    }
                }
            }
        }
        let passed = failedGroups == 0 && brokenFiles == 0
        var summary = passed ? "SUCCESS" : "FAILED"
        summary += ": \(totalGroups - failedGroups) of \(totalGroups) test groups passed"
        if brokenFiles > 0 { summary += "; \(brokenFiles) file(s) could not be loaded" }
        lines.append(summary)
        return FilesOutcome(text: lines.joined(separator: "\n"), passed: passed)
    }
}
