/// Why a record was refused. The message names the field and the value's fault, never the value of
/// an attribute (which may be sensitive), so it is safe to log and to send back to the producer.
public struct ValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of rule that was broken.
    public enum Code: String, Hashable, Sendable {
        /// A required field is empty.
        case missing
        /// A string, map or number exceeds its bound.
        case tooLarge = "too_large"
        /// A value has the wrong shape (length of an id, NaN, negative duration, control characters).
        case invalid
        /// The record is for a service this agent may not speak for (its certificate's `vigil:service:` names).
        case unauthorized
    }

    /// The rule that was broken.
    public var code: Code
    /// The field's path, e.g. `event.attributes["region"]`.
    public var field: String
    /// What is wrong, in words a producer can act on.
    public var message: String

    /// Creates an error.
    public init(code: Code, field: String, message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
