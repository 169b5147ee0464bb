import Foundation
import VigilTestSupport

/// The dashboard over a loaded hub (PostgresBenchmark's 10 M events: 5 services × 3 versions × 20 hosts over
/// 30 days): time to first byte of the service page and of the fragment its live refresh fetches, the series
/// requests behind its charts, and the time until headless Chromium shows the page's charts.
enum DashboardBenchmark {
    static func run(admin: String, service: String) async throws {
        Report.line("service page", "GET /services/\(service) (page) and ?fragment=1 (its live refresh), curl")
        for range in ["24h", "30d"] {
            for (what, query) in [("page", ""), ("fragment", "&fragment=1")] {
                let url = "http://\(admin)/services/\(service)?range=\(range)\(query)"
                _ = try await ttfb(url, count: 5)  // warm-up, not counted
                let times = try await ttfb(url, count: 100)
                Report.line(
                    "\(what) \(range), TTFB",
                    summary(times, unit: "ms over 100 requests", goal: range == "24h" ? 200 : 500))
            }
        }
        for (range, step) in [("24h", "5m"), ("30d", "2h")] {
            let url = URL(
                string:
                    "http://\(admin)/v1/series?name=error_rate&service=\(service)&from=now-\(range)&to=now&step=\(step)"
            )!
            let times = try await PipelineBenchmark.getLatencies(url, count: 100)
            Report.line(
                "series \(range) step \(step)",
                summary(times, unit: "ms over 100 requests", goal: range == "24h" ? 200 : 500))
        }
        try await browser(admin: admin, service: service)
    }

    /// Loads the service page in headless Chromium ten times per range; reports when its charts were on screen
    /// (the page is server-rendered: its charts are in the HTML, so DOMContentLoaded is when they show).
    static func browser(admin: String, service: String) async throws {
        let driver: WebDriver
        do {
            driver = try await WebDriver()
        } catch {
            Report.line("dashboard in Chromium", "not measured: \(error)")
            return
        }
        for range in ["24h", "30d"] {
            var shown: [Double] = []
            for _ in 0..<10 {
                try await driver.open("http://\(admin)/services/\(service)?range=\(range)")
                let lines = try await driver.run("return document.querySelectorAll('svg g.line[data-label]').length")
                guard (lines as? Int ?? 0) > 0 else { throw BenchError("the \(range) page shows no chart lines") }
                let ms = try await driver.run(
                    "var n = performance.getEntriesByType('navigation')[0]; return n.domContentLoadedEventEnd;")
                shown.append((ms as? Double) ?? Double(ms as? Int ?? -1))
            }
            Report.line(
                "Chromium \(range), charts",
                summary(shown.sorted(), unit: "ms from navigation start over 10 loads", goal: 2000))
        }
        await driver.quit()
    }

    /// Time to first byte of `count` GETs, each with curl on a new connection, sorted, in milliseconds.
    static func ttfb(_ url: String, count: Int) async throws -> [Double] {
        var times: [Double] = []
        for _ in 0..<count {
            let text = try await onThread {
                try runCommand(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_starttransfer}", url]).text
            }
            let parts = text.split(separator: " ")
            guard parts.count == 2, parts[0] == "200", let seconds = Double(parts[1]) else {
                throw BenchError("GET \(url): \(text)")
            }
            times.append(seconds * 1000)
        }
        return times.sorted()
    }

    static func summary(_ sorted: [Double], unit: String, goal: Double) -> String {
        func at(_ p: Double) -> Double {
            sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        return String(
            format: "p50 %.1f, p99 %.1f, max %.1f %@ (goal < %.0f ms)", at(0.5), at(0.99), sorted.last ?? 0, unit, goal)
    }
}
