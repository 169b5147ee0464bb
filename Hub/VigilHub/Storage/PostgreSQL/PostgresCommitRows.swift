import Foundation
import Logging
import NIOCore
import PostgresNIO
import VigilAnalytics
import VigilProtocol

// The rows of one commit, as columns, and the two ways they go into PostgreSQL.
//
// - `unnest` (the default): each column bound as one array, `INSERT … SELECT FROM unnest(…) ON CONFLICT DO
//   NOTHING RETURNING`.
// - `COPY`: events are copied into a temporary staging table and moved with `INSERT … SELECT … ON CONFLICT DO
//   NOTHING RETURNING`, which says which were new (`COPY` itself cannot skip a conflict); samples, which have no
//   unique key, are copied straight into `samples`.
//
// `make bench` measures both on the same rows (`vigil-bench --only postgres --pg-part store`). The default is
// unnest, for two reasons. postgres-nio 1.33.2 stops the process (a `preconditionFailure` in its connection
// state machine, "Invalid query state machine action in state: .closing, action: wait") when a connection
// closes while a `COPY` waits to write: exactly what a hub does to a connection that stopped answering (see
// PostgresPool), and what the server does when it crashes. And the release measurement put them within 2 %
// of each other (55.6 k events/s unnest, 56.6 k COPY, the README's figures): the text encoding COPY needs
// costs the hub about the CPU it saves PostgreSQL.
//
// Which staged events were stored is learnt from what the insert returned, by `(stream, seq)`: unique within a
// commit, so the figures credit exactly the rows PostgreSQL kept, whatever order it inserted them in.

extension PostgresEventStore {
    /// How a commit sends its rows.
    public enum WriteMethod: String, Sendable, CaseIterable {
        /// Text `COPY` into a staging table, then one `INSERT … SELECT`.
        case copy
        /// `INSERT … SELECT FROM unnest(arrays)`.
        case unnest
    }
}

/// The events of one commit as columns.
struct EventRows {
    var times: [Int64] = []
    var ids: [ByteBuffer] = []
    var agents: [String] = []
    var streams: [Int64] = []
    var seqs: [Int64] = []
    var services: [String] = []
    var versions: [String] = []
    var names: [String] = []
    var outcomes: [Int64] = []
    var durations: [Double] = []
    var categories: [String] = []
    /// "" stands for no attributes (NULL): arrays of optionals do not bind.
    var attributes: [String] = []
    var scores: [String?] = []
    private var json: [UInt8] = []

    static let columns = [
        "time_unix_nano", "event_id", "agent_id", "stream", "seq", "service", "version", "name", "outcome",
        "duration_ms", "error_category", "attributes",
    ]

    var isEmpty: Bool { times.isEmpty }

    mutating func append(_ event: Vigil_V1_Event, agentID: String, stream: Int64, seq: Int64) {
        times.append(event.timeUnixNano)
        ids.append(ByteBuffer(bytes: event.eventID))
        agents.append(agentID)
        streams.append(stream)
        seqs.append(seq)
        services.append(PostgresEventStore.text(event.service))
        versions.append(PostgresEventStore.text(event.version))
        names.append(PostgresEventStore.text(event.name))
        outcomes.append(Int64(event.outcome.rawValue))
        durations.append(event.durationMs)
        categories.append(PostgresEventStore.text(event.errorCategory))
        attributes.append(JSONText.encode(event.attributes, into: &json) ? String(decoding: json, as: UTF8.self) : "")
        scores.append(event.name == MinuteRollup.feedbackName ? event.attributes["score"] : nil)
    }

    func rawEvent(_ row: Int) -> MinuteRollup.RawEvent {
        MinuteRollup.RawEvent(
            timeUnixNano: times[row], service: services[row], version: versions[row], host: agents[row],
            name: names[row], failed: outcomes[row] == Int64(Vigil_V1_Outcome.error.rawValue),
            durationMs: durations[row], errorCategory: categories[row], score: scores[row])
    }

    /// Inserts the rows and returns the positions of those stored (the others repeat a stored `(time, id)`).
    func insert(
        using method: PostgresEventStore.WriteMethod, connection: PostgresConnection, logger: Logger
    ) async throws -> Set<Int> {
        if isEmpty { return [] }
        let rows: PostgresRowSequence
        switch method {
        case .copy: rows = try await copyAndInsert(connection: connection, logger: logger)
        case .unnest: rows = try await insertUnnested(connection: connection, logger: logger)
        }
        var stored = Set<StreamSeq>()
        for try await (stream, seq) in rows.decode((Int64, Int64).self) {
            stored.insert(StreamSeq(stream: stream, seq: seq))
        }
        var positions = Set<Int>()
        for row in times.indices where stored.contains(StreamSeq(stream: streams[row], seq: seqs[row])) {
            positions.insert(row)
        }
        return positions
    }

    private func copyAndInsert(connection: PostgresConnection, logger: Logger) async throws -> PostgresRowSequence {
        // Per connection: made by the first commit on it, emptied by every COMMIT (ON COMMIT DELETE ROWS).
        try await connection.query(
            "CREATE TEMP TABLE IF NOT EXISTS vigil_stage_events (LIKE events) ON COMMIT DELETE ROWS", logger: logger)
        try await CopyText.copy(
            times.count, into: "vigil_stage_events", columns: Self.columns, connection: connection, logger: logger
        ) { row, text in
            text.integer(times[row])
            text.bytes(ids[row])
            text.text(agents[row])
            text.integer(streams[row])
            text.integer(seqs[row])
            text.text(services[row])
            text.text(versions[row])
            text.text(names[row])
            text.integer(outcomes[row])
            text.real(durations[row])
            text.text(categories[row])
            text.textOrNull(attributes[row])
        }
        return try await connection.query(
            """
            INSERT INTO events SELECT * FROM vigil_stage_events
            ON CONFLICT (time_unix_nano, event_id) DO NOTHING
            RETURNING stream, seq
            """, logger: logger)
    }

    private func insertUnnested(connection: PostgresConnection, logger: Logger) async throws -> PostgresRowSequence {
        try await connection.query(
            """
            INSERT INTO events (time_unix_nano, event_id, agent_id, stream, seq, service, version, name, outcome,
                                duration_ms, error_category, attributes)
            SELECT t, i, a, st, sq, sv, v, n, o::smallint, d, c, nullif(at, '')
            FROM unnest(\(times)::bigint[], \(ids)::bytea[], \(agents)::text[], \(streams)::bigint[], \(seqs)::bigint[],
                        \(services)::text[], \(versions)::text[], \(names)::text[], \(outcomes)::bigint[],
                        \(durations)::float8[], \(categories)::text[], \(attributes)::text[])
                AS r(t, i, a, st, sq, sv, v, n, o, d, c, at)
            ON CONFLICT (time_unix_nano, event_id) DO NOTHING
            RETURNING stream, seq
            """, logger: logger)
    }

    private struct StreamSeq: Hashable {
        var stream: Int64
        var seq: Int64
    }
}

/// The samples of one commit as columns.
struct SampleRows {
    var times: [Int64] = []
    var agents: [String] = []
    var streams: [Int64] = []
    var seqs: [Int64] = []
    var metrics: [String] = []
    var values: [Double] = []
    /// "" stands for no labels (NULL).
    var labels: [String] = []
    private var json: [UInt8] = []

    var isEmpty: Bool { times.isEmpty }

    mutating func append(_ sample: Vigil_V1_Sample, agentID: String, stream: Int64, seq: Int64) {
        times.append(sample.timeUnixNano)
        agents.append(agentID)
        streams.append(stream)
        seqs.append(seq)
        metrics.append(PostgresEventStore.text(sample.metric))
        values.append(sample.value)
        labels.append(JSONText.encode(sample.labels, into: &json) ? String(decoding: json, as: UTF8.self) : "")
    }

    /// Inserts every row (samples are deduplicated by seq alone, before they get here).
    func insert(
        using method: PostgresEventStore.WriteMethod, connection: PostgresConnection, logger: Logger
    ) async throws {
        if isEmpty { return }
        switch method {
        case .copy:
            try await CopyText.copy(
                times.count, into: "samples",
                columns: ["time_unix_nano", "agent_id", "stream", "seq", "metric", "value", "labels"],
                connection: connection, logger: logger
            ) { row, text in
                text.integer(times[row])
                text.text(agents[row])
                text.integer(streams[row])
                text.integer(seqs[row])
                text.text(metrics[row])
                text.real(values[row])
                text.textOrNull(labels[row])
            }
        case .unnest:
            try await connection.query(
                """
                INSERT INTO samples (time_unix_nano, agent_id, stream, seq, metric, value, labels)
                SELECT t, a, st, sq, m, v, nullif(l, '')
                FROM unnest(\(times)::bigint[], \(agents)::text[], \(streams)::bigint[], \(seqs)::bigint[],
                            \(metrics)::text[], \(values)::float8[], \(labels)::text[]) AS r(t, a, st, sq, m, v, l)
                """, logger: logger)
        }
    }
}

/// Rows in `COPY … FROM STDIN (FORMAT text)`: fields separated by tabs, rows ended by newlines, `\N` for NULL,
/// and in text fields a backslash, tab, newline or carriage return escaped with a backslash (PostgreSQL's rules;
/// NUL never gets here, ``PostgresEventStore/text(_:)`` replaced it). Sent in pieces of about 256 KiB.
struct CopyText {
    private var buffer = ByteBuffer()
    private var atRowStart = true
    private static let piece = 256 * 1024

    /// `COPY`s `count` rows into `table`, each written by `row` (its index and the text to append its fields to;
    /// the row's end is added here).
    static func copy(
        _ count: Int, into table: String, columns: [String], connection: PostgresConnection, logger: Logger,
        row: (Int, inout CopyText) -> Void
    ) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var text = CopyText()
            for index in 0..<count {
                row(index, &text)
                text.endRow()
                if text.buffer.readableBytes >= piece { try await writer.write(text.take()) }
            }
            if text.buffer.readableBytes > 0 { try await writer.write(text.take()) }
        }
    }

    /// The text so far, leaving the buffer empty.
    private mutating func take() -> ByteBuffer {
        defer { buffer = ByteBuffer() }
        return buffer
    }

    mutating func integer(_ value: Int64) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func real(_ value: Double) {
        separate()
        if value.isNaN {
            buffer.writeStaticString("NaN")
        } else if value.isInfinite {
            buffer.writeStaticString(value < 0 ? "-Infinity" : "Infinity")
        } else {
            buffer.writeString(value.description)
        }
    }

    /// `bytea` in hex: `\x` and two digits per byte, the backslash itself escaped.
    mutating func bytes(_ value: ByteBuffer) {
        separate()
        buffer.writeStaticString("\\\\x")
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in value.readableBytesView {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0F)])
        }
    }

    mutating func text(_ value: String) {
        separate()
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() {
                let escaped: UInt8
                switch byte {
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
                case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
                case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
                default: continue
                }
                buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start..<index])))
                buffer.writeInteger(UInt8(ascii: "\\"))
                buffer.writeInteger(escaped)
                start = index + 1
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: utf8[start...])))
        }
    }

    /// `value`, or NULL for "" (how the rows stand for no attributes or labels).
    mutating func textOrNull(_ value: String) {
        if value.isEmpty {
            separate()
            buffer.writeStaticString("\\N")
        } else {
            text(value)
        }
    }

    private mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        atRowStart = true
    }

    private mutating func separate() {
        if !atRowStart { buffer.writeInteger(UInt8(ascii: "\t")) }
        atRowStart = false
    }
}
