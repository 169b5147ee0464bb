import Logging
import Synchronization

/// Logs refused records at `warning` at most once per agent and minute, not per record: the first refusal of an
/// agent is logged at once, later ones within the minute are added up and reported by the next line after it.
/// Thread-safe; every connection reports to it.
public final class RefusalLog: Sendable {
    struct Pending: Sendable {
        var lastLoggedUnixNano: Int64
        var records = 0
        var reasons: [RefusalReason: Int] = [:]
        var services: Set<String> = []
    }

    /// How long after one line about an agent the next may come.
    public let interval: Duration
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let pending = Mutex<[String: Pending]>([:])

    /// A log writing to `logger`; `now` is the time in Unix ns.
    public init(
        logger: Logger, interval: Duration = .seconds(60), now: @escaping @Sendable () -> Int64
    ) {
        self.logger = logger
        self.interval = interval
        self.now = now
    }

    /// `refused` records of `agentID` were refused and acknowledged; `refusals` are the batch's refusals (for
    /// the reasons and services named in the line). Returns whether a line was written.
    @discardableResult
    public func note(agentID: String, refused: Int, refusals: [IncomingBatch.Refusal]) -> Bool {
        guard refused > 0 else { return false }
        let time = now()
        let gap = interval.components.seconds * 1_000_000_000
        let due: Pending? = pending.withLock { map in
            var entry = map[agentID] ?? Pending(lastLoggedUnixNano: .min)
            entry.records += refused
            for refusal in refusals {
                entry.reasons[refusal.reason, default: 0] += 1
                if entry.services.count < 8 { entry.services.insert(refusal.service) }
            }
            guard entry.lastLoggedUnixNano == .min || time - entry.lastLoggedUnixNano >= gap else {
                map[agentID] = entry
                return nil
            }
            map[agentID] = Pending(lastLoggedUnixNano: time)
            return entry
        }
        guard let due else { return false }
        logger.warning(
            "refused records of services this agent may not speak for",
            metadata: [
                "agent.id": "\(agentID)",
                "records.refused": "\(due.records)",
                "reasons":
                    "\(due.reasons.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: ","))",
                "services": "\(due.services.sorted().joined(separator: ","))",
                "since": due.lastLoggedUnixNano == .min
                    ? "first" : "\(Duration.nanoseconds(time - due.lastLoggedUnixNano))",
            ])
        return true
    }
}
