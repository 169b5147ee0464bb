import Foundation
import Synchronization
import VigilHub
import VigilProtocol
import VigilTestSupport

/// Seeded synthetic traffic for decision tests: per host and minute, request events with lognormal
/// durations and a given error rate, and optional samples; and a way to deliver it, through the real
/// receiver (mutual TLS) or straight into the store.
struct Traffic {
    /// How one version behaves.
    struct Profile {
        var medianMs = 40.0
        var sigma = 0.5
        /// Every duration is multiplied by this (1.3 = every percentile 30 % higher).
        var scale = 1.0
        var errorRate = 0.01
        var eventsPerMinute = 20
    }

    /// Events of `host` running `service` `version`, one batch of records per host.
    static func events(
        service: String, version: String, host: String, hostIndex: Int, profile: Profile, minutes: Range<Int64>,
        rng: inout SplitMix64
    ) -> [Vigil_V1_Record] {
        var records: [Vigil_V1_Record] = []
        var n = 0
        for minute in minutes {
            for i in 0..<profile.eventsPerMinute {
                n += 1
                var event = Vigil_V1_Event()
                event.eventID = eventID(host: hostIndex, n: n, salt: service)
                event.timeUnixNano =
                    minute * 60_000_000_000 + Int64(i) * (60_000_000_000 / Int64(profile.eventsPerMinute)) + 1
                event.service = service
                event.version = version
                event.name = "request"
                let failed = rng.unit() < profile.errorRate
                event.outcome = failed ? .error : .ok
                if failed { event.errorCategory = "timeout" }
                event.durationMs = exp(log(profile.medianMs) + profile.sigma * rng.gaussian()) * profile.scale
                records.append(Vigil_V1_Record.with { $0.event = event })
            }
        }
        return records
    }

    /// `count` samples of `metric` at `value`, spread over `minutes`.
    static func samples(metric: String, value: Double, minutes: Range<Int64>, perMinute: Int = 6) -> [Vigil_V1_Record] {
        var records: [Vigil_V1_Record] = []
        for minute in minutes {
            for i in 0..<perMinute {
                var sample = Vigil_V1_Sample()
                sample.timeUnixNano = minute * 60_000_000_000 + Int64(i) * (60_000_000_000 / Int64(perMinute)) + 7
                sample.metric = metric
                sample.value = value
                records.append(Vigil_V1_Record.with { $0.sample = sample })
            }
        }
        return records
    }

    static func eventID(host: Int, n: Int, salt: String) -> Data {
        var bytes = [UInt8](repeating: 0, count: 16)
        var hash: UInt32 = 2_166_136_261
        for byte in salt.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        withUnsafeBytes(of: hash.bigEndian) { bytes.replaceSubrange(0..<4, with: $0) }
        withUnsafeBytes(of: UInt32(host).bigEndian) { bytes.replaceSubrange(4..<8, with: $0) }
        withUnsafeBytes(of: UInt64(n).bigEndian) { bytes.replaceSubrange(8..<16, with: $0) }
        return Data(bytes)
    }

    /// Sends `records` as agent `host` with the given labels through the hub's receiver (mutual TLS),
    /// in batches of at most 1000, waiting for every ack.
    static func send(
        _ records: [Vigil_V1_Record], as host: String, labels: [String: String], to hub: TestHub,
        stream: UInt8 = 1, firstSeq: UInt64 = 1
    ) async throws {
        let client = try await TestAgentClient.connect(
            port: hub.listenPort, options: .init(agent: host, certificateDirectory: DecisionHosts.directory))
        try await client.send(Records.hello(agentID: host, streamID: Records.stream(stream), labels: labels))
        _ = try await client.nextFrame()
        var seq = firstSeq
        for start in stride(from: 0, to: records.count, by: 1000) {
            let chunk = Array(records[start..<min(records.count, start + 1000)])
            try await client.send(Records.batch(firstSeq: seq, chunk))
            let frame = try await client.nextFrame()
            guard case .ack(let ack) = frame.body, ack.throughSeq == seq + UInt64(chunk.count) - 1 else {
                throw TestTimeout(what: "expected an ack through \(seq + UInt64(chunk.count) - 1), got \(frame)")
            }
            seq += UInt64(chunk.count)
        }
        await client.close()
    }

    /// Commits `records` as agent `host` straight into the store (no receiver, no TLS).
    static func commit(
        _ records: [Vigil_V1_Record], as host: String, labels: [String: String], to store: any EventStore,
        stream: UInt8 = 1, batchRecords: Int = 5000
    ) async throws {
        _ = try await store.openStream(
            AgentHello(
                agentID: host, streamID: Records.stream(stream), hostname: host, agentVersion: "test", labels: labels),
            at: 1)
        var seq: UInt64 = 1
        for start in stride(from: 0, to: records.count, by: batchRecords) {
            let chunk = Array(records[start..<min(records.count, start + batchRecords)])
            _ = try await store.commit(
                [
                    IncomingBatch(
                        agentID: host, streamID: Records.stream(stream), firstSeq: seq, records: chunk,
                        previousSeq: seq - 1)
                ],
                at: 1)
            seq += UInt64(chunk.count)
        }
    }

    /// The current Unix minute.
    static var currentMinute: Int64 { Int64(Date().timeIntervalSince1970) / 60 }
}

/// Agent certificates `h01` … `h12`, added once per test process to the shared test CA's directory.
enum DecisionHosts {
    static let names = (1...12).map { String(format: "h%02d", $0) }
    static let directory: String = {
        do {
            let directory = try VigilTestSupport.TestCertificates.directory()
            try VigilTestSupport.TestCertificates.make(
                into: directory, arguments: names.flatMap { ["--agent", $0] })
            return directory
        } catch {
            fatalError("certs.sh failed: \(error)")
        }
    }()
}
