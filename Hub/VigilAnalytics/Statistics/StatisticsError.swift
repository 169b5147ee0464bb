/// Why a statistical test could not be computed from its input.
public struct StatisticsError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of fault this is.
    public enum Code: String, Hashable, Sendable {
        /// A sample has no values.
        case emptySample = "empty_sample"
        /// A sample holds NaN or an infinity.
        case nonFiniteValue = "non_finite_value"
        /// The confidence level is not strictly between 0 and 1.
        case invalidConfidenceLevel = "invalid_confidence_level"
    }

    /// What went wrong.
    public var code: Code
    /// A sentence naming the sample, index or value at fault.
    public var message: String

    /// Creates an error.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// "statistics <code>: <message>".
    public var description: String { "statistics \(code.rawValue): \(message)" }
}
