// Instant+Codable: instants persist as their integer nanoseconds since the epoch, so saved alert state
// round-trips exactly.

extension Instant: Codable {
    /// Decodes an instant from an integer of nanoseconds since the epoch.
    public init(from decoder: any Decoder) throws {
        self.init(nanosecondsSinceEpoch: try decoder.singleValueContainer().decode(Int64.self))
    }

    /// Encodes the instant as an integer of nanoseconds since the epoch.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(nanosecondsSinceEpoch)
    }
}
