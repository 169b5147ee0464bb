/// Why a sketch could not be merged or decoded.
///
/// A code a program can switch on, the byte offset where decoding stopped (when decoding), and a message
/// naming the field that is malformed and the value found.
public struct DDSketchError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of fault this is.
    public enum Code: String, Hashable, Sendable {
        /// The two sketches use different relative accuracies.
        case incompatibleAccuracy = "incompatible_accuracy"
        /// The input ended before a field was complete.
        case truncated
        /// The input does not start with the sketch magic bytes.
        case badMagic = "bad_magic"
        /// The format version is not one this code reads.
        case unsupportedVersion = "unsupported_version"
        /// A varint is longer than 10 bytes or overflows 64 bits.
        case malformedVarint = "malformed_varint"
        /// A header field (accuracy, bin limit, extremes, sum) is out of range.
        case invalidHeader = "invalid_header"
        /// A bin count, key or key order is invalid.
        case invalidBin = "invalid_bin"
        /// The counts add up to more than 2^64 − 1.
        case countOverflow = "count_overflow"
        /// Bytes remain after the last field.
        case trailingBytes = "trailing_bytes"
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the malformed field and the value found.
    public var message: String
    /// The byte offset in the serialized input where the fault was found, when decoding.
    public var offset: Int?

    /// Creates an error.
    public init(code: Code, message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    /// "sketch <code> at byte <offset>: <message>".
    public var description: String {
        if let offset { return "sketch \(code.rawValue) at byte \(offset): \(message)" }
        return "sketch \(code.rawValue): \(message)"
    }
}
