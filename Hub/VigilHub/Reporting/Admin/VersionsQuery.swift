import VigilConfiguration

/// The query parameters of `GET /v1/versions` and `GET /v1/recommendations`, parsed and checked. Pure.
public struct VersionsQuery: Sendable, Hashable {
    /// The shortest window accepted.
    public static let minimumWindow: Duration = .seconds(60)
    /// The longest window accepted (the rollups are kept a year, but a verdict over more than 30 days
    /// says little about a canary).
    public static let maximumWindow: Duration = .seconds(30 * 86_400)

    /// `service=NAME`: required.
    public var service: String
    /// `window=30m`: the span to compare over; `nil` means `judge.window`.
    public var window: Duration?

    /// Parses `(name, value)` query pairs; a missing, unknown or bad parameter is an error naming it.
    public init(parameters: [(String, String)]) throws(AdminErrorBody) {
        var service: String?
        for (name, value) in parameters {
            switch name {
            case "service":
                guard !value.isEmpty, value.utf8.count <= 256 else {
                    throw AdminErrorBody(error: "service must be 1 to 256 bytes", parameter: name)
                }
                service = value
            case "window":
                guard let duration = ConfigurationValue.duration(value), duration >= Self.minimumWindow,
                    duration <= Self.maximumWindow
                else {
                    throw AdminErrorBody(
                        error: "window must be a duration from 1m to 30d such as 30m, 2h or 7d, "
                            + "got \"\(value.prefix(64))\"",
                        parameter: name)
                }
                window = duration
            default:
                throw AdminErrorBody(
                    error: "unknown parameter \"\(name.prefix(64))\"; /v1/versions takes service and window",
                    parameter: String(name.prefix(64)))
            }
        }
        guard let service else {
            throw AdminErrorBody(error: "service is required, e.g. /v1/versions?service=checkout", parameter: "service")
        }
        self.service = service
    }
}
