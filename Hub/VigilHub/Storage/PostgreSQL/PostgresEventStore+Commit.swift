import Foundation
import Logging
import NIOCore
import PostgresNIO
import VigilProtocol

// The PostgreSQL commit: every batch of one group commit in one transaction, its rows sent in bulk (column
// arrays or `COPY`, see PostgresCommitRows), so a commit of thousands of records is a handful of statements.
//
// Order inside the transaction (the same in every replica, so two of them wait rather than deadlock):
// streams (locked in key order), events, samples, stream counters, agents, refusals, rollup cells (in key
// order), the commit's calls. What the commit stored is folded into the rollups here (see CommitFold), not by
// a job that reads rows back after a watermark: with several writers a row can commit after one with a higher
// id.

extension PostgresEventStore {
    /// Deadlocks and serialisation failures between replicas are retried this often before the commit fails.
    static let commitAttempts = 3

    public func commit(_ batches: [IncomingBatch], at now: Int64) async throws(StoreError) -> [BatchOutcome] {
        if batches.isEmpty { return [] }
        return try await commitNow(batches, at: now)
    }

    private func commitNow(_ batches: [IncomingBatch], at now: Int64) async throws(StoreError) -> [BatchOutcome] {
        do {
            try await ensurePartitions(for: batches)
        } catch {
            throw Self.classify(error, as: .write, doing: "make partitions for \(batches.count) batches")
        }
        var attempt = 1
        while true {
            do {
                return try await pool.withTransaction { [logger] connection in
                    try await Self.store(
                        batches, now: now, method: self.writeMethod, connection: connection, logger: logger)
                }
            } catch {
                if attempt < Self.commitAttempts && Self.isRetryable(error) {
                    // Replicas take their locks in one order, so this should not happen: when it does, the
                    // server took deadlock_timeout to see it, and that delay is worth knowing about.
                    logger.warning(
                        "a commit met another replica's locks; it is tried again",
                        metadata: [
                            "store": "\(location)", "attempt": "\(attempt)", "batches": "\(batches.count)",
                            "error": "\(Self.classify(error, as: .write, doing: "store \(batches.count) batches"))",
                        ])
                    attempt += 1
                    continue
                }
                throw Self.classify(error, as: .write, doing: "store \(batches.count) batches")
            }
        }
    }

    private func ensurePartitions(for batches: [IncomingBatch]) async throws {
        var eventDays = Set<Int64>()
        var sampleDays = Set<Int64>()
        for batch in batches {
            for record in batch.records {
                switch record.body {
                case .event(let event): eventDays.insert(PostgresPartitions.Table.events.day(of: event.timeUnixNano))
                case .sample(let sample):
                    sampleDays.insert(PostgresPartitions.Table.samples.day(of: sample.timeUnixNano))
                case nil: break
                }
            }
        }
        let today = today()
        try await partitions.ensure(.events, days: eventDays, today: today, pool: pool, logger: logger)
        try await partitions.ensure(.samples, days: sampleDays, today: today, pool: pool, logger: logger)
        // Rollup days are the records' days (an hour never spans two days).
        for table in [PostgresPartitions.Table.eventRollups, .errorRollups, .eventRollupsHourly] {
            try await partitions.ensure(table, days: eventDays, today: today, pool: pool, logger: logger)
        }
        for table in [PostgresPartitions.Table.sampleRollups, .sampleRollupsHourly] {
            try await partitions.ensure(table, days: sampleDays, today: today, pool: pool, logger: logger)
        }
    }

    /// One stream's row, locked for this transaction.
    private struct LockedStream {
        var number: Int64
        var hwm: UInt64
        var delta = StreamDelta()
    }

    private struct StreamKey: Hashable, Comparable {
        var agentID: String
        var streamID: Data

        static func < (a: StreamKey, b: StreamKey) -> Bool {
            if a.agentID != b.agentID { return a.agentID.utf8.lexicographicallyPrecedes(b.agentID.utf8) }
            return a.streamID.lexicographicallyPrecedes(b.streamID)
        }
    }

    private struct StreamDelta {
        var events: Int64 = 0
        var samples: Int64 = 0
        var duplicates: Int64 = 0
        var duplicateEvents: Int64 = 0
        var gaps: Int64 = 0
        var missing: Int64 = 0
    }

    private static func store(
        _ batches: [IncomingBatch], now: Int64, method: WriteMethod, connection: PostgresConnection, logger: Logger
    ) async throws -> [BatchOutcome] {
        var streams = try await lockStreams(batches, now: now, connection: connection, logger: logger)
        let labels = try await agentLabels(Set(batches.map(\.agentID)), connection: connection, logger: logger)
        var events = EventRows()
        var samples = SampleRows()
        var fold = CommitFold(keepsCalls: true)
        var outcomes: [BatchOutcome] = []
        outcomes.reserveCapacity(batches.count)
        // Which batch each staged event came from, to credit what the insert stored.
        var eventBatch: [Int] = []
        var newest: [String: Int64] = [:]
        var refusals: [RefusalKey: (records: Int64, lastService: String)] = [:]
        for (index, batch) in batches.enumerated() {
            let key = StreamKey(agentID: text(batch.agentID), streamID: batch.streamID)
            guard var stream = streams[key] else { throw StoreError(code: .write, message: "stream not locked") }
            if stream.hwm < batch.previousSeq {
                var refused = BatchOutcome(throughSeq: stream.hwm)
                refused.predecessorMissing = true
                outcomes.append(refused)
                continue
            }
            let decision = SequenceDecision.decide(
                highWaterMark: stream.hwm, firstSeq: batch.firstSeq, count: batch.records.count)
            var outcome = BatchOutcome(throughSeq: decision.throughSeq)
            outcome.duplicateSeqs = decision.skip
            outcome.missing = decision.missing
            let agent = labels[batch.agentID] ?? ("", "")
            for position in decision.skip..<batch.records.count {
                let seq = Int64(bitPattern: batch.firstSeq + UInt64(position))
                switch batch.records[position].body {
                case .event(let event):
                    events.append(event, agentID: key.agentID, stream: stream.number, seq: seq)
                    eventBatch.append(index)
                    newest[batch.agentID] = max(newest[batch.agentID] ?? 0, event.timeUnixNano)
                case .sample(let sample):
                    samples.append(sample, agentID: key.agentID, stream: stream.number, seq: seq)
                    fold.add(sample, agentID: key.agentID, agentService: agent.service, agentVersion: agent.version)
                    outcome.samples += 1
                    newest[batch.agentID] = max(newest[batch.agentID] ?? 0, sample.timeUnixNano)
                case nil:
                    break
                }
            }
            for (reason, count) in batch.refusalCounts(skipping: decision.skip) {
                outcome.refused += count.records
                let refusal = RefusalKey(agentID: key.agentID, reason: reason.rawValue)
                refusals[refusal, default: (0, "")].records += Int64(count.records)
                refusals[refusal]?.lastService = text(count.lastService)
            }
            stream.hwm = decision.highWaterMark
            stream.delta.duplicates += Int64(decision.skip)
            stream.delta.samples += Int64(outcome.samples)
            stream.delta.gaps += decision.isGap ? 1 : 0
            stream.delta.missing += Int64(bitPattern: decision.missing)
            streams[key] = stream
            outcomes.append(outcome)
        }
        // Which staged events the insert stored: the first copy of each (time, id) it returned.
        let inserted = try await events.insert(using: method, connection: connection, logger: logger)
        for (row, batchIndex) in eventBatch.enumerated() {
            let key = StreamKey(agentID: text(batches[batchIndex].agentID), streamID: batches[batchIndex].streamID)
            if inserted.contains(row) {
                outcomes[batchIndex].events += 1
                streams[key]?.delta.events += 1
                fold.add(events.rawEvent(row))
            } else {
                outcomes[batchIndex].duplicateEvents += 1
                streams[key]?.delta.duplicateEvents += 1
            }
        }
        try await samples.insert(using: method, connection: connection, logger: logger)
        try await updateStreams(streams, now: now, connection: connection, logger: logger)
        try await touchAgents(newest, now: now, connection: connection, logger: logger)
        try await addRefusals(refusals, now: now, connection: connection, logger: logger)
        try await PostgresRollups.write(fold.chunk, connection: connection, logger: logger)
        try await PostgresCalls.append(fold.calls, connection: connection, logger: logger)
        return outcomes
    }

    /// Makes any stream row missing, then locks every stream of the commit in key order and reads its hwm.
    private static func lockStreams(
        _ batches: [IncomingBatch], now: Int64, connection: PostgresConnection, logger: Logger
    ) async throws -> [StreamKey: LockedStream] {
        let keys = Set(batches.map { StreamKey(agentID: text($0.agentID), streamID: $0.streamID) }).sorted()
        let agents = keys.map(\.agentID)
        let ids = keys.map { ByteBuffer(bytes: $0.streamID) }
        try await connection.query(
            """
            INSERT INTO streams (agent_id, stream_id, first_seen, last_seen)
            SELECT a, s, \(now), \(now) FROM unnest(\(agents)::text[], \(ids)::bytea[]) AS k(a, s)
            ON CONFLICT (agent_id, stream_id) DO NOTHING
            """, logger: logger)
        var locked: [StreamKey: LockedStream] = [:]
        let rows = try await connection.query(
            """
            SELECT agent_id, stream_id, n, hwm FROM streams
            WHERE (agent_id, stream_id) IN (SELECT * FROM unnest(\(agents)::text[], \(ids)::bytea[]))
            ORDER BY agent_id, stream_id FOR UPDATE
            """, logger: logger)
        for try await (agent, stream, number, hwm) in rows.decode((String, ByteBuffer, Int64, Int64).self) {
            locked[StreamKey(agentID: agent, streamID: Data(buffer: stream))] = LockedStream(
                number: number, hwm: UInt64(max(0, hwm)))
        }
        return locked
    }

    /// The `service` and `version` labels each agent sent in Hello (samples without their own are rolled up
    /// under them).
    private static func agentLabels(
        _ agents: Set<String>, connection: PostgresConnection, logger: Logger
    ) async throws -> [String: (service: String, version: String)] {
        var labels: [String: (service: String, version: String)] = [:]
        let rows = try await connection.query(
            "SELECT agent_id, labels FROM agents WHERE agent_id = ANY(\(agents.map(text))::text[])", logger: logger)
        for try await (agent, text) in rows.decode((String, String).self) {
            let map = JSONText.decode(text)
            labels[agent] = (map["service"] ?? "", map["version"] ?? "")
        }
        return labels
    }

    private struct RefusalKey: Hashable, Comparable {
        var agentID: String
        var reason: String

        static func < (a: RefusalKey, b: RefusalKey) -> Bool {
            if a.agentID != b.agentID { return a.agentID.utf8.lexicographicallyPrecedes(b.agentID.utf8) }
            return a.reason < b.reason
        }
    }

    /// Adds the commit's refused records to each agent's counts, in key order (the same in every replica).
    private static func addRefusals(
        _ refusals: [RefusalKey: (records: Int64, lastService: String)], now: Int64, connection: PostgresConnection,
        logger: Logger
    ) async throws {
        if refusals.isEmpty { return }
        let sorted = refusals.sorted { $0.key < $1.key }
        try await connection.query(
            """
            INSERT INTO refusals (agent_id, reason, records, last_service, updated)
            SELECT a, r, n, s, \(now)
            FROM unnest(\(sorted.map(\.key.agentID))::text[], \(sorted.map(\.key.reason))::text[],
                        \(sorted.map(\.value.records))::bigint[], \(sorted.map(\.value.lastService))::text[])
                AS u(a, r, n, s)
            ON CONFLICT (agent_id, reason) DO UPDATE SET records = refusals.records + excluded.records,
                last_service = excluded.last_service, updated = excluded.updated
            """, logger: logger)
    }

    private static func updateStreams(
        _ streams: [StreamKey: LockedStream], now: Int64, connection: PostgresConnection, logger: Logger
    ) async throws {
        let sorted = streams.sorted { $0.key < $1.key }
        let d = sorted.map(\.value.delta)
        try await connection.query(
            """
            UPDATE streams s SET hwm = greatest(s.hwm, u.hwm), events = s.events + u.events,
                samples = s.samples + u.samples, duplicates = s.duplicates + u.duplicates,
                duplicate_events = s.duplicate_events + u.duplicate_events, gaps = s.gaps + u.gaps,
                missing = s.missing + u.missing, last_seen = \(now)
            FROM unnest(\(sorted.map(\.value.number))::bigint[], \(sorted.map { Int64(bitPattern: $0.value.hwm) })::bigint[],
                        \(d.map(\.events))::bigint[], \(d.map(\.samples))::bigint[], \(d.map(\.duplicates))::bigint[],
                        \(d.map(\.duplicateEvents))::bigint[], \(d.map(\.gaps))::bigint[], \(d.map(\.missing))::bigint[])
                AS u(n, hwm, events, samples, duplicates, duplicate_events, gaps, missing)
            WHERE s.n = u.n
            """, logger: logger)
    }

    private static func touchAgents(
        _ newest: [String: Int64], now: Int64, connection: PostgresConnection, logger: Logger
    ) async throws {
        let sorted = newest.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        try await connection.query(
            """
            UPDATE agents a SET last_seen = \(now),
                newest_record = CASE WHEN u.t > 0 THEN greatest(coalesce(a.newest_record, 0), u.t) ELSE a.newest_record END
            FROM unnest(\(sorted.map { text($0.key) })::text[], \(sorted.map(\.value))::bigint[]) AS u(agent_id, t)
            WHERE a.agent_id = u.agent_id
            """, logger: logger)
    }
}
