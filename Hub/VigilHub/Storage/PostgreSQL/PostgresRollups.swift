import Foundation
import Logging
import NIOCore
import PostgresNIO
import VigilAnalytics

// PostgresRollups: merging one commit's folded cells into the rollup tables, with other replicas committing at
// the same time.
//
// Invariants:
// - Error and sample cells are added in SQL (`ON CONFLICT DO UPDATE SET count = count + excluded.count`): the
//   upsert locks the row, so concurrent commits add up exactly.
// - Event cells hold a sketch, which only Swift can merge: the commit locks the existing cells of its keys
//   (`SELECT … FOR UPDATE`, in key order), merges, and writes them back; keys without a cell are inserted with
//   `ON CONFLICT DO NOTHING`, and a key another commit inserted meanwhile goes round again, now locked. So a
//   cell is never overwritten with a merge that missed another commit's counts.
// - All of it happens in the commit's transaction: a failed commit leaves the rollups as they were.
enum PostgresRollups {
    private struct Keys {
        var services: [String] = []
        var minutes: [Int64] = []
        var versions: [String] = []
        var hosts: [String] = []
        var names: [String] = []

        init(_ keys: [MinuteRollup.EventKey]) {
            for key in keys {
                services.append(key.service)
                minutes.append(key.minute)
                versions.append(key.version)
                hosts.append(key.host)
                names.append(key.name)
            }
        }
    }

    /// Merges `chunk` into the minute rollup tables and its hourly merge into the hourly ones, inside the
    /// caller's transaction. Every commit locks in the same order (minute tables, then hourly; keys sorted
    /// within each), so two commits never wait on each other in a cycle.
    static func write(_ chunk: MinuteRollup.Chunk, connection: PostgresConnection, logger: Logger) async throws {
        try await writeEvents(chunk, into: .minute, connection: connection, logger: logger)
        try await writeErrors(chunk, connection: connection, logger: logger)
        try await writeSamples(chunk, into: .minute, connection: connection, logger: logger)
        let hourly = chunk.hourly
        try await writeEvents(hourly, into: .hour, connection: connection, logger: logger)
        try await writeSamples(hourly, into: .hour, connection: connection, logger: logger)
    }

    /// Merges the event cells of `chunk` into the event rollup table of `resolution`.
    static func writeEvents(
        _ chunk: MinuteRollup.Chunk, into resolution: RollupResolution, connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let table = resolution.eventTable
        var pending: [MinuteRollup.EventKey: EventCell] = [:]
        for (key, cell) in zip(chunk.eventKeys, chunk.eventCells) { pending[key] = cell }
        var rounds = 0
        while !pending.isEmpty {
            rounds += 1
            guard rounds <= 5 else {
                throw StoreError(code: .write, message: "event rollup cells kept changing under the commit")
            }
            let keys = pending.keys.sorted(by: keyOrder)
            let k = Keys(keys)
            // Lock and merge the cells that exist.
            var merged: [(MinuteRollup.EventKey, EventCell)] = []
            let rows = try await connection.query(
                """
                SELECT r.service, r.minute, r.version, r.agent_id, r.name, r.count, r.errors, r.duration_sum, r.sketch,
                       r.scores, r.promoters, r.detractors
                FROM \(unescaped: table) r
                WHERE (r.service, r.minute, r.version, r.agent_id, r.name) IN
                    (SELECT * FROM unnest(\(k.services)::text[], \(k.minutes)::bigint[], \(k.versions)::text[],
                                          \(k.hosts)::text[], \(k.names)::text[]))
                ORDER BY r.service, r.minute, r.version, r.agent_id, r.name FOR UPDATE
                """, logger: logger)
            for try await row in rows {
                let (service, minute, version, host, name) = try row.decode(
                    (String, Int64, String, String, String).self)
                let key = MinuteRollup.EventKey(
                    service: service, minute: minute, version: version, host: host, name: name)
                guard let fresh = pending.removeValue(forKey: key) else { continue }
                var cell = try eventCell(row)
                cell.merge(fresh)
                merged.append((key, cell))
            }
            if !merged.isEmpty {
                let m = Keys(merged.map(\.0))
                let cells = merged.map(\.1)
                try await connection.query(
                    """
                    UPDATE \(unescaped: table) r SET count = u.count, errors = u.errors, duration_sum = u.duration_sum,
                        sketch = u.sketch, scores = u.scores, promoters = u.promoters, detractors = u.detractors
                    FROM unnest(\(m.services)::text[], \(m.minutes)::bigint[], \(m.versions)::text[], \(m.hosts)::text[],
                                \(m.names)::text[], \(cells.map(\.count))::bigint[], \(cells.map(\.errors))::bigint[],
                                \(cells.map(\.durationSum))::float8[], \(cells.map { ByteBuffer(bytes: $0.sketch.serialized()) })::bytea[],
                                \(cells.map(\.scores))::bigint[], \(cells.map(\.promoters))::bigint[],
                                \(cells.map(\.detractors))::bigint[])
                        AS u(service, minute, version, agent_id, name, count, errors, duration_sum, sketch, scores,
                             promoters, detractors)
                    WHERE (r.service, r.minute, r.version, r.agent_id, r.name)
                        = (u.service, u.minute, u.version, u.agent_id, u.name)
                    """, logger: logger)
            }
            if pending.isEmpty { break }
            // Insert the cells that do not exist; those another commit inserted first go round again.
            let fresh = pending.sorted { keyOrder($0.key, $1.key) }
            let f = Keys(fresh.map(\.key))
            let cells = fresh.map(\.value)
            let inserted = try await connection.query(
                """
                INSERT INTO \(unescaped: table) (service, minute, version, agent_id, name, count, errors, duration_sum,
                                           sketch, scores, promoters, detractors)
                SELECT * FROM unnest(\(f.services)::text[], \(f.minutes)::bigint[], \(f.versions)::text[],
                                     \(f.hosts)::text[], \(f.names)::text[], \(cells.map(\.count))::bigint[],
                                     \(cells.map(\.errors))::bigint[], \(cells.map(\.durationSum))::float8[],
                                     \(cells.map { ByteBuffer(bytes: $0.sketch.serialized()) })::bytea[],
                                     \(cells.map(\.scores))::bigint[], \(cells.map(\.promoters))::bigint[],
                                     \(cells.map(\.detractors))::bigint[])
                ON CONFLICT DO NOTHING
                RETURNING service, minute, version, agent_id, name
                """, logger: logger)
            for try await (service, minute, version, host, name) in inserted.decode(
                (String, Int64, String, String, String).self)
            {
                pending[
                    MinuteRollup.EventKey(service: service, minute: minute, version: version, host: host, name: name)] =
                    nil
            }
        }
    }

    private static func writeErrors(
        _ chunk: MinuteRollup.Chunk, connection: PostgresConnection, logger: Logger
    ) async throws {
        var rows: [(MinuteRollup.EventKey, String, Int64)] = []
        for (key, categories) in chunk.errors {
            for (category, count) in categories { rows.append((key, category, count)) }
        }
        if rows.isEmpty { return }
        rows.sort { keyOrder($0.0, $1.0) || ($0.0 == $1.0 && $0.1.utf8.lexicographicallyPrecedes($1.1.utf8)) }
        let k = Keys(rows.map(\.0))
        try await connection.query(
            """
            INSERT INTO error_rollups (service, minute, version, agent_id, name, category, count)
            SELECT * FROM unnest(\(k.services)::text[], \(k.minutes)::bigint[], \(k.versions)::text[], \(k.hosts)::text[],
                                 \(k.names)::text[], \(rows.map { PostgresEventStore.text($0.1) })::text[],
                                 \(rows.map(\.2))::bigint[])
            ON CONFLICT (service, minute, version, agent_id, name, category) DO UPDATE SET
                count = error_rollups.count + excluded.count
            """, logger: logger)
    }

    private static func writeSamples(
        _ chunk: MinuteRollup.Chunk, into resolution: RollupResolution, connection: PostgresConnection,
        logger: Logger
    ) async throws {
        let table = resolution.sampleTable
        if chunk.samples.isEmpty { return }
        let rows = chunk.samples.sorted { sampleOrder($0.key, $1.key) }
        let keys = rows.map(\.key)
        let cells = rows.map(\.value)
        try await connection.query(
            """
            INSERT INTO \(unescaped: table) (service, minute, version, agent_id, metric, count, sum, min, max)
            SELECT * FROM unnest(\(keys.map { PostgresEventStore.text($0.service) })::text[], \(keys.map(\.minute))::bigint[],
                                 \(keys.map { PostgresEventStore.text($0.version) })::text[], \(keys.map(\.host))::text[],
                                 \(keys.map { PostgresEventStore.text($0.metric) })::text[], \(cells.map(\.count))::bigint[],
                                 \(cells.map(\.sum))::float8[], \(cells.map(\.min))::float8[], \(cells.map(\.max))::float8[])
            ON CONFLICT (service, minute, version, agent_id, metric) DO UPDATE SET
                count = \(unescaped: table).count + excluded.count, sum = \(unescaped: table).sum + excluded.sum,
                min = least(\(unescaped: table).min, excluded.min), max = greatest(\(unescaped: table).max, excluded.max)
            """, logger: logger)
    }

    /// Fills `event_rollups_hourly` from the minute cells already stored, a day at a time (migration 0005).
    static func backfillHourlyEvents(_ connection: PostgresConnection, logger: Logger) async throws {
        let bounds = try await connection.query(
            "SELECT min(minute), max(minute) FROM event_rollups", logger: logger
        ).collect()
        guard let row = bounds.first, let (low, high) = try? row.decode((Int64, Int64).self) else { return }
        var day = MinuteRollup.hourStart(ofMinute: low)
        var damaged = 0
        defer {
            if damaged > 0 {
                logger.warning(
                    "minute rollup cells left out of the hourly ones: their sketches are unreadable",
                    metadata: ["cells": "\(damaged)"])
            }
        }
        while day <= high {
            var chunk = MinuteRollup.Chunk()
            let rows = try await connection.query(
                """
                SELECT service, minute, version, agent_id, name, count, errors, duration_sum, sketch, scores, promoters,
                       detractors
                FROM event_rollups WHERE minute >= \(day) AND minute < \(day + 1440)
                """, logger: logger)
            for try await row in rows {
                let (service, minute, version, host, name) = try row.decode(
                    (String, Int64, String, String, String).self)
                // A damaged cell is left out of its hour rather than stop the upgrade (ingest tolerates them).
                guard let cell = try? eventCell(row) else {
                    damaged += 1
                    continue
                }
                chunk.merge(
                    cell,
                    at: MinuteRollup.EventKey(
                        service: service, minute: MinuteRollup.hourStart(ofMinute: minute), version: version,
                        host: host, name: name))
            }
            try await writeEvents(chunk, into: .hour, connection: connection, logger: logger)
            day += 1440
        }
    }

    /// The event cell in columns 5… of `row` (count, errors, duration_sum, sketch, scores, promoters, detractors).
    static func eventCell(_ row: PostgresRow, from first: Int = 5) throws -> EventCell {
        let columns = row.makeRandomAccess()
        var cell = EventCell()
        cell.count = try columns[first].decode(Int64.self)
        cell.errors = try columns[first + 1].decode(Int64.self)
        cell.durationSum = try columns[first + 2].decode(Double.self)
        let sketch = try columns[first + 3].decode(ByteBuffer.self)
        cell.sketch = try DDSketch(serialized: Array(sketch.readableBytesView))
        cell.scores = try columns[first + 4].decode(Int64.self)
        cell.promoters = try columns[first + 5].decode(Int64.self)
        cell.detractors = try columns[first + 6].decode(Int64.self)
        return cell
    }

    /// Key order by bytes, as PostgreSQL's `COLLATE "C"` would sort; any total order serves, as long as every
    /// replica uses the same.
    static func keyOrder(_ a: MinuteRollup.EventKey, _ b: MinuteRollup.EventKey) -> Bool {
        for (x, y) in [(a.service, b.service)] where x != y { return x.utf8.lexicographicallyPrecedes(y.utf8) }
        if a.minute != b.minute { return a.minute < b.minute }
        for (x, y) in [(a.version, b.version), (a.host, b.host), (a.name, b.name)] where x != y {
            return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return false
    }

    static func sampleOrder(_ a: MinuteRollup.SampleKey, _ b: MinuteRollup.SampleKey) -> Bool {
        if a.service != b.service { return a.service.utf8.lexicographicallyPrecedes(b.service.utf8) }
        if a.minute != b.minute { return a.minute < b.minute }
        for (x, y) in [(a.version, b.version), (a.host, b.host), (a.metric, b.metric)] where x != y {
            return x.utf8.lexicographicallyPrecedes(y.utf8)
        }
        return false
    }
}
