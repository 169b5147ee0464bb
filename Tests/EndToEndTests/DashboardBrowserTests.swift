import Foundation
import Testing
import VigilTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The dashboard as an operator sees it: the built hub and agents with the demo's traffic (shorter), the admin
/// address on the network with a token, and headless Chromium reading each page. What the page shows is
/// compared with the API the page stands on; every step saves a screenshot under `.build/browser/`.
@Suite("Dashboard in a browser", .serialized, .timeLimit(.minutes(6)))
struct DashboardBrowserTests {
    static let xss = "<img src=x onerror=alert(1)>"
    static let token = "browser-token-0123456789abcdef"
    static let shots = TestCertificates.root.appendingPathComponent(".build/browser").path

    /// The first IPv4 address of this host that is not loopback, so "off loopback" is really off it.
    static func networkAddress() throws -> String {
        let text = try runCommand(["hostname", "-I"]).text
        guard
            let address = text.split(separator: " ").map(String.init).first(where: {
                $0.split(separator: ".").count == 4 && !$0.hasPrefix("127.")
            })
        else { throw TestFailure("this host has no non-loopback IPv4 address (hostname -I: \(text))") }
        return address
    }

    /// GETs an API path with the token and decodes the JSON object.
    static func api(_ base: String, _ path: String, token: String? = token) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: base + path)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:])
    }

    /// Runs the built vigilctl; returns its exit status and what it printed (stdout and stderr).
    static func vigilctl(_ arguments: [String], environment: [String: String]) async throws -> (Int32, String) {
        let result = try await onThread {
            try runCommand(
                arguments, executable: Daemon.binaryDirectory.appendingPathComponent("vigilctl"),
                environment: environment, mergingErrors: true)
        }
        return (result.status, result.text)
    }

    /// The demo's traffic for `seconds`, with `backfill` minutes of history first.
    static func traffic(_ targets: [String], seconds: Int, backfill: Int) async throws {
        try await onThread {
            try TestCertificates.run(
                [
                    "python3", TestCertificates.root.appendingPathComponent("deploy/demo-traffic.py").path, "--seconds",
                    "\(seconds)", "--rate", "100", "--backfill-minutes", "\(backfill)",
                ] + targets)
        }
    }

    /// Reads the page and the API until they were taken in the same minute (the rollups move at minute
    /// boundaries, so a page and an API answer a boundary apart may rightly differ); returns both.
    static func consistent<T: Equatable>(
        attempts: Int = 4, page: () async throws -> T, api: () async throws -> T
    ) async throws -> (page: T, api: T) {
        var last: (T, T)?
        for _ in 0..<attempts {
            let shown = try await page()
            let answered = try await api()
            if shown == answered { return (shown, answered) }
            last = (shown, answered)
            try await Task.sleep(for: .seconds(2))
        }
        return last!
    }

    @Test("the pages show what the API says, update live, keep agent text as text, and need a token off loopback")
    func dashboard() async throws {
        let host = try Self.networkAddress()
        let secrets = try makeTemporaryDirectory("dashboard-tokens")
        defer { try? FileManager.default.removeItem(atPath: secrets) }
        try "ops read \(Self.token)\n".write(toFile: "\(secrets)/admin-tokens", atomically: true, encoding: .utf8)
        try "\(Self.token)\n".write(toFile: "\(secrets)/ops.token", atomically: true, encoding: .utf8)
        let fleet = try Fleet(
            name: "dashboard",
            hubSettings:
                "evaluation_interval: 1s\njudge: { window: 1h }\nadmin_auth: { tokens_file: \(secrets)/admin-tokens }",
            adminHost: "0.0.0.0")
        defer { fleet.stop() }
        try fleet.startHub()
        let versions = [1: "1.4.0", 2: "1.4.0", 3: "1.5.0", 4: Self.xss]
        for (n, version) in versions.sorted(by: { $0.key < $1.key }) {
            let quoted = version.replacingOccurrences(of: "\"", with: "\\\"")
            try fleet.configureAgent(n, settings: ["labels": "{ service: checkout, version: \"\(quoted)\" }"])
            try fleet.startAgent(n)
        }
        // 90 minutes of history, so the last hour keeps its 60 points per host while the test runs.
        try await Self.traffic(
            versions.sorted(by: { $0.key < $1.key }).map { "\(fleet.socket($0.key)):\($0.value)" }, seconds: 2,
            backfill: 90)
        let local = "http://127.0.0.1:\(fleet.adminPort)"
        let remote = "http://\(host):\(fleet.adminPort)"
        let judged = await eventually(90) {
            let versions = (try? await Self.api(local, "/v1/versions?service=checkout&window=1h").1["versions"])
            let canary = (versions as? [[String: Any]])?.first { $0["version"] as? String == "1.5.0" }
            return (canary?["verdict"] as? [String: Any])?["decision"] as? String == "ROLLBACK"
        }
        #expect(judged, "the demo's canary is judged ROLLBACK within 90 s")

        // vigilctl off loopback: refused without a token, let in with --token-file or VIGIL_TOKEN.
        let hub = ["VIGIL_HUB": remote]
        let refused = try await Self.vigilctl(["status"], environment: hub)
        #expect(refused.0 == 1 && refused.1.contains("401") && refused.1.contains("--token-file"), "\(refused.1)")
        let fromFile = try await Self.vigilctl(
            ["agents", "--token-file", "\(secrets)/ops.token"], environment: hub)
        #expect(fromFile.0 == 0 && fromFile.1.contains("web-03"), "\(fromFile.1)")
        let fromEnvironment = try await Self.vigilctl(
            ["status"], environment: hub.merging(["VIGIL_TOKEN": Self.token]) { $1 })
        #expect(fromEnvironment.0 == 0, "\(fromEnvironment.1)")

        try await WebDriver.with { browser in

            // Off loopback: no token, no data — the API says 401 and the browser gets the sign-in form.
            #expect(try await Self.api(remote, "/v1/status", token: nil).0 == 401)
            #expect(try await Self.api(remote, "/v1/status").0 == 200)
            try await browser.open("\(remote)/services/checkout?range=1h")
            try await browser.screenshot("\(Self.shots)/signin.png")
            #expect(try await browser.run("return document.title") as? String == "Sign in · Vigil")
            #expect(try await browser.run("return document.querySelector('.verdict') === null") as? Bool == true)
            try await browser.run(
                "document.getElementById('token').value = arguments[0]; document.querySelector('form.signin').submit();",
                [Self.token])
            let signedIn = try await browser.waitFor("return document.querySelector('.verdict') !== null", timeout: 10)
            try await browser.screenshot("\(Self.shots)/service.png")
            #expect(signedIn != nil, "the token signs in and the service page follows")
            #expect(try await browser.run("return location.pathname") as? String == "/services/checkout")

            // The verdict: word and score as /v1/versions gives them (the judge's window, 1h here), whatever the
            // page's range.
            let verdicts = try await Self.consistent(
                page: {
                    var all: [String] = []
                    for range in ["1h", "6h"] {
                        try await browser.open("\(remote)/services/checkout?range=\(range)")
                        let shown =
                            try await browser.run(
                                """
                                return Array.from(document.querySelectorAll('.verdict')).map(v => [v.dataset.version,
                                  v.querySelector('[data-decision]').textContent,
                                  v.querySelector('[data-score]').dataset.score]);
                                """) as? [[String]] ?? []
                        all += shown.map { "\(range): " + $0.joined(separator: " ") }.sorted()
                    }
                    return all
                },
                api: {
                    let versions = try await Self.api(local, "/v1/versions?service=checkout").1["versions"]
                    let verdicts = ((versions as? [[String: Any]]) ?? []).compactMap { version -> String? in
                        guard let verdict = version["verdict"] as? [String: Any] else { return nil }
                        let score = (verdict["score"] as? Double).map { Self.trimmed($0) } ?? "–"
                        return
                            "\(version["version"] as? String ?? "?") \(verdict["decision"] as? String ?? "?") \(score)"
                    }.sorted()
                    return verdicts.map { "1h: " + $0 } + verdicts.map { "6h: " + $0 }
                })
            try await browser.screenshot("\(Self.shots)/verdict.png")
            #expect(verdicts.page == verdicts.api)
            #expect(verdicts.page.contains { $0.hasPrefix("1h: 1.5.0 ROLLBACK ") }, "\(verdicts.page)")

            // The version split: the bars' percentages are the API's shares.
            for (chart, key) in [("share-events", "event_share"), ("share-hosts", "host_share")] {
                let shares = try await Self.consistent(
                    page: {
                        try await browser.open("\(remote)/services/checkout?range=1h")
                        let bars =
                            try await browser.run(
                                "return Array.from(document.querySelectorAll('#\(chart) g.bar')).map(b => b.dataset.label + ' ' + b.dataset.share);"
                            ) as? [String] ?? []
                        return bars.sorted()
                    },
                    api: {
                        let versions = try await Self.api(local, "/v1/versions?service=checkout&window=1h").1[
                            "versions"]
                        return ((versions as? [[String: Any]]) ?? []).map { version in
                            "\(version["version"] as? String ?? "?") \(Self.trimmed(100 * (version[key] as? Double ?? -1), fixed: true))"
                        }.sorted()
                    })
                #expect(shares.page == shares.api, "\(chart)")
                #expect(shares.page.count == 3, "\(chart): three versions")
            }

            // The error-rate chart: one line per version with the points the series API returns.
            let lines = try await Self.consistent(
                page: {
                    try await browser.open("\(remote)/services/checkout?range=1h")
                    let shown =
                        try await browser.run(
                            "return Array.from(document.querySelectorAll('#chart-error_rate g.line[data-label]')).map(l => l.dataset.label + ' ' + l.dataset.points);"
                        ) as? [String] ?? []
                    return shown.sorted()
                },
                api: {
                    let series = try await Self.api(
                        local, "/v1/series?name=error_rate&service=checkout&from=now-1h&to=now&step=1m"
                    ).1["series"]
                    return ((series as? [[String: Any]]) ?? []).compactMap { line -> String? in
                        let points = (line["points"] as? [Any])?.count ?? 0
                        let labels = line["labels"] as? [String: String] ?? [:]
                        return points > 0 ? "\(labels["version"] ?? "?") \(points)" : nil
                    }.sorted()
                })
            try await browser.screenshot("\(Self.shots)/error-rate.png")
            #expect(lines.page == lines.api)
            #expect(lines.page.count == 3, "one line per version: \(lines.page)")

            // Agent-supplied text stays text: the version `<img …>` is shown, no element or dialog comes of it.
            let xssShown = try await browser.run("return document.body.innerText.includes(arguments[0])", [Self.xss])
            #expect(xssShown as? Bool == true, "the version is shown as written")
            #expect(try await browser.run("return document.querySelectorAll('img, [onerror]').length") as? Int == 0)
            #expect(try await browser.dialogText() == nil)
            try await browser.open("\(remote)/?range=1h")
            #expect(try await browser.run("return document.querySelectorAll('img, [onerror]').length") as? Int == 0)
            #expect(try await browser.dialogText() == nil)

            // Live: a burst of events shows on the open fleet page within 2 s of being stored, without a reload.
            try await browser.run("window.vigilMarker = 42;")
            let before = try await Self.api(local, "/v1/status").1
            let storedBefore = ((before["totals"] as? [String: Any])?["records"] as? Int) ?? 0
            try await onThread { try IngestFeed.send(agent: 1, count: 500, socket: fleet.socket(1)) }
            let storedAt = Date()
            var stored = 0
            while Date().timeIntervalSince(storedAt) < 30 {
                let status = try await Self.api(local, "/v1/status").1
                stored = ((status["totals"] as? [String: Any])?["records"] as? Int) ?? 0
                if stored >= storedBefore + 500 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(stored >= storedBefore + 500, "the hub stored the burst")
            let visible = try await browser.waitFor(
                """
                var tile = document.querySelector('[data-tile="records-stored"] dd');
                return window.vigilMarker === 42 && tile !== null && parseInt(tile.textContent, 10) >= \(storedBefore + 500);
                """, timeout: 5)
            try await browser.screenshot("\(Self.shots)/live.png")
            let seconds = try #require(visible, "the burst never showed on the open page")
            print("dashboard: the burst showed \(String(format: "%.2f", seconds)) s after the hub stored it")
            #expect(seconds <= 2.0, "shown \(seconds) s after the hub stored it")

            // Phone width: nothing wider than the screen but the tables' own scroll boxes.
            try await browser.resize(width: 390, height: 900)
            try await browser.open("\(remote)/services/checkout?range=1h")
            try await browser.screenshot("\(Self.shots)/phone.png")
            let overflow = try await browser.run("return document.documentElement.scrollWidth - window.innerWidth")
            #expect((overflow as? Int ?? 99) <= 1, "the page is \(overflow ?? "?") px wider than a phone")
            try await browser.resize(width: 1280, height: 1600)

            // A lost hub: the open page says its data is stale and keeps retrying.
            try await browser.open("\(remote)/?range=15m")
            fleet.killHub()
            let stale = try await browser.waitFor(
                "return document.getElementById('live-status').classList.contains('stale')", timeout: 6)
            try await browser.screenshot("\(Self.shots)/stale.png")
            #expect(stale != nil, "the page shows stale data")
            let said = try await browser.run("return document.getElementById('live-status').textContent") as? String
            #expect(said?.contains("stale since") == true && said?.contains("retrying") == true, "\(said ?? "")")
        }
    }

    /// The page's number format: at most `digits` decimals, trailing zeros dropped (`fixed` keeps one decimal,
    /// as the share bars do).
    static func trimmed(_ value: Double, fixed: Bool = false) -> String {
        if fixed { return String(format: "%.1f", value) }
        var text = String(format: "%.1f", value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}
