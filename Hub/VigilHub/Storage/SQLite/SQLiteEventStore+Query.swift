import Foundation
import GRDB

extension SQLiteEventStore {
    public func probeWritable() async throws(StoreError) {
        do {
            try await pool.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE")
                try db.execute(sql: "ROLLBACK")
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "take the write lock")
        }
    }

    public func totals() async throws(StoreError) -> StoreTotals {
        do {
            return try await pool.read { db in
                var totals = StoreTotals()
                if let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT coalesce(sum(events), 0), coalesce(sum(samples), 0), coalesce(sum(duplicates), 0),
                               coalesce(sum(duplicate_events), 0), coalesce(sum(gaps), 0), coalesce(sum(missing), 0),
                               count(*)
                        FROM streams
                        """)
                {
                    totals.events = Self.unsigned(row[0])
                    totals.samples = Self.unsigned(row[1])
                    totals.duplicateSeqs = Self.unsigned(row[2])
                    totals.duplicateEvents = Self.unsigned(row[3])
                    totals.gaps = Self.unsigned(row[4])
                    totals.missingRecords = Self.unsigned(row[5])
                    totals.streams = Self.unsigned(row[6])
                }
                if let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(connected != 0), 0) FROM agents")
                {
                    totals.agents = Self.unsigned(row[0])
                    totals.connectedAgents = Self.unsigned(row[1])
                }
                for row in try Row.fetchAll(db, sql: "SELECT agent_id, reason, records FROM refusals") {
                    totals.refusedByAgent[row[0], default: [:]][row[1]] = Self.unsigned(row[2])
                }
                return totals
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the totals")
        }
    }

    public func agents() async throws(StoreError) -> [AgentRecord] {
        do {
            return try await pool.read { db in
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT a.agent_id, a.hostname, a.agent_version, a.labels, a.connected, a.first_seen,
                               a.last_seen, a.newest_record, a.stream_id,
                               coalesce(sum(s.events + s.samples), 0), coalesce(sum(s.duplicates + s.duplicate_events), 0),
                               coalesce(sum(s.gaps), 0), count(s.stream_id)
                        FROM agents a LEFT JOIN streams s ON s.agent_id = a.agent_id
                        GROUP BY a.agent_id ORDER BY a.agent_id
                        """)
                var refusals: [String: [(reason: String, records: Int64, service: String, updated: Int64)]] = [:]
                for row in try Row.fetchAll(
                    db, sql: "SELECT agent_id, reason, records, last_service, updated FROM refusals")
                {
                    refusals[row[0], default: []].append((row[1], row[2], row[3], row[4]))
                }
                return rows.map { row in
                    var agent = AgentRecord(
                        agentID: row[0], hostname: row[1], agentVersion: row[2], labels: JSONText.decode(row[3]),
                        connected: (row[4] as Int64) != 0, firstSeenUnixNano: row[5], lastSeenUnixNano: row[6],
                        newestRecordUnixNano: row[7], streamID: row[8], records: Self.unsigned(row[9]),
                        duplicates: Self.unsigned(row[10]), gaps: Self.unsigned(row[11]),
                        streams: Self.unsigned(row[12]))
                    agent.applyRefusals(refusals[agent.agentID] ?? [])
                    return agent
                }
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "list agents")
        }
    }

    /// The stored high-water mark of one stream; 0 when the stream is unknown.
    public func highWaterMark(agentID: String, streamID: Data) async throws(StoreError) -> UInt64 {
        do {
            return try await pool.read { db in
                let hwm = try Int64.fetchOne(
                    db, sql: "SELECT hwm FROM streams WHERE agent_id = ? AND stream_id = ?",
                    arguments: [agentID, streamID])
                return UInt64(max(0, hwm ?? 0))
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read a stream's high-water mark")
        }
    }

    public func records(matching query: RecordQuery) async throws(StoreError) -> [StoredRecord] {
        do {
            return try await pool.read { db in
                let (sql, arguments) = Self.mergedSQL(query)
                return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.storedRecord)
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "query records")
        }
    }

    public func deleteRaw(olderThan cutoff: Int64, limit: Int) async throws(StoreError) -> Int {
        do {
            return try await pool.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM events WHERE rowid IN
                            (SELECT rowid FROM events WHERE time_unix_nano < ? ORDER BY time_unix_nano LIMIT ?)
                        """,
                    arguments: [cutoff, limit])
                var deleted = db.changesCount
                if deleted < limit {
                    try db.execute(
                        sql: """
                            DELETE FROM samples WHERE rowid IN
                                (SELECT rowid FROM samples WHERE time_unix_nano < ? ORDER BY time_unix_nano LIMIT ?)
                            """,
                        arguments: [cutoff, limit - deleted])
                    deleted += db.changesCount
                }
                return deleted
            }
        } catch {
            throw Self.classify(error, as: .write, doing: "delete expired records")
        }
    }

    /// One `UNION ALL` of events and samples, each side filtered on its own indexes, ordered by time.
    /// A sample's service and version are its own labels, or else the labels its agent sent in `Hello`.
    static func mergedSQL(_ query: RecordQuery) -> (String, StatementArguments) {
        var eventWhere: [String] = []
        var sampleWhere: [String] = []
        var eventArguments: [(any DatabaseValueConvertible)?] = []
        var sampleArguments: [(any DatabaseValueConvertible)?] = []
        let sampleService = "coalesce(json_extract(s.labels, '$.service'), json_extract(a.labels, '$.service'), '')"
        let sampleVersion = "coalesce(json_extract(s.labels, '$.version'), json_extract(a.labels, '$.version'), '')"
        func add(_ event: String, _ sample: String, _ value: (any DatabaseValueConvertible)?) {
            eventWhere.append(event)
            eventArguments.append(value)
            sampleWhere.append(sample)
            sampleArguments.append(value)
        }
        if let service = query.service { add("e.service = ?", "\(sampleService) = ?", service) }
        if let version = query.version { add("e.version = ?", "\(sampleVersion) = ?", version) }
        if let agent = query.agentID { add("e.agent_id = ?", "s.agent_id = ?", agent) }
        if let name = query.name { add("e.name = ?", "s.metric = ?", name) }
        if let from = query.fromUnixNano { add("e.time_unix_nano >= ?", "s.time_unix_nano >= ?", from) }
        if let to = query.toUnixNano { add("e.time_unix_nano < ?", "s.time_unix_nano < ?", to) }
        func clause(_ terms: [String]) -> String { terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND ") }
        let events = """
            SELECT 0 AS kind, e.time_unix_nano AS t, e.agent_id AS agent, e.seq AS seq, e.service, e.version,
                   e.name, e.outcome, e.duration_ms, e.error_category, NULL AS value, e.attributes AS map, e.event_id
            FROM events e\(clause(eventWhere))
            """
        let samples = """
            SELECT 1 AS kind, s.time_unix_nano AS t, s.agent_id AS agent, s.seq AS seq, \(sampleService),
                   \(sampleVersion), s.metric, NULL, NULL, NULL, s.value, s.labels, NULL
            FROM samples s LEFT JOIN agents a ON a.agent_id = s.agent_id\(clause(sampleWhere))
            """
        var parts: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if query.kinds != .samples {
            parts.append(events)
            arguments += eventArguments
        }
        if query.kinds != .events {
            parts.append(samples)
            arguments += sampleArguments
        }
        arguments.append(max(0, query.limit))
        let sql = "SELECT * FROM (\(parts.joined(separator: " UNION ALL "))) ORDER BY t, kind, agent, seq LIMIT ?"
        return (sql, StatementArguments(arguments))
    }

    static func storedRecord(_ row: Row) -> StoredRecord {
        let body: StoredRecord.Body
        if (row[0] as Int64) == 0 {
            body = .event(
                .init(
                    eventID: row[12] ?? Data(), name: row[6], outcome: row[7], durationMs: row[8],
                    errorCategory: row[9], attributes: JSONText.decode(row[11])))
        } else {
            body = .sample(.init(metric: row[6], value: row[10], labels: JSONText.decode(row[11])))
        }
        return StoredRecord(
            timeUnixNano: row[1], agentID: row[2], seq: UInt64(bitPattern: row[3]), service: row[4], version: row[5],
            body: body)
    }

    static func unsigned(_ value: Int64?) -> UInt64 {
        UInt64(max(0, value ?? 0))
    }
}
