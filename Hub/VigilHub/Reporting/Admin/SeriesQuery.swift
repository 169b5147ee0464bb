import Foundation
import VigilAnalytics
import VigilConfiguration

/// The query parameters of `GET /v1/series`, parsed and checked against the time of the request. Pure.
///
/// `name` (required), `service` (required), `version`, `host`, `by` (`service`, `version` or `host`; default
/// `version`, or `host` when `host` is given), `from` and `to` (RFC 3339, Unix seconds, `now` or `now-1h`;
/// default the last hour), `step` (a whole number of minutes from 1m to 1d; default 1m).
///
/// The step answered is the smallest of `steps` that is at least the one asked for, keeps a line at most
/// `maximumPoints` long, and, for a span over `minuteCellSpan`, is a whole number of hours so that hour cells
/// answer it; the report states both.
public struct SeriesQuery: Sendable, Hashable {
    /// The steps answered, in minutes.
    public static let steps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440]
    /// The most points one line has.
    public static let maximumPoints: Int64 = 1440
    /// The longest span answered from minute cells.
    public static let minuteCellSpan: Duration = .seconds(86_400)
    /// The longest span accepted.
    public static let maximumSpan: Duration = .seconds(400 * 86_400)

    /// The series.
    public var name: SeriesName
    /// The service.
    public var service: String
    /// Only this version.
    public var version: String?
    /// Only this host.
    public var host: String?
    /// How lines are split.
    public var grouping: SeriesGrouping
    /// The span's start and end (Unix ns).
    public var fromUnixNano: Int64
    /// The span's end (Unix ns).
    public var toUnixNano: Int64
    /// The step asked for, in minutes.
    public var requestedStepMinutes: Int64
    /// The step answered, in minutes.
    public var stepMinutes: Int64
    /// When the query was asked (Unix ns).
    public var nowUnixNano: Int64

    /// Whether hour cells answer the query.
    public var resolution: RollupResolution { stepMinutes % 60 == 0 ? .hour : .minute }

    /// The buckets of the answer.
    public var buckets: SeriesBuckets {
        SeriesBuckets(
            fromUnixNano: fromUnixNano, toUnixNano: toUnixNano, stepMinutes: stepMinutes, nowUnixNano: nowUnixNano)
    }

    /// Parses `(name, value)` query pairs at `nowUnixNano`; a missing, unknown or bad parameter is an error
    /// naming it and the accepted form.
    public init(parameters: [(String, String)], nowUnixNano: Int64) throws(AdminErrorBody) {
        var name: SeriesName?
        var service: String?
        var grouping: SeriesGrouping?
        var from: Int64?
        var to: Int64?
        var step: Int64 = 1
        var seen: Set<String> = []
        for (key, value) in parameters {
            guard seen.insert(key).inserted else {
                throw AdminErrorBody(error: "\(key.prefix(64)) is given twice", parameter: String(key.prefix(64)))
            }
            switch key {
            case "name":
                guard let parsed = SeriesName(rawValue: value) else {
                    throw AdminErrorBody(
                        error: "name must be one of \(SeriesName.allCases.map(\.rawValue).joined(separator: ", ")); "
                            + "got \"\(value.prefix(64))\"",
                        parameter: key)
                }
                name = parsed
            case "service": service = try Self.label(value, key)
            case "version": version = try Self.label(value, key)
            case "host": host = try Self.label(value, key)
            case "by":
                guard let parsed = SeriesGrouping(rawValue: value) else {
                    throw AdminErrorBody(
                        error: "by must be service, version or host; got \"\(value.prefix(64))\"", parameter: key)
                }
                grouping = parsed
            case "from": from = try Self.time(value, key, nowUnixNano: nowUnixNano)
            case "to": to = try Self.time(value, key, nowUnixNano: nowUnixNano)
            case "step":
                guard let duration = ConfigurationValue.duration(value), duration >= .seconds(60),
                    duration <= .seconds(86_400), duration.components.seconds % 60 == 0,
                    duration.components.attoseconds == 0
                else {
                    throw AdminErrorBody(
                        error:
                            "step must be whole minutes from 1m to 1d such as 1m, 5m or 1h; got \"\(value.prefix(64))\"",
                        parameter: key)
                }
                step = duration.components.seconds / 60
            default:
                throw AdminErrorBody(
                    error: "unknown parameter \"\(key.prefix(64))\"; /v1/series takes name, service, version, host, "
                        + "by, from, to and step",
                    parameter: String(key.prefix(64)))
            }
        }
        guard let name else {
            throw AdminErrorBody(
                error: "name is required, e.g. /v1/series?name=error_rate&service=checkout", parameter: "name")
        }
        guard let service else {
            throw AdminErrorBody(
                error: "service is required, e.g. /v1/series?name=error_rate&service=checkout", parameter: "service")
        }
        let end = to ?? nowUnixNano
        let start = from ?? (end - 3_600_000_000_000)
        guard start < end else {
            throw AdminErrorBody(error: "from must be before to", parameter: from == nil ? "to" : "from")
        }
        let span = end - start
        guard span <= Self.maximumSpan.nanoseconds else {
            throw AdminErrorBody(error: "the span from from to to must be at most 400d", parameter: "from")
        }
        self.name = name
        self.service = service
        self.grouping = grouping ?? (host == nil ? .version : .host)
        self.fromUnixNano = start
        self.toUnixNano = end
        self.requestedStepMinutes = step
        self.nowUnixNano = nowUnixNano
        let spanMinutes = (span + 59_999_999_999) / 60_000_000_000
        let least = max(
            step, (spanMinutes + Self.maximumPoints - 1) / Self.maximumPoints,
            span > Self.minuteCellSpan.nanoseconds ? 60 : 1)
        self.stepMinutes = Self.steps.first { $0 >= least } ?? Self.steps[Self.steps.count - 1]
    }

    static func label(_ value: String, _ key: String) throws(AdminErrorBody) -> String {
        guard !value.isEmpty, value.utf8.count <= 256 else {
            throw AdminErrorBody(error: "\(key) must be 1 to 256 bytes", parameter: key)
        }
        return value
    }

    /// RFC 3339 (`2026-12-02T10:00:00Z`), Unix seconds (`1764669600`), `now`, or `now-` and a duration.
    static func time(_ value: String, _ key: String, nowUnixNano: Int64) throws(AdminErrorBody) -> Int64 {
        if value == "now" { return nowUnixNano }
        if value.hasPrefix("now-"), let back = ConfigurationValue.duration(String(value.dropFirst(4))),
            back <= .seconds(100 * 365 * 86_400)
        {
            return nowUnixNano - back.nanoseconds
        }
        if let seconds = Int64(value), seconds >= 0, seconds < 100_000_000_000 {
            return seconds * 1_000_000_000
        }
        if let date = try? Date(value, strategy: .iso8601), date.timeIntervalSince1970 >= 0 {
            return Int64(date.timeIntervalSince1970 * 1e9)
        }
        throw AdminErrorBody(
            error: "\(key) must be RFC 3339 (2026-12-02T10:00:00Z), Unix seconds, now or now-1h; "
                + "got \"\(value.prefix(64))\"",
            parameter: key)
    }
}
