import Foundation
import Testing
import VigilAnalytics
import VigilHub
import VigilProtocol
import VigilTestSupport

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET /v1/series` over HTTP on a running hub, checked against counts taken from the records sent.
@Suite("Series API", .timeLimit(.minutes(3)))
struct SeriesAPITests {
    func get(_ hub: TestHub, _ path: String) async throws -> (Int, [String: Any]) {
        let url = URL(string: "http://127.0.0.1:\(hub.adminPort)\(path)")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (http.statusCode, body)
    }

    /// The lines of a body as labels → [(seconds, value)].
    func lines(_ body: [String: Any]) throws -> [[String: String]: [(Int64, Double)]] {
        let series = try #require(body["series"] as? [[String: Any]])
        var out: [[String: String]: [(Int64, Double)]] = [:]
        for line in series {
            let labels = try #require(line["labels"] as? [String: String])
            let points = try #require(line["points"] as? [[Double]])
            out[labels] = points.map { (Int64($0[0]), $0[1]) }
        }
        return out
    }

    @Test("bad parameters answer 400 naming the parameter and the accepted form")
    func parameterValidation() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let cases: [(String, String, String)] = [
                ("/v1/series?service=cart", "name", "required"),
                ("/v1/series?name=latency&service=cart", "name", "error_rate"),
                ("/v1/series?name=error_rate", "service", "required"),
                ("/v1/series?name=error_rate&service=", "service", "1 to 256"),
                ("/v1/series?name=error_rate&service=cart&step=30s", "step", "whole minutes"),
                ("/v1/series?name=error_rate&service=cart&step=2d", "step", "1m to 1d"),
                ("/v1/series?name=error_rate&service=cart&from=yesterday", "from", "RFC 3339"),
                ("/v1/series?name=error_rate&service=cart&from=now-1h&to=now-2h", "from", "before"),
                ("/v1/series?name=error_rate&service=cart&from=now-500d", "from", "400d"),
                ("/v1/series?name=error_rate&service=cart&by=region", "by", "service, version or host"),
                ("/v1/series?name=error_rate&service=cart&colour=red", "colour", "takes name"),
                ("/v1/series?name=error_rate&service=cart&service=cart", "service", "twice"),
            ]
            for (path, parameter, words) in cases {
                let (code, body) = try await get(hub, path)
                #expect(code == 400, "\(path)")
                #expect(body["parameter"] as? String == parameter, "\(path)")
                #expect((body["error"] as? String)?.contains(words) == true, "\(path): \(body)")
            }
        }
    }

    @Test("error_rate, event_rate and latency per version per minute equal the records sent; a filter narrows")
    func callSeriesMatchRecords() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let end = Traffic.currentMinute
            let minutes = (end - 30)..<end
            var rng = SplitMix64(seed: 11)
            var sent: [String: [Int64: (count: Int, errors: Int)]] = [:]
            for (index, host) in DecisionHosts.names.prefix(4).enumerated() {
                let version = index < 2 ? "1.0.0" : "2.0.0"
                var profile = Traffic.Profile()
                profile.errorRate = index < 2 ? 0.02 : 0.25
                let records = Traffic.events(
                    service: "cart", version: version, host: host, hostIndex: index, profile: profile,
                    minutes: minutes, rng: &rng)
                for record in records {
                    let minute = record.event.timeUnixNano / 60_000_000_000
                    let previous = sent[version, default: [:]][minute] ?? (0, 0)
                    sent[version, default: [:]][minute] = (
                        previous.count + 1, previous.errors + (record.event.outcome == .error ? 1 : 0)
                    )
                }
                try await Traffic.send(records, as: host, labels: ["service": "cart", "version": version], to: hub)
            }
            _ = await hub.runtime.rollups.catchUp()
            let from = (end - 40) * 60
            let to = end * 60 - 1
            let (code, body) = try await get(hub, "/v1/series?name=error_rate&service=cart&from=\(from)&to=\(to)")
            #expect(code == 200)
            #expect(body["step"] as? String == "1m" && body["resolution"] as? String == "minute")
            #expect(body["unit"] as? String == "ratio" && body["note"] == nil)
            let errorLines = try lines(body)
            #expect(
                Set(errorLines.keys) == [
                    ["service": "cart", "version": "1.0.0"], ["service": "cart", "version": "2.0.0"],
                ])
            for (labels, points) in errorLines {
                let expected = try #require(sent[labels["version"]!])
                #expect(points.count == 30, "one point per minute with calls, none for the 10 without")
                for (seconds, value) in points {
                    let cell = try #require(expected[seconds / 60])
                    #expect(abs(value - Double(cell.errors) / Double(cell.count)) < 1e-12)
                }
            }
            let (_, rates) = try await get(
                hub, "/v1/series?name=event_rate&service=cart&version=2.0.0&from=\(from)&to=\(to)")
            let rateLines = try lines(rates)
            #expect(Array(rateLines.keys) == [["service": "cart", "version": "2.0.0"]])
            for (seconds, value) in try #require(rateLines.first?.value) {
                #expect(abs(value * 60 - Double(sent["2.0.0"]![seconds / 60]!.count)) < 1e-9)
            }
            let (_, perHost) = try await get(
                hub, "/v1/series?name=latency_p99_ms&service=cart&by=host&from=\(from)&to=\(to)")
            #expect(try lines(perHost).count == 4)
            #expect(try lines(perHost).values.allSatisfy { $0.count == 30 && $0.allSatisfy { $0.1 > 0 } })
            let (_, one) = try await get(
                hub, "/v1/series?name=error_rate&service=cart&host=\(DecisionHosts.names[0])&from=\(from)&to=\(to)")
            #expect(try lines(one).keys.map { $0["host"] } == [DecisionHosts.names[0]])
        }
    }

    @Test("a span over a day is answered from hour cells at a stated coarser step, with the same totals")
    func longSpanUsesHourCells() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let end = Traffic.currentMinute
            try await DecisionTests.sendCanaryTraffic(
                hub, service: "cart", baseline: Traffic.Profile(), canary: Traffic.Profile(), seed: 2, endMinute: end)
            _ = await hub.runtime.rollups.catchUp()
            let (code, long) = try await get(hub, "/v1/series?name=event_rate&service=cart&from=now-30d&step=1m")
            #expect(code == 200)
            #expect(long["step"] as? String == "1h" && long["step_seconds"] as? Int == 3600)
            #expect(long["requested_step"] as? String == "1m" && long["resolution"] as? String == "hour")
            #expect((long["note"] as? String)?.contains("step 1h instead of 1m") == true)
            let (_, short) = try await get(hub, "/v1/series?name=event_rate&service=cart&from=now-2h")
            #expect(short["step"] as? String == "1m")
            let (_, mid) = try await get(hub, "/v1/series?name=event_rate&service=cart&from=now-24h&step=1m")
            #expect(mid["step"] as? String == "1m" && mid["resolution"] as? String == "minute")
            // Events per version: rate × elapsed seconds of each bucket, summed, is the same either way.
            func events(_ body: [String: Any], _ version: String, stepSeconds: Int64) throws -> Double {
                let points = try #require(try lines(body)[["service": "cart", "version": version]])
                let nowSeconds = Int64(Date().timeIntervalSince1970)
                return points.reduce(0) { sum, point in
                    sum + point.1 * Double(max(1, min(stepSeconds, nowSeconds - point.0)))
                }
            }
            for version in ["1.0.0", "2.0.0"] {
                let hourly = try events(long, version, stepSeconds: 3600)
                let minutely = try events(short, version, stepSeconds: 60)
                // The unfinished hour's rate was divided by the time passed when the hub answered, a moment ago.
                #expect(abs(hourly - 5 * 30 * 20) < 30, "\(version): \(hourly)")
                #expect(abs(minutely - 5 * 30 * 20) < 1e-6, "\(version): \(minutely)")
            }
        }
    }

    @Test("resource series average hosts, agent_up counts hosts sending, ingest_lag_seconds is the current lag")
    func resourceAndAgentSeries() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let end = Traffic.currentMinute
            for (index, host) in DecisionHosts.names.prefix(2).enumerated() {
                // Host 0 reports for 10 minutes at 0.2, host 1 for the last 5 at 0.6.
                let minutes = index == 0 ? (end - 10)..<end : (end - 5)..<end
                let records = Traffic.samples(
                    metric: "cpu.utilization", value: 0.2 + 0.4 * Double(index), minutes: minutes)
                try await Traffic.send(records, as: host, labels: ["service": "cart", "version": "1.0.0"], to: hub)
            }
            _ = await hub.runtime.rollups.catchUp()
            let span = "from=\((end - 10) * 60)&to=\(end * 60 - 1)"
            let (_, cpu) = try await get(hub, "/v1/series?name=cpu_utilization&service=cart&\(span)")
            let line = try #require(try lines(cpu)[["service": "cart", "version": "1.0.0"]])
            #expect(line.count == 10)
            #expect(line.prefix(5).allSatisfy { abs($0.1 - 0.2) < 1e-9 })
            #expect(line.suffix(5).allSatisfy { abs($0.1 - 0.4) < 1e-9 }, "mean of 0.2 and 0.6")
            let (_, up) = try await get(hub, "/v1/series?name=agent_up&service=cart&\(span)")
            #expect(
                try lines(up)[["service": "cart", "version": "1.0.0"]]?.map(\.1) == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2])
            let (_, upHosts) = try await get(hub, "/v1/series?name=agent_up&service=cart&by=host&\(span)")
            let late = try #require(
                try lines(upHosts)[["service": "cart", "version": "1.0.0", "host": DecisionHosts.names[1]]])
            #expect(late.map(\.1) == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
            let (code, lag) = try await get(hub, "/v1/series?name=ingest_lag_seconds&service=cart&by=host")
            #expect(code == 200)
            #expect(try lines(lag).count == 2)
            #expect(try lines(lag).values.allSatisfy { $0.count == 1 && $0[0].1 >= 0 })
            #expect((lag["note"] as? String)?.contains("no history") == true)
        }
    }
}
