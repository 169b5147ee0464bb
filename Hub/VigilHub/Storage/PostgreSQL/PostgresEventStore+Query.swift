import Foundation
import Logging
import NIOCore
import PostgresNIO

// Reads of the PostgreSQL store, and retention. Reads run on any pooled connection beside the commits (MVCC
// snapshots: they never block ingest), so every replica answers the same.

extension PostgresEventStore {
    public func probeWritable() async throws(StoreError) {
        let answer: (Bool, String)?
        do {
            answer = try await pool.query(
                "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')"
            ).decode((Bool, String).self).first
        } catch {
            throw Self.classify(error, as: .write, doing: "ask whether the server takes writes")
        }
        if let (recovering, readOnly) = answer, recovering || readOnly == "on" {
            throw StoreError(
                code: .write,
                message: "\(location) does not take writes (\(recovering ? "a standby in recovery" : "read-only"))")
        }
    }

    public func totals() async throws(StoreError) -> StoreTotals {
        try await readTotals()
    }

    public func agents() async throws(StoreError) -> [AgentRecord] {
        try await readAgents()
    }

    public func records(matching query: RecordQuery) async throws(StoreError) -> [StoredRecord] {
        try await readRecords(matching: query)
    }

    private func readTotals() async throws(StoreError) -> StoreTotals {
        do {
            var totals = StoreTotals()
            let streams = try await pool.query(
                """
                SELECT coalesce(sum(events), 0)::bigint, coalesce(sum(samples), 0)::bigint,
                       coalesce(sum(duplicates), 0)::bigint, coalesce(sum(duplicate_events), 0)::bigint,
                       coalesce(sum(gaps), 0)::bigint, coalesce(sum(missing), 0)::bigint, count(*)
                FROM streams
                """)
            for (e, s, d, de, g, m, n) in try streams.decode(
                (Int64, Int64, Int64, Int64, Int64, Int64, Int64).self)
            {
                totals.events = Self.unsigned(e)
                totals.samples = Self.unsigned(s)
                totals.duplicateSeqs = Self.unsigned(d)
                totals.duplicateEvents = Self.unsigned(de)
                totals.gaps = Self.unsigned(g)
                totals.missingRecords = Self.unsigned(m)
                totals.streams = Self.unsigned(n)
            }
            let agents = try await pool.query(
                "SELECT count(*), count(connected_hub) FROM agents")
            for (all, connected) in try agents.decode((Int64, Int64).self) {
                totals.agents = Self.unsigned(all)
                totals.connectedAgents = Self.unsigned(connected)
            }
            let refused = try await pool.query("SELECT agent_id, reason, records FROM refusals")
            for (agent, reason, records) in try refused.decode((String, String, Int64).self) {
                totals.refusedByAgent[agent, default: [:]][reason] = Self.unsigned(records)
            }
            return totals
        } catch {
            throw Self.classify(error, as: .read, doing: "read the totals")
        }
    }

    private func readAgents() async throws(StoreError) -> [AgentRecord] {
        do {
            let rows = try await pool.query(
                """
                SELECT a.agent_id, a.hostname, a.agent_version, a.labels, a.connected_hub IS NOT NULL, a.first_seen,
                       a.last_seen, a.newest_record, a.stream_id,
                       coalesce(sum(s.events + s.samples), 0)::bigint,
                       coalesce(sum(s.duplicates + s.duplicate_events), 0)::bigint,
                       coalesce(sum(s.gaps), 0)::bigint, count(s.stream_id)
                FROM agents a LEFT JOIN streams s ON s.agent_id = a.agent_id
                GROUP BY a.agent_id ORDER BY a.agent_id
                """)
            var refusals: [String: [(reason: String, records: Int64, service: String, updated: Int64)]] = [:]
            let refusalRows = try await pool.query(
                "SELECT agent_id, reason, records, last_service, updated FROM refusals")
            for (agent, reason, records, service, updated) in try refusalRows.decode(
                (String, String, Int64, String, Int64).self)
            {
                refusals[agent, default: []].append((reason, records, service, updated))
            }
            var agents: [AgentRecord] = []
            for row in rows.rows {
                let (id, hostname, version, labels, connected, first, last) = try row.decode(
                    (String, String, String, String, Bool, Int64, Int64).self)
                let columns = row.makeRandomAccess()
                let newest = try columns[7].decode(Int64?.self)
                let stream = try columns[8].decode(ByteBuffer?.self)
                let records = try columns[9].decode(Int64.self)
                let duplicates = try columns[10].decode(Int64.self)
                let gaps = try columns[11].decode(Int64.self)
                let streams = try columns[12].decode(Int64.self)
                var agent = AgentRecord(
                    agentID: id, hostname: hostname, agentVersion: version, labels: JSONText.decode(labels),
                    connected: connected, firstSeenUnixNano: first, lastSeenUnixNano: last,
                    newestRecordUnixNano: newest, streamID: stream.map { Data(buffer: $0) },
                    records: Self.unsigned(records), duplicates: Self.unsigned(duplicates),
                    gaps: Self.unsigned(gaps), streams: Self.unsigned(streams))
                agent.applyRefusals(refusals[id] ?? [])
                agents.append(agent)
            }
            return agents
        } catch {
            throw Self.classify(error, as: .read, doing: "list agents")
        }
    }

    /// The stored high-water mark of one stream; 0 when the stream is unknown.
    public func highWaterMark(agentID: String, streamID: Data) async throws(StoreError) -> UInt64 {
        do {
            let rows = try await pool.query(
                """
                SELECT hwm FROM streams WHERE agent_id = \(Self.text(agentID)) AND stream_id = \(ByteBuffer(bytes: streamID))
                """)
            for hwm in try rows.decode(Int64.self) { return UInt64(max(0, hwm)) }
            return 0
        } catch {
            throw Self.classify(error, as: .read, doing: "read a stream's high-water mark")
        }
    }

    private func readRecords(matching query: RecordQuery) async throws(StoreError) -> [StoredRecord] {
        do {
            var bindings = PostgresBindings()
            let sql = Self.mergedSQL(query, bindings: &bindings)
            let rows = try await pool.query(PostgresQuery(unsafeSQL: sql, binds: bindings))
            var records: [StoredRecord] = []
            for row in rows.rows {
                let c = row.makeRandomAccess()
                let kind = try c[0].decode(Int32.self)
                let body: StoredRecord.Body
                if kind == 0 {
                    body = .event(
                        .init(
                            eventID: Data(buffer: try c[12].decode(ByteBuffer.self)),
                            name: try c[6].decode(String.self),
                            outcome: Int(try c[7].decode(Int32.self)), durationMs: try c[8].decode(Double.self),
                            errorCategory: try c[9].decode(String.self),
                            attributes: JSONText.decode(try c[11].decode(String?.self))))
                } else {
                    body = .sample(
                        .init(
                            metric: try c[6].decode(String.self), value: try c[10].decode(Double.self),
                            labels: JSONText.decode(try c[11].decode(String?.self))))
                }
                records.append(
                    StoredRecord(
                        timeUnixNano: try c[1].decode(Int64.self), agentID: try c[2].decode(String.self),
                        seq: UInt64(bitPattern: try c[3].decode(Int64.self)), service: try c[4].decode(String.self),
                        version: try c[5].decode(String.self), body: body))
            }
            return records
        } catch {
            throw Self.classify(error, as: .read, doing: "query records")
        }
    }

    /// Drops the oldest day partition of events, then of samples, entirely older than `cutoff`, or else deletes
    /// up to `limit` such rows from the default partitions (see ``PostgresPartitions``); also forgets the
    /// breakers' call rows older than an hour. Returns the rows removed.
    /// Makes the partitions of today and the next days (a commit makes one itself if a record needs it first).
    public func prepareAhead(at nowUnixNano: Int64) async throws(StoreError) {
        do {
            try await partitions.makeAhead(
                today: nowUnixNano / 86_400_000_000_000, pool: pool, logger: logger)
        } catch {
            throw Self.classify(error, as: .write, doing: "make the coming days' partitions")
        }
    }

    public func deleteRaw(olderThan cutoff: Int64, limit: Int) async throws(StoreError) -> Int {
        do {
            var deleted = try await partitions.expire(
                .events, before: cutoff, limit: limit, pool: pool, logger: logger)
            if deleted < limit {
                deleted += try await partitions.expire(
                    .samples, before: cutoff, limit: limit - deleted, pool: pool, logger: logger)
            }
            try await PostgresCalls.expire(
                before: Int64(Date().timeIntervalSince1970 * 1e9) - 3_600_000_000_000, pool: pool, logger: logger)
            return deleted
        } catch {
            throw Self.classify(error, as: .write, doing: "delete expired records")
        }
    }

    /// One `UNION ALL` of events and samples, each side filtered on its own indexes, ordered by time, with the
    /// filter values bound (never spliced). A sample's service and version are its own labels, or else those its
    /// agent sent in `Hello`.
    static func mergedSQL(_ query: RecordQuery, bindings: inout PostgresBindings) -> String {
        var eventWhere: [String] = []
        var sampleWhere: [String] = []
        let sampleService = "coalesce(s.labels::jsonb ->> 'service', a.labels::jsonb ->> 'service', '')"
        let sampleVersion = "coalesce(s.labels::jsonb ->> 'version', a.labels::jsonb ->> 'version', '')"
        func bind(_ value: String) -> String {
            bindings.append(text(value))
            return "$\(bindings.count)"
        }
        func bind(_ value: Int64) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        func add(_ event: String, _ sample: String, _ placeholder: String) {
            eventWhere.append("\(event) = \(placeholder)")
            sampleWhere.append("\(sample) = \(placeholder)")
        }
        if let service = query.service { add("e.service", sampleService, bind(service)) }
        if let version = query.version { add("e.version", sampleVersion, bind(version)) }
        if let agent = query.agentID { add("e.agent_id", "s.agent_id", bind(agent)) }
        if let name = query.name { add("e.name", "s.metric", bind(name)) }
        if let from = query.fromUnixNano {
            let p = bind(from)
            eventWhere.append("e.time_unix_nano >= \(p)")
            sampleWhere.append("s.time_unix_nano >= \(p)")
        }
        if let to = query.toUnixNano {
            let p = bind(to)
            eventWhere.append("e.time_unix_nano < \(p)")
            sampleWhere.append("s.time_unix_nano < \(p)")
        }
        func clause(_ terms: [String]) -> String { terms.isEmpty ? "" : " WHERE " + terms.joined(separator: " AND ") }
        let events = """
            SELECT 0 AS kind, e.time_unix_nano AS t, e.agent_id AS agent, e.seq AS seq, e.service AS service,
                   e.version AS version, e.name AS name, e.outcome::int AS outcome, e.duration_ms AS duration,
                   e.error_category AS category, NULL::float8 AS value, e.attributes AS map, e.event_id AS id
            FROM events e\(clause(eventWhere))
            """
        let samples = """
            SELECT 1 AS kind, s.time_unix_nano AS t, s.agent_id AS agent, s.seq AS seq, \(sampleService) AS service,
                   \(sampleVersion) AS version, s.metric AS name, NULL::int AS outcome, NULL::float8 AS duration,
                   NULL::text AS category, s.value AS value, s.labels AS map, NULL::bytea AS id
            FROM samples s LEFT JOIN agents a ON a.agent_id = s.agent_id\(clause(sampleWhere))
            """
        var parts: [String] = []
        if query.kinds != .samples { parts.append(events) }
        if query.kinds != .events { parts.append(samples) }
        let limit = bind(Int64(max(0, query.limit)))
        return
            "SELECT * FROM (\(parts.joined(separator: " UNION ALL "))) m ORDER BY t, kind, agent COLLATE \"C\", seq LIMIT \(limit)"
    }

    static func unsigned(_ value: Int64) -> UInt64 {
        UInt64(max(0, value))
    }
}
