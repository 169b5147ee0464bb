import Foundation

/// The parts of `/v1/versions` and `/v1/recommendations` that `vigilctl` prints, decoded from the API's
/// snake_case keys (``decodeSnakeCase(_:from:)``). `--json` prints the body unchanged.
struct VersionsBody: Decodable {
    struct Latency: Decodable {
        var p50: Double?
        var p95: Double?
        var p99: Double?
    }

    struct NPS: Decodable {
        var score: Double?
        var responses: Int
    }

    struct ErrorCategory: Decodable {
        var category: String
        var last24h: Int
        var share: Double
        var previous24h: Int
        var trend: String
    }

    struct Evidence: Decodable {
        var metric: String
        var canaryN: Int
        var baselineN: Int
        var canaryMedian: Double?
        var baselineMedian: Double?
        var meanRatio: Double?
        var shift: Double?
        var ciLower: Double?
        var ciUpper: Double?
        var classification: String
        var criticalFailure: Bool
    }

    struct Verdict: Decodable {
        var decision: String
        var score: Double?
        var reason: String
        var baseline: String
        var evidence: [Evidence]
    }

    struct Version: Decodable {
        var version: String
        var isBaseline: Bool
        var events: Int
        var eventShare: Double
        var hosts: [String]
        var hostShare: Double
        var eventRate: Double
        var errorRate: Double?
        var latencyMs: Latency
        var cpuUtilization: Double?
        var memoryUtilization: Double?
        var queueDepth: Double?
        var nps: NPS
        var errorCategories: [ErrorCategory]
        var verdict: Verdict?
    }

    var service: String
    var windowSeconds: Double
    var baseline: String?
    var versions: [Version]
}

struct RecommendationsBody: Decodable {
    struct Recommendation: Decodable {
        var kind: String
        var service: String
        var version: String?
        var host: String?
        var action: String
        var reason: String
    }

    var evaluatedAt: String?
    var evaluations: Int
    var recommendations: [Recommendation]
}

/// Decodes an API body whose keys are snake_case.
func decodeSnakeCase<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws(HubClientError) -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
        return try decoder.decode(T.self, from: data)
    } catch {
        throw HubClientError("the hub's answer to \(path) is not the expected JSON")
    }
}
