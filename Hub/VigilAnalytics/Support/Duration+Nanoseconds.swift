// Duration+Nanoseconds: the conversions Instant arithmetic and reason texts need.

extension Duration {
    /// The duration in whole nanoseconds (sub-nanosecond parts dropped).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds as a double.
    var secondsValue: Double {
        Double(nanoseconds) / 1e9
    }
}
