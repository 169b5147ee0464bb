/// Why a length-prefixed frame could not be read.
///
/// Every rejection from the frame codec is one of these: a code a program can switch on, and a
/// message a person can act on, naming the length or the protobuf error.
public struct FrameError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of framing fault this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case zeroLength = "zero_length"
            case tooLarge = "too_large"
            case undecodable
            case truncated
        }

        fileprivate let base: Base

        /// The length prefix was 0, which no valid frame has.
        public static let zeroLength = Code(base: .zeroLength)
        /// The length prefix exceeded the receiver's `maxFrameBytes`.
        public static let tooLarge = Code(base: .tooLarge)
        /// The payload is not a valid protobuf message of the expected type.
        public static let undecodable = Code(base: .undecodable)
        /// The stream ended in the middle of a frame.
        public static let truncated = Code(base: .truncated)

        /// The code's stable snake_case name, as used in metrics labels.
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the length, limit or protobuf error.
    public var message: String
    /// The length prefix that was read, when there was one.
    public var length: UInt32?

    /// Creates an error; prefer the static constructors.
    public init(code: Code, message: String, length: UInt32? = nil) {
        self.code = code
        self.message = message
        self.length = length
    }

    public var description: String { "frame \(code): \(message)" }

    static func zeroLength() -> FrameError {
        FrameError(code: .zeroLength, message: "frame length is 0; every frame carries at least one byte", length: 0)
    }

    static func tooLarge(length: UInt32, limit: Int) -> FrameError {
        FrameError(
            code: .tooLarge,
            message: "frame length \(length) bytes exceeds the limit of \(limit) bytes",
            length: length
        )
    }

    static func undecodable(length: Int, type: String, cause: any Error) -> FrameError {
        FrameError(
            code: .undecodable,
            message: "frame of \(length) bytes is not a valid \(type): \(cause)",
            length: UInt32(truncatingIfNeeded: length)
        )
    }

    static func truncated(missing: Int) -> FrameError {
        FrameError(code: .truncated, message: "stream ended \(missing) bytes short of a complete frame")
    }
}
