import Foundation
import Logging
import NIOCore
import PostgresNIO
import VigilAnalytics

// The RollupStore side of the PostgreSQL store. Every commit folds what it stored into the rollup cells in its
// own transaction (PostgresRollups), so there is no catch-up job and no watermark over raw rows: with several
// writers, a watermark over insertion order would skip a row that committed after one with a higher id.

extension PostgresEventStore: RollupStore {
    /// Nothing to do: commits keep the rollups current themselves. Always returns an empty progress.
    public func rollUp(limit: Int) async throws(StoreError) -> RollupProgress {
        RollupProgress()
    }

    /// Zero: rollups here have no watermark over raw rows (see above).
    public func rollupWatermarks() async throws(StoreError) -> RollupWatermarks {
        RollupWatermarks(events: 0, samples: 0)
    }

    /// Drops day partitions of the rollup tables entirely before `minute`, then deletes at most `limit` older
    /// rows from their default partitions.
    public func deleteRollups(beforeMinute minute: Int64, limit: Int) async throws(StoreError) -> Int {
        do {
            var deleted = 0
            for table in PostgresPartitions.Table.rollups where deleted < limit {
                deleted += try await partitions.expire(
                    table, before: table.resolution.expiryBound(before: minute), limit: limit - deleted, pool: pool,
                    logger: logger)
            }
            return deleted
        } catch {
            throw Self.classify(error, as: .write, doing: "delete expired rollups")
        }
    }

    public func rolledUpServices(minutes: ClosedRange<Int64>) async throws(StoreError) -> [String] {
        do {
            let rows = try await pool.query(
                """
                SELECT DISTINCT service FROM event_rollups WHERE minute BETWEEN \(minutes.lowerBound) AND \(minutes.upperBound)
                UNION SELECT DISTINCT service FROM sample_rollups
                    WHERE minute BETWEEN \(minutes.lowerBound) AND \(minutes.upperBound) AND service != ''
                """)
            var services: [String] = []
            for service in try rows.decode(String.self) { services.append(service) }
            // Sorted as SQLite sorts (by bytes), not by the database's collation.
            return services.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw Self.classify(error, as: .read, doing: "list the services with rollups")
        }
    }

    public func eventRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [EventRollupRow] {
        do {
            let rows = try await pool.query(
                """
                SELECT service, minute, version, agent_id, name, count, errors, duration_sum, sketch, scores, promoters,
                       detractors
                FROM \(unescaped: resolution.eventTable)
                WHERE service = \(Self.text(service)) AND minute BETWEEN \(minutes.lowerBound) AND \(minutes.upperBound)
                """)
            var result: [EventRollupRow] = []
            for row in rows.rows {
                let (service, minute, version, host, name) = try row.decode(
                    (String, Int64, String, String, String).self)
                result.append(
                    EventRollupRow(
                        key: MinuteRollup.EventKey(
                            service: service, minute: minute, version: version, host: host, name: name),
                        cell: try PostgresRollups.eventCell(row)))
            }
            return result
        } catch {
            throw Self.classify(error, as: .read, doing: "read the event rollups of a service")
        }
    }

    public func sampleRollups(
        service: String, minutes: ClosedRange<Int64>, resolution: RollupResolution
    ) async throws(StoreError) -> [SampleRollupRow] {
        do {
            let rows = try await pool.query(
                """
                SELECT minute, version, agent_id, metric, count, sum, min, max FROM \(unescaped: resolution.sampleTable)
                WHERE service = \(Self.text(service)) AND minute BETWEEN \(minutes.lowerBound) AND \(minutes.upperBound)
                """)
            var result: [SampleRollupRow] = []
            for (minute, version, host, metric, count, sum, min, max) in try rows.decode(
                (Int64, String, String, String, Int64, Double, Double, Double).self)
            {
                result.append(
                    SampleRollupRow(
                        key: MinuteRollup.SampleKey(
                            service: service, minute: minute, version: version, host: host, metric: metric),
                        cell: SampleCell(count: count, sum: sum, min: min, max: max)))
            }
            return result
        } catch {
            throw Self.classify(error, as: .read, doing: "read the sample rollups of a service")
        }
    }

    public func errorCategories(
        service: String, recent: Range<Int64>, previous: Range<Int64>
    ) async throws(StoreError) -> [ErrorCategoryCount] {
        do {
            let low = Swift.min(recent.lowerBound, previous.lowerBound)
            let high = Swift.max(recent.upperBound, previous.upperBound)
            let rows = try await pool.query(
                """
                SELECT version, category,
                       coalesce(sum(CASE WHEN minute >= \(recent.lowerBound) AND minute < \(recent.upperBound) THEN count END), 0)::bigint,
                       coalesce(sum(CASE WHEN minute >= \(previous.lowerBound) AND minute < \(previous.upperBound) THEN count END), 0)::bigint
                FROM error_rollups
                WHERE service = \(Self.text(service)) AND minute >= \(low) AND minute < \(high)
                GROUP BY version, category
                """)
            var result: [ErrorCategoryCount] = []
            for (version, category, r, p) in try rows.decode((String, String, Int64, Int64).self) {
                result.append(ErrorCategoryCount(version: version, category: category, recent: r, previous: p))
            }
            return result.sorted {
                $0.version != $1.version
                    ? $0.version.utf8.lexicographicallyPrecedes($1.version.utf8)
                    : $0.category.utf8.lexicographicallyPrecedes($1.category.utf8)
            }
        } catch {
            throw Self.classify(error, as: .read, doing: "read the error categories of a service")
        }
    }

    /// Calls of commits after position `rowid` (here an xid, see PostgresCalls) at or after `sinceUnixNano`.
    public func calls(afterRowid rowid: Int64, sinceUnixNano: Int64, limit: Int) async throws(StoreError) -> CallBatch {
        do {
            return try await PostgresCalls.read(
                after: rowid, since: sinceUnixNano, limit: limit, pool: pool, logger: logger)
        } catch {
            throw Self.classify(error, as: .read, doing: "read the newest calls")
        }
    }

    /// The position behind every call committed so far.
    public func lastEventRowid() async throws(StoreError) -> Int64 {
        do {
            return try await PostgresCalls.position(pool: pool, logger: logger)
        } catch {
            throw Self.classify(error, as: .read, doing: "read the newest call position")
        }
    }
}
