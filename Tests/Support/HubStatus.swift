import Foundation

/// The parts of the hub's `/v1/status` that tests read, fetched with the built `vigilctl status --json`.
public struct HubStatus: Decodable, Sendable {
    /// Cumulative store counts.
    public struct Totals: Decodable, Sendable {
        /// Events stored.
        public var events: UInt64
        /// Duplicates skipped, both kinds.
        public var duplicates: UInt64
        /// Records skipped because their seq was already stored.
        public var duplicateSeqs: UInt64
        /// Events skipped because the same event was already stored.
        public var duplicateEvents: UInt64

        enum CodingKeys: String, CodingKey {
            case events, duplicates
            case duplicateSeqs = "duplicate_seqs"
            case duplicateEvents = "duplicate_events"
        }
    }

    /// `Reject`s sent, by code.
    public var rejects: [String: UInt64]
    /// Failed TLS handshakes.
    public var tlsHandshakeFailures: UInt64
    /// Failed TLS handshakes by reason, when the hub reports them.
    public var tlsHandshakeFailuresByReason: [String: UInt64]?
    /// Agents connected now.
    public var agentsConnected: Int
    /// This hub process's commits since it started.
    public struct Connections: Decodable, Sendable {
        /// Transactions committed.
        public var commits: UInt64
        /// Transactions that failed.
        public var commitFailures: UInt64

        enum CodingKeys: String, CodingKey {
            case commits
            case commitFailures = "commit_failures"
        }
    }

    /// Cumulative store counts.
    public var totals: Totals
    /// This process's commits (absent from hubs older than the field).
    public var connections: Connections?

    enum CodingKeys: String, CodingKey {
        case rejects, totals, connections
        case tlsHandshakeFailures = "tls_handshake_failures"
        case tlsHandshakeFailuresByReason = "tls_handshake_failures_by_reason"
        case agentsConnected = "agents_connected"
    }
}

extension Fleet {
    /// `vigilctl status --json` against this fleet's hub.
    public func hubStatus() throws -> HubStatus {
        let process = Process()
        process.executableURL = Daemon.binaryDirectory.appendingPathComponent("vigilctl")
        process.arguments = ["status", "--json"]
        process.environment = ["VIGIL_HUB": "http://127.0.0.1:\(adminPort)"]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("vigilctl status failed: \(String(decoding: message, as: UTF8.self))")
        }
        return try JSONDecoder().decode(HubStatus.self, from: data)
    }
}
