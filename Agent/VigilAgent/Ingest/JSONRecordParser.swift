import Foundation
import VigilProtocol

/// Parses one JSON-lines ingest line (DESIGN §3) into a `Record`. Pure.
///
/// An object with `metric` is a sample (`time_unix_nano`, `metric`, `value`, `labels`); anything else
/// is an event (`event_id` as 32 hex digits, `time_unix_nano`, `service`, `version`, `name`,
/// `outcome` as `"ok"`/`"error"`, `duration_ms`, `error_category`, `attributes`). Unknown keys and
/// values of the wrong type are errors naming the key.
public enum JSONRecordParser {
    static let eventKeys: Set<String> = [
        "event_id", "time_unix_nano", "service", "version", "name", "outcome", "duration_ms", "error_category",
        "attributes",
    ]
    static let sampleKeys: Set<String> = ["time_unix_nano", "metric", "value", "labels"]

    /// Parses `line` (without its newline).
    public static func parse(_ line: some Collection<UInt8>) throws(ValidationError) -> Vigil_V1_Record {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw ValidationError(code: .invalid, field: "line", message: "must be a JSON object")
            }
            object = parsed
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError(code: .invalid, field: "line", message: "is not valid JSON")
        }
        var record = Vigil_V1_Record()
        if object["metric"] != nil {
            try rejectUnknown(object, allowed: sampleKeys, kind: "a sample")
            var sample = Vigil_V1_Sample()
            sample.timeUnixNano = try int64(object, "time_unix_nano") ?? 0
            sample.metric = try string(object, "metric") ?? ""
            sample.value = try double(object, "value") ?? 0
            sample.labels = try stringMap(object, "labels")
            record.sample = sample
        } else {
            try rejectUnknown(object, allowed: eventKeys, kind: "an event")
            var event = Vigil_V1_Event()
            if let hex = try string(object, "event_id") {
                guard let id = Self.hexBytes(hex) else {
                    throw ValidationError(code: .invalid, field: "event_id", message: "must be 32 hexadecimal digits")
                }
                event.eventID = id
            }
            event.timeUnixNano = try int64(object, "time_unix_nano") ?? 0
            event.service = try string(object, "service") ?? ""
            event.version = try string(object, "version") ?? ""
            event.name = try string(object, "name") ?? ""
            switch try string(object, "outcome") {
            case nil, "unspecified": event.outcome = .unspecified
            case "ok": event.outcome = .ok
            case "error": event.outcome = .error
            case let other?:
                throw ValidationError(
                    code: .invalid, field: "outcome",
                    message: "must be \"ok\" or \"error\", got \"\(other.prefix(32))\"")
            }
            event.durationMs = try double(object, "duration_ms") ?? 0
            event.errorCategory = try string(object, "error_category") ?? ""
            event.attributes = try stringMap(object, "attributes")
            record.event = event
        }
        return record
    }

    private static func rejectUnknown(
        _ object: [String: Any], allowed: Set<String>, kind: String
    ) throws(ValidationError) {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw ValidationError(
                code: .invalid,
                field: String(unknown.prefix(64)),
                message: "is not a field of \(kind) (fields: \(allowed.sorted().joined(separator: ", ")))"
            )
        }
    }

    private static func string(_ object: [String: Any], _ key: String) throws(ValidationError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else {
            throw ValidationError(code: .invalid, field: key, message: "must be a string")
        }
        return text
    }

    private static func number(_ object: [String: Any], _ key: String) throws(ValidationError) -> NSNumber? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        // JSONSerialization gives booleans as NSNumber too; refuse them by their boolean encoding ("c").
        // `value is Bool` cannot tell them apart: it bridges the numbers 0 and 1 to Bool as well.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else {
            throw ValidationError(code: .invalid, field: key, message: "must be a number")
        }
        return number
    }

    private static func double(_ object: [String: Any], _ key: String) throws(ValidationError) -> Double? {
        try number(object, key)?.doubleValue
    }

    private static func int64(_ object: [String: Any], _ key: String) throws(ValidationError) -> Int64? {
        guard let number = try number(object, key) else { return nil }
        let double = number.doubleValue
        guard double.rounded() == double, abs(double) < 9.3e18 else {
            throw ValidationError(code: .invalid, field: key, message: "must be an integer number of nanoseconds")
        }
        return number.int64Value
    }

    private static func stringMap(_ object: [String: Any], _ key: String) throws(ValidationError) -> [String: String] {
        guard let value = object[key], !(value is NSNull) else { return [:] }
        guard let map = value as? [String: Any] else {
            throw ValidationError(code: .invalid, field: key, message: "must be an object of strings")
        }
        var result: [String: String] = [:]
        for (name, item) in map {
            guard let text = item as? String else {
                throw ValidationError(code: .invalid, field: "\(key).\(name.prefix(64))", message: "must be a string")
            }
            result[name] = text
        }
        return result
    }

    static func hexBytes(_ hex: String) -> Data? {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return nil }
        var bytes = Data(capacity: 16)
        for i in stride(from: 0, to: 32, by: 2) {
            guard let high = hexValue(utf8[i]), let low = hexValue(utf8[i + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
