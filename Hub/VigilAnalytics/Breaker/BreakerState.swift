/// The three states of a circuit breaker.
public enum BreakerState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Calls flow; the window's rates and the run of failures are watched.
    case closed
    /// Calls should be refused until the open wait has passed.
    case open
    /// A limited number of trial calls decide between closed and open.
    case halfOpen = "half_open"
}
