import Foundation
import Hummingbird
import NIOCore
import VigilAnalytics
import VigilConfiguration

// The decision routes of the admin API (issue #5 part 12): `GET /v1/versions?service=S[&window=30m]`
// computes the comparison from the rollups on request; `GET /v1/recommendations` returns the last
// evaluation's; `GET /v1/series` gives one series over a span from the rollups (SeriesQuery). Bodies use snake_case keys; a bad parameter is 400, an unknown service 404, both as JSON.

extension AdminServer {
    static func addDecisionRoutes(
        to router: Router<AdminRequestContext>, engine: DecisionEngine,
        recommendations: @escaping @Sendable () async -> RecommendationsReport, now: @escaping @Sendable () -> Int64,
        series reader: SeriesReader
    ) {
        router.get("/v1/versions") { request, _ -> Response in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let query = try VersionsQuery(parameters: pairs)
            let instant = Instant(nanosecondsSinceEpoch: now())
            guard let report = try await engine.versions(service: query.service, window: query.window, at: instant)
            else {
                let window = ConfigurationValue.render(query.window ?? engine.settings.judgeWindow)
                return try json(
                    AdminErrorBody(
                        error: "no data for service \"\(query.service.prefix(256))\" in the last \(window); "
                            + "services report through their agents' service label",
                        parameter: "service"),
                    status: .notFound)
            }
            return try snakeCaseJSON(report)
        }
        router.get("/v1/series") { request, _ -> Response in
            let pairs = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            let at = now()
            return try snakeCaseJSON(
                try await reader.report(SeriesQuery(parameters: pairs, nowUnixNano: at), nowUnixNano: at))
        }
        router.get("/v1/recommendations") { request, _ -> Response in
            try checkNoParameters(request)
            return try snakeCaseJSON(await recommendations())
        }
    }

    static func snakeCaseJSON(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(value)
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
