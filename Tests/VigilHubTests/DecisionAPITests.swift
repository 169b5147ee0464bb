import Foundation
import Testing
import VigilAnalytics
import VigilHub

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `GET /v1/versions` and `GET /v1/recommendations` over HTTP on a running hub.
@Suite("Decision API", .timeLimit(.minutes(3)))
struct DecisionAPITests {
    func get(_ hub: TestHub, _ path: String) async throws -> (Int, [String: Any]) {
        let url = URL(string: "http://127.0.0.1:\(hub.adminPort)\(path)")!
        let (data, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        let body = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (http.statusCode, body)
    }

    @Test("bad parameters answer 400 naming the parameter; an unknown service answers 404")
    func parameterValidation() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let cases: [(String, Int, String?)] = [
                ("/v1/versions", 400, "service"),
                ("/v1/versions?service=", 400, "service"),
                ("/v1/versions?service=checkout&window=soon", 400, "window"),
                ("/v1/versions?service=checkout&window=10s", 400, "window"),
                ("/v1/versions?service=checkout&window=90d", 400, "window"),
                ("/v1/versions?service=checkout&colour=red", 400, "colour"),
                ("/v1/recommendations?service=checkout", 400, "service"),
                ("/v1/versions?service=nothing-here", 404, "service"),
            ]
            for (path, status, parameter) in cases {
                let (code, body) = try await get(hub, path)
                #expect(code == status, "\(path)")
                #expect(body["parameter"] as? String == parameter, "\(path)")
                #expect((body["error"] as? String)?.isEmpty == false, "\(path)")
            }
            let (_, missing) = try await get(hub, "/v1/versions?service=nothing-here")
            #expect((missing["error"] as? String)?.contains("nothing-here") == true)
        }
    }

    @Test(
        "GET /v1/versions shows each version's figures and the verdict's evidence; /v1/recommendations the last evaluation"
    )
    func versionsAndRecommendations() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let end = Traffic.currentMinute
            var canary = Traffic.Profile()
            canary.errorRate = 0.3
            try await DecisionTests.sendCanaryTraffic(
                hub, service: "cart", baseline: Traffic.Profile(), canary: canary, seed: 3, endMinute: end)
            _ = await hub.runtime.rollups.catchUp()
            let (code, body) = try await get(hub, "/v1/versions?service=cart&window=30m")
            #expect(code == 200)
            #expect(body["service"] as? String == "cart")
            #expect(body["window_seconds"] as? Double == 1800)
            // Equal traffic on both sides: the tie goes to the smaller version string.
            #expect(body["baseline"] as? String == "1.0.0")
            let versions = try #require(body["versions"] as? [[String: Any]])
            #expect(versions.count == 2)
            let canaryVersion = try #require(versions.first { $0["version"] as? String == "2.0.0" })
            do {
                let verdict = try #require(canaryVersion["verdict"] as? [String: Any])
                #expect(verdict["decision"] as? String == "ROLLBACK")
                let evidence = try #require(verdict["evidence"] as? [[String: Any]])
                #expect(
                    evidence.map { $0["metric"] as? String } == [
                        "error_rate", "latency.p50", "latency.p95", "latency.p99", "cpu", "memory", "queue_depth",
                    ])
                let errors = evidence[0]
                #expect(errors["classification"] as? String == "high")
                #expect(errors["critical_failure"] as? Bool == true)
                #expect(errors["ci_lower"] is Double && errors["ci_upper"] is Double && errors["shift"] is Double)
            }
            #expect((canaryVersion["error_rate"] as? Double ?? 0) > 0.2)
            let categories = try #require(canaryVersion["error_categories"] as? [[String: Any]])
            #expect(categories.first?["category"] as? String == "timeout")
            #expect(categories.first?["share"] as? Double == 1)
            #expect(categories.first?["trend"] as? String == "new")

            let (_, before) = try await get(hub, "/v1/recommendations")
            #expect(before["evaluations"] as? Int == 0)
            await hub.runtime.decisions.evaluate(at: DecisionTests.instant(minute: end))
            let (status, after) = try await get(hub, "/v1/recommendations")
            #expect(status == 200)
            #expect(after["evaluations"] as? Int == 1)
            let recommendations = try #require(after["recommendations"] as? [[String: Any]])
            #expect(
                recommendations.contains { $0["kind"] as? String == "canary" && $0["action"] as? String == "ROLLBACK" })
            #expect(
                recommendations.contains { $0["kind"] as? String == "autoscale" && $0["service"] as? String == "cart" })
        }
    }

    @Test("a window over a day is judged on (host, hour) points from the hourly rollups, from a whole hour")
    func longWindowUsesHourlyPoints() async throws {
        try await TestHub.with(configure: DecisionTests.configure) { hub in
            let end = Traffic.currentMinute
            var canary = Traffic.Profile()
            canary.errorRate = 0.3
            try await DecisionTests.sendCanaryTraffic(
                hub, service: "cart", baseline: Traffic.Profile(), canary: canary, seed: 5, endMinute: end)
            _ = await hub.runtime.rollups.catchUp()
            func errorEvidence(_ body: [String: Any]) throws -> [String: Any] {
                let versions = try #require(body["versions"] as? [[String: Any]])
                let canaryVersion = try #require(versions.first { $0["version"] as? String == "2.0.0" })
                let verdict = try #require(canaryVersion["verdict"] as? [String: Any])
                let evidence = try #require(verdict["evidence"] as? [[String: Any]])
                return try #require(evidence.first { $0["metric"] as? String == "error_rate" })
            }
            let (_, short) = try await get(hub, "/v1/versions?service=cart&window=2h")
            let (code, long) = try await get(hub, "/v1/versions?service=cart&window=7d")
            #expect(code == 200)
            #expect(short["point_seconds"] as? Double == 60)
            #expect(long["point_seconds"] as? Double == 3600)
            // 5 canary hosts, each over the 30 minutes of traffic: one point per minute, or per hour touched.
            let hours = Set(((end - 30)..<end).map { MinuteRollup.hourStart(ofMinute: $0) }).count
            #expect(try errorEvidence(short)["canary_n"] as? Int == 5 * 30)
            #expect(try errorEvidence(long)["canary_n"] as? Int == 5 * hours)
            // The window starts at the whole hour it falls in, and the rates count that span.
            let from = try #require(long["from_minute"] as? Int)
            #expect(from % 60 == 0)
            let seconds = try #require(long["window_seconds"] as? Double)
            #expect(seconds >= 7 * 86_400 && seconds < 7 * 86_400 + 3600)
            let versions = { (body: [String: Any]) in
                (body["versions"] as? [[String: Any]])?.map { $0["events"] as? Int }
            }
            #expect(versions(long) == versions(short))
        }
    }

    @Test("with judge.window over a day the evaluation judges on hour points too, agreeing with /v1/versions")
    func longJudgeWindowAgrees() async throws {
        try await TestHub.with(configure: {
            DecisionTests.configure(&$0)
            $0.judge.window = .seconds(2 * 86_400)
        }) { hub in
            let end = Traffic.currentMinute
            var canary = Traffic.Profile()
            canary.errorRate = 0.3
            try await DecisionTests.sendCanaryTraffic(
                hub, service: "cart", baseline: Traffic.Profile(), canary: canary, seed: 9, endMinute: end)
            _ = await hub.runtime.rollups.catchUp()
            let evaluated = await hub.runtime.decisions.evaluate(at: DecisionTests.instant(minute: end))
            let recommendation = try #require(evaluated.recommendations.first { $0.kind == "canary" })
            let (_, body) = try await get(hub, "/v1/versions?service=cart")
            #expect(body["point_seconds"] as? Double == 3600)
            let versions = try #require(body["versions"] as? [[String: Any]])
            let verdict = try #require(
                versions.first { $0["version"] as? String == "2.0.0" }?["verdict"] as? [String: Any])
            // 5 canary hosts over 30 minutes are at most 10 host-hours, below the judge's minimum points: both
            // say INCONCLUSIVE (on minute points the evaluation would have said ROLLBACK).
            #expect(verdict["decision"] as? String == "INCONCLUSIVE")
            #expect(recommendation.action == verdict["decision"] as? String)
        }
    }
}
