// AlertComparison: how a series value is compared with a rule's thresholds.

/// `>`, `>=`, `<` or `<=`: the value on the left, the threshold on the right.
public enum AlertComparison: String, Sendable, Hashable, CaseIterable, Codable {
    /// Above the threshold.
    case greater = ">"
    /// At or above the threshold.
    case greaterOrEqual = ">="
    /// Below the threshold.
    case less = "<"
    /// At or below the threshold.
    case lessOrEqual = "<="

    /// Whether `value` compared with `threshold` holds. NaN never holds.
    public func holds(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greater: return value > threshold
        case .greaterOrEqual: return value >= threshold
        case .less: return value < threshold
        case .lessOrEqual: return value <= threshold
        }
    }

    /// Whether `a` is a stricter threshold than `b` for this comparison (further in its direction).
    public func isStricter(_ a: Double, than b: Double) -> Bool {
        switch self {
        case .greater, .greaterOrEqual: return a > b
        case .less, .lessOrEqual: return a < b
        }
    }
}
