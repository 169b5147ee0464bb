import Foundation
import GRDB
import VigilTestSupport

/// The second half of the oracle: every record by `(agent_id, stream_id, seq)`, events and samples alike, read
/// from the hub's store and from every agent database the run left (moved-aside damaged ones included). It needs
/// no ledger, so it covers the samples the agents take themselves, and it tells the hub's two dedupe paths
/// apart — the one the load generator cannot see (the hwm) and the one it can (event ids).
///
/// Per stream, with `hwm` the hub's high-water mark:
/// - **duplicated**: two stored rows with one seq (each extra row counts);
/// - **phantom**: a stored row of a stream no agent database knows, or with a seq beyond the last the agent
///   assigned in it;
/// - **lost**: a seq at or below the hwm that is not stored and not explained — by an event the hub skipped
///   as a repeat of a stored event id (`duplicate_events`), or by a gap no larger than what the agent's
///   `drop_oldest` dropped (`missing` ≤ the agent's `dropped`). A hub that acknowledges without storing makes
///   such holes: the agent deleted what was acknowledged and resumes past it.
/// - **refused**: holes explained by records the hub refused by authorization (DESIGN §8): acknowledged through
///   the batch but never stored, and counted per agent in `refusals` by the same commit. Neither lost nor
///   phantom; an agent's holes beyond its refusal count are still lost.
struct SeqAudit: Sendable, Codable {
    /// Rows checked, events and samples, at or below the streams' hwms.
    var events = 0
    var samples = 0
    var duplicated = 0
    var phantom = 0
    var lost = 0
    /// Records the hub skipped because their seq was at or below the hwm: the agent sent them again.
    var seqResendsSkipped: UInt64 = 0
    /// Of those, the ones the scenario's faults caused (the rest are the ``ResendProbe``'s).
    var seqResendsByFaults: UInt64 = 0
    /// Events the hub skipped because the same event was stored (an application retried it).
    var eventIDRetriesSkipped: UInt64 = 0
    /// Holes explained by the hub's refusals (authorization), over all agents.
    var refused = 0
    /// Rows of streams no agent database knows, when a power cut at `durability: normal` may have undone the very
    /// creation of an agent's database (its stream id with it): reported, not counted as phantoms.
    var forgottenStreamRows = 0
    /// Streams the hub holds, and agent databases found (a database that cannot be read is named here).
    var streams = 0
    var agentDatabases: [String] = []
    /// Up to five examples per kind, `agent/stream seq`.
    var examples: [String: [String]] = [:]

    /// No duplicated, phantom or lost record.
    var isSound: Bool { duplicated == 0 && phantom == 0 && lost == 0 }

    /// What an agent database says of its stream.
    struct AgentStream: Sendable {
        var streamID: Data
        /// The last seq the agent assigned in this stream (`next_seq` − 1).
        var lastSeq: Int64
        /// Records the agent dropped unshipped (`drop_oldest`).
        var dropped: Int64
    }

    /// Reads the hub database at `hubDatabase` and every agent database below `directory`. With
    /// `forgottenStreamsAllowed`, rows of a stream no agent database knows are counted apart, not as phantoms.
    /// `agentDatabases` names databases kept outside `directory` (a scenario's own mount), found with the copies a
    /// damaged one was moved to beside it.
    static func read(
        hubDatabase: String, directory: String, agentDatabases: [String] = [], forgottenStreamsAllowed: Bool = false
    ) throws -> SeqAudit {
        var audit = SeqAudit()
        var agentStreams: [Data: AgentStream] = [:]
        var unreadable = 0
        var paths = Set(agentDatabasePaths(below: directory))
        for path in agentDatabases where FileManager.default.fileExists(atPath: path) {
            let folder = (path as NSString).deletingLastPathComponent
            let name = (path as NSString).lastPathComponent
            paths.insert(path)
            for sibling in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where sibling.hasPrefix(name + ".corrupt-") && !sibling.hasSuffix("-wal") && !sibling.hasSuffix("-shm") {
                paths.insert("\(folder)/\(sibling)")
            }
        }
        try Fleet.readOnly(hubDatabase).read { db in
            let streams = try Row.fetchAll(
                db,
                sql: """
                    SELECT n.n, s.agent_id, s.stream_id, s.hwm, s.duplicates, s.duplicate_events, s.missing
                    FROM streams s JOIN stream_numbers n ON n.agent_id = s.agent_id AND n.stream_id = s.stream_id
                    """)
            audit.streams = streams.count
            var refusedLeft: [String: Int64] = [:]
            // A PostgreSQL snapshot copies the tables the audit reads; a store without refusals has no table.
            if try db.tableExists("refusals") {
                for row in try Row.fetchAll(db, sql: "SELECT agent_id, sum(records) FROM refusals GROUP BY agent_id") {
                    refusedLeft[row[0]] = row[1]
                }
            }
            // The agent databases are read after the hub's snapshot was taken (its first read above), so no seq the
            // snapshot holds can be newer than what the agents say they assigned: agents go on sampling meanwhile.
            for path in paths.sorted() {
                do {
                    let stream = try readAgent(path)
                    agentStreams[stream.streamID] = stream
                    audit.agentDatabases.append((path as NSString).lastPathComponent)
                } catch {
                    unreadable += 1
                    audit.agentDatabases.append("\((path as NSString).lastPathComponent) (unreadable: \(error))")
                }
            }
            for row in streams {
                let number: Int64 = row[0]
                let agentID: String = row[1]
                let streamID: Data = row[2]
                let hwm: Int64 = row[3]
                let seqSkips: Int64 = row[4]
                let eventSkips: Int64 = row[5]
                let missing: Int64 = row[6]
                audit.seqResendsSkipped += UInt64(max(0, seqSkips))
                audit.eventIDRetriesSkipped += UInt64(max(0, eventSkips))
                let name = "\(agentID)/\(streamID.prefix(4).map { String(format: "%02x", $0) }.joined())"
                let agent = agentStreams[streamID]
                var copies: [Int64: Int] = [:]
                for (table, isEvent) in [("events", true), ("samples", false)] {
                    let seqs = try Int64.fetchCursor(
                        db, sql: "SELECT seq FROM \(table) WHERE stream = ?", arguments: [number])
                    while let seq = try seqs.next() {
                        copies[seq, default: 0] += 1
                        if isEvent { audit.events += 1 } else { audit.samples += 1 }
                    }
                }
                if agent == nil && forgottenStreamsAllowed {
                    audit.forgottenStreamRows += copies.values.reduce(0, +)
                    audit.example("forgotten stream", name)
                    continue
                }
                for (seq, count) in copies {
                    if count > 1 {
                        audit.duplicated += count - 1
                        audit.example("duplicated", "\(name) \(seq)")
                    }
                    // A stream no readable database knows is a phantom only when every database could be read.
                    let unknown = agent == nil && unreadable == 0
                    if unknown || seq > (agent?.lastSeq ?? .max) || seq > hwm || seq < 1 {
                        audit.phantom += count
                        audit.example("phantom", "\(name) \(seq)")
                    }
                }
                let stored = copies.keys.lazy.filter { $0 >= 1 && $0 <= hwm }.count
                let holes = hwm - Int64(stored)
                let explainedGap = min(missing, agent?.dropped ?? 0)
                var unexplained = holes - eventSkips - explainedGap
                let refused = min(max(0, unexplained), refusedLeft[agentID] ?? 0)
                refusedLeft[agentID, default: 0] -= refused
                audit.refused += Int(refused)
                unexplained -= refused
                if unexplained > 0 {
                    audit.lost += Int(unexplained)
                    let firstHole = (1...max(1, hwm)).first { copies[$0] == nil } ?? 0
                    audit.example("lost", "\(name): \(unexplained) of seqs 1...\(hwm) (first hole \(firstHole))")
                }
            }
        }
        return audit
    }

    private mutating func example(_ kind: String, _ text: String) {
        if examples[kind, default: []].count < 5 { examples[kind, default: []].append(text) }
    }

    /// `agent-N.db` (or `agent-N/agent.db`) files and the `….corrupt-…` copies a damaged database was moved to, at
    /// any depth; not the power-cut injector's undo journals.
    static func agentDatabasePaths(below directory: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasPrefix("agent"), name.contains(".db"), !relative.contains(".undo/"),
                !["-wal", "-shm", "-journal", ".log"].contains(where: { name.hasSuffix($0) })
            else { continue }
            paths.append("\(directory)/\(relative)")
        }
        return paths.sorted()
    }

    /// What the agent database at `path` says of its stream.
    static func readAgent(_ path: String) throws -> AgentStream {
        try Fleet.readOnly(path).read { db in
            guard let streamID = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'stream_id'") else {
                throw AuditError(message: "no stream_id in meta")
            }
            let next = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'next_seq'") ?? 1
            let top = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM records") ?? 0
            let dropped = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'dropped'") ?? 0
            return AgentStream(streamID: streamID, lastSeq: max(next - 1, top), dropped: dropped)
        }
    }

    struct AuditError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
