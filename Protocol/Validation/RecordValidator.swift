/// Checks `Event`s and `Sample`s against ``RecordLimits``. Pure: no clock, no I/O.
///
/// The rules, each reported with the field it concerns:
/// - an event has a 16-byte `event_id`, a positive `time_unix_nano`, and non-empty `service`,
///   `version` and `name`; a sample a positive time and a non-empty `metric`;
/// - names are at most `maxNameBytes` and contain no control characters;
/// - maps have at most `maxMapEntries` entries, non-empty keys of at most `maxKeyBytes`, values of
///   at most `maxValueBytes`;
/// - numbers are finite; `duration_ms` is within 0...`maxDurationMs`; `outcome` is a known value.
public struct RecordValidator: Sendable {
    /// The bounds applied.
    public var limits: RecordLimits

    /// Creates a validator.
    public init(limits: RecordLimits = RecordLimits()) {
        self.limits = limits
    }

    /// Validates a record of either kind.
    public func validate(_ record: Vigil_V1_Record) throws(ValidationError) {
        switch record.body {
        case .event(let event): try validate(event)
        case .sample(let sample): try validate(sample)
        case nil: throw ValidationError(code: .missing, field: "record", message: "has neither an event nor a sample")
        }
    }

    /// Validates an event; `extraAttributes` counts attributes the caller will add (and has checked)
    /// without putting them in `event`, so the entry limit still holds for the stored record.
    public func validate(_ event: Vigil_V1_Event, extraAttributes: Int = 0) throws(ValidationError) {
        if event.eventID.count != WireProtocol.idBytes {
            throw ValidationError(
                code: .invalid,
                field: "event.event_id",
                message: "must be exactly \(WireProtocol.idBytes) bytes, got \(event.eventID.count)"
            )
        }
        try checkTime(event.timeUnixNano, field: "event.time_unix_nano")
        try checkName(event.service, field: "event.service", required: true)
        try checkName(event.version, field: "event.version", required: true)
        try checkName(event.name, field: "event.name", required: true)
        try checkName(event.errorCategory, field: "event.error_category", required: false)
        if case .UNRECOGNIZED(let raw) = event.outcome {
            throw ValidationError(
                code: .invalid, field: "event.outcome", message: "unknown outcome \(raw); use ok or error")
        }
        if !event.durationMs.isFinite || event.durationMs < 0 || event.durationMs > limits.maxDurationMs {
            throw ValidationError(
                code: .invalid,
                field: "event.duration_ms",
                message:
                    "must be a finite number of milliseconds in 0...\(Int(limits.maxDurationMs)), got \(event.durationMs)"
            )
        }
        try checkMap(event.attributes, field: "event.attributes", extra: extraAttributes)
    }

    /// Validates a sample.
    public func validate(_ sample: Vigil_V1_Sample) throws(ValidationError) {
        try checkTime(sample.timeUnixNano, field: "sample.time_unix_nano")
        try checkName(sample.metric, field: "sample.metric", required: true)
        if !sample.value.isFinite {
            throw ValidationError(
                code: .invalid, field: "sample.value", message: "must be a finite number, got \(sample.value)")
        }
        try checkMap(sample.labels, field: "sample.labels")
    }

    private func checkTime(_ nanos: Int64, field: String) throws(ValidationError) {
        if nanos <= 0 {
            throw ValidationError(
                code: .invalid, field: field, message: "must be a positive Unix time in nanoseconds, got \(nanos)")
        }
    }

    private func checkName(_ value: String, field: String, required: Bool) throws(ValidationError) {
        if value.isEmpty {
            if required { throw ValidationError(code: .missing, field: field, message: "is required") }
            return
        }
        let bytes = value.utf8.count
        if bytes > limits.maxNameBytes {
            throw ValidationError(
                code: .tooLarge,
                field: field,
                message: "is \(bytes) bytes; the limit is \(limits.maxNameBytes)"
            )
        }
        if Self.containsControlCharacter(value) {
            throw ValidationError(code: .invalid, field: field, message: "contains control characters")
        }
    }

    /// Whether `value` holds a character of general category Cc (U+0000–U+001F, U+007F–U+009F), found
    /// on the UTF-8 bytes: this runs for every name of every record, on the agent and the hub, and the
    /// Unicode property lookup per scalar cost more than the rest of the validation.
    static func containsControlCharacter(_ value: String) -> Bool {
        var previous: UInt8 = 0
        for byte in value.utf8 {
            // 0xC2 only ever leads a two-byte sequence; 0xC2 0x80...0x9F encodes U+0080...U+009F.
            if byte < 0x20 || byte == 0x7F || (previous == 0xC2 && byte <= 0x9F && byte >= 0x80) { return true }
            previous = byte
        }
        return false
    }

    private func checkMap(_ map: [String: String], field: String, extra: Int = 0) throws(ValidationError) {
        if map.count + extra > limits.maxMapEntries {
            throw ValidationError(
                code: .tooLarge,
                field: field,
                message: "has \(map.count + extra) entries; the limit is \(limits.maxMapEntries)"
            )
        }
        for (key, value) in map {
            let keyBytes = key.utf8.count
            if keyBytes == 0 {
                throw ValidationError(code: .missing, field: field, message: "has an empty key")
            }
            if keyBytes > limits.maxKeyBytes {
                throw ValidationError(
                    code: .tooLarge,
                    field: "\(field) key",
                    message: "a key is \(keyBytes) bytes; the limit is \(limits.maxKeyBytes)"
                )
            }
            if value.utf8.count > limits.maxValueBytes {
                throw ValidationError(
                    code: .tooLarge,
                    field: "\(field)[\"\(key.prefix(64))\"]",
                    message: "value is \(value.utf8.count) bytes; the limit is \(limits.maxValueBytes)"
                )
            }
        }
    }
}
