/// `vigil-agent status --check`: whether the agent runs and reaches a hub, for a liveness probe or a
/// monitoring check.
///
/// Invariants:
/// - **Running** means the status document is fresh: the agent rewrites it once a second, so one older than
///   ``AgentStatus/staleAfter`` belongs to an agent that stopped, hung or cannot write its database.
/// - **Reaching a hub** means connected now, or acknowledged within `hubSilence`; an agent that has not
///   been acknowledged yet gets `hubSilence` from its start. Samples flow every interval, so a connected,
///   healthy agent is acknowledged often even when no application writes.
extension AgentStatus {
    /// Older than this, the document is not from a running agent.
    public static let staleAfter = Duration.seconds(10)

    /// What is wrong, in one line each; empty when healthy. `notRunning` is true when the agent itself is not.
    public func problems(nowUnixNano: Int64, hubSilence: Duration) -> (notRunning: Bool, lines: [String]) {
        let age = Double(nowUnixNano - updatedUnixNano) / 1e9
        if nowUnixNano - updatedUnixNano > Self.staleAfter.nanoseconds {
            return (
                true,
                [
                    "not running: its status was last written \(Self.seconds(age)) ago by pid \(pid)"
                        + " (a running agent writes it every second)"
                ]
            )
        }
        if shipper.connectedEndpoint != nil { return (false, []) }
        let limit = hubSilence.nanoseconds
        // Not acknowledged yet: the silence counts from the start.
        let since = shipper.lastAckUnixNano ?? startedUnixNano
        if nowUnixNano - since <= limit { return (false, []) }
        let silent = Self.seconds(Double(nowUnixNano - since) / 1e9)
        let what =
            shipper.lastAckUnixNano == nil
            ? "no hub reached since the agent started \(silent) ago" : "no hub reached for \(silent)"
        return (
            false,
            [
                what + " (limit \(Self.seconds(Double(limit) / 1e9)))"
                    + (shipper.lastError.map { "; last error: \($0)" } ?? "")
            ]
        )
    }

    private static func seconds(_ value: Double) -> String {
        value >= 120 ? "\(Int(value / 60)) min" : "\(Int(value.rounded())) s"
    }
}
