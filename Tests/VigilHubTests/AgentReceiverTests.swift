import Foundation
import NIOSSL
import Testing
import VigilHub
import VigilProtocol

@Suite("Agent receiver over real TLS", .timeLimit(.minutes(2)))
struct AgentReceiverTests {
    /// Connects as `agent`, sends Hello, expects Welcome; returns the client and the resume seq.
    func handshake(
        _ hub: TestHub, agent: String = "web-01", stream: UInt8 = 1
    ) async throws -> (
        TestAgentClient, UInt64
    ) {
        var options = TestAgentClient.Options()
        options.agent = agent
        let client = try await TestAgentClient.connect(port: hub.listenPort, options: options)
        try await client.send(Records.hello(agentID: agent, streamID: Records.stream(stream)))
        let frame = try await client.nextFrame()
        guard case .welcome(let welcome) = frame.body else {
            throw TestTimeout(what: "expected Welcome, got \(frame)")
        }
        return (client, welcome.resumeAfterSeq)
    }

    @Test("Hello, Welcome, Batch, Ack: the acknowledged records are in the store")
    func happyPath() async throws {
        try await TestHub.with { hub in
            let (client, resume) = try await handshake(hub)
            #expect(resume == 0)
            try await client.send(Records.batch(firstSeq: 1, Records.events(1...5) + [Records.sample(6)]))
            let frame = try await client.nextFrame()
            guard case .ack(let ack) = frame.body else {
                Issue.record("expected Ack, got \(frame)")
                return
            }
            #expect(ack.throughSeq == 6)
            // Ack is sent only after commit: the records are readable as soon as it arrived.
            let records = try await hub.store.records(matching: RecordQuery())
            #expect(records.count == 6)
            #expect(records.allSatisfy { $0.agentID == "web-01" })
            await client.close()
            // Reconnecting resumes after what was stored.
            let (again, resumed) = try await handshake(hub)
            #expect(resumed == 6)
            await again.close()
            #expect(try await TestHub.eventually { try await hub.store.agents().first?.connected == false })
        }
    }

    @Test("a Batch overlapping what the hub stored is acknowledged with the overlap skipped and counted")
    func overlappingBatchAcknowledged() async throws {
        try await TestHub.with { hub in
            let (first, _) = try await handshake(hub)
            try await first.send(Records.batch(firstSeq: 1, Records.events(1...20)))
            guard case .ack = try await first.nextFrame().body else { throw TestTimeout(what: "expected Ack") }
            await first.close()
            // A foreign agent on the same stream: Welcome says 20 are stored, it sends from seq 1 anyway.
            let (client, resume) = try await handshake(hub)
            #expect(resume == 20)
            try await client.send(Records.batch(firstSeq: 1, Records.events(101...110)))
            try await client.send(Records.batch(firstSeq: 15, Records.events(115...124)))
            var acks: [UInt64] = []
            for _ in 0..<2 {
                let frame = try await client.nextFrame()
                guard case .ack(let ack) = frame.body else {
                    Issue.record("expected Ack, got \(frame)")
                    return
                }
                acks.append(ack.throughSeq)
            }
            #expect(acks == [10, 24])
            let totals = try await hub.store.totals()
            #expect(totals.events == 24)
            #expect(totals.duplicateSeqs == 16)
            #expect(hub.counters.snapshot.rejects.isEmpty)
            await client.close()
        }
    }

    @Test("a Hello frame over 64 KiB is refused as too large before it is decoded")
    func oversizeHelloRefused() async throws {
        // Frames up to 1 MiB: the Hello is refused by the Hello bound, not the frame limit.
        try await TestHub.with(configure: { $0.limits.maxFrameBytes = 1 << 20 }) { hub in
            let client = try await TestAgentClient.connect(port: hub.listenPort)
            var hello = Records.hello()
            for n in 0..<3000 { hello.hello.labels["label-\(n)"] = String(repeating: "v", count: 20) }
            let bytes: [UInt8] = try hello.serializedBytes()
            #expect(bytes.count > WireProtocol.maxHelloBytes)
            try await client.send(hello)
            let frames = try await client.framesUntilClosed()
            #expect(frames.first?.rejectCode == .tooLarge)
            #expect(frames.first?.rejectMessage.contains("Hello") == true)
            #expect(try await hub.store.agents().isEmpty)
        }
    }

    @Test("several batches in flight are acked in order, each through its own last seq")
    func pipelinedBatches() async throws {
        try await TestHub.with { hub in
            let (client, _) = try await handshake(hub)
            for n in 0..<5 {
                try await client.send(
                    Records.batch(firstSeq: UInt64(n * 10 + 1), Records.events(n * 10 + 1...n * 10 + 10)))
            }
            var acks: [UInt64] = []
            for _ in 0..<5 {
                if case .ack(let ack) = try await client.nextFrame().body { acks.append(ack.throughSeq) }
            }
            #expect(acks == [10, 20, 30, 40, 50])
            #expect(try await hub.store.totals().events == 50)
            await client.close()
        }
    }

    @Test("a Hello naming another agent than the certificate is rejected as unauthorized")
    func wrongAgentID() async throws {
        try await TestHub.with { hub in
            let client = try await TestAgentClient.connect(port: hub.listenPort)
            try await client.send(Records.hello(agentID: "web-02"))
            let frames = try await client.framesUntilClosed()
            #expect(frames.first?.rejectCode == .unauthorized)
            #expect(hub.counters.snapshot.rejects["unauthorized"] == 1)
            #expect(try await hub.store.agents().isEmpty)
        }
    }

    @Test("a certificate from another CA is refused in the TLS handshake")
    func otherCA() async throws {
        try await TestHub.with { hub in
            var options = TestAgentClient.Options()
            options.certificateDirectory = TestCertificates.shared.otherDirectory
            try await expectRefused(hub, options: options, reason: .certificateUntrusted)
        }
    }

    @Test("a client without a certificate is refused in the TLS handshake")
    func noClientCertificate() async throws {
        try await TestHub.with { hub in
            var options = TestAgentClient.Options()
            options.agent = nil
            try await expectRefused(hub, options: options, reason: .noCertificate)
        }
    }

    @Test("a TLS 1.2-only client is refused")
    func tls12Refused() async throws {
        try await TestHub.with { hub in
            var options = TestAgentClient.Options()
            options.tlsVersion = .tlsv12
            try await expectRefused(hub, options: options, reason: .protocolVersion)
        }
    }

    /// The connection ends without a Welcome (whether the client sees the failure in its handshake or
    /// right after), and the hub counts a handshake failure for `reason`.
    func expectRefused(_ hub: TestHub, options: TestAgentClient.Options, reason: HandshakeFailure) async throws {
        if let client = try? await TestAgentClient.connect(port: hub.listenPort, options: options) {
            try? await client.send(Records.hello())
            let frames = (try? await client.framesUntilClosed()) ?? []
            #expect(!frames.contains { if case .welcome = $0.body { true } else { false } })
            await client.close()
        }
        #expect(try await TestHub.eventually { hub.counters.snapshot.tlsHandshakeFailures >= 1 })
        let byReason = hub.counters.snapshot.tlsHandshakeFailuresByReason
        #expect(byReason[reason.rawValue] == 1, "counted as \(reason.rawValue), got \(byReason)")
        #expect(try await hub.store.agents().isEmpty)
    }

    @Test("a Batch before Hello is rejected as a protocol error")
    func batchBeforeHello() async throws {
        try await TestHub.with { hub in
            let client = try await TestAgentClient.connect(port: hub.listenPort)
            try await client.send(Records.batch(firstSeq: 1, Records.events(1...1)))
            let frames = try await client.framesUntilClosed()
            #expect(frames.first?.rejectCode == .protocol)
            #expect(try await hub.store.totals().records == 0)
        }
    }

    @Test("a frame over max_frame_bytes is rejected as too large")
    func oversizeFrame() async throws {
        try await TestHub.with { hub in
            let (client, _) = try await handshake(hub)
            // Announce a frame of 1 MiB against the test hub's 64 KiB limit; no payload is needed.
            try await client.sendRaw([0x00, 0x10, 0x00, 0x00, 0x01, 0x02])
            let frames = try await client.framesUntilClosed()
            #expect(frames.last?.rejectCode == .tooLarge)
            #expect(hub.counters.snapshot.rejects["too_large"] == 1)
        }
    }

    @Test("garbage from one authenticated agent is rejected while another agent's stream keeps working")
    func garbageIsolated() async throws {
        try await TestHub.with { hub in
            let (good, _) = try await handshake(hub, agent: "web-02", stream: 2)
            let (bad, _) = try await handshake(hub, agent: "web-01", stream: 1)
            try await good.send(Records.batch(firstSeq: 1, Records.events(1...3)))
            try await bad.sendRaw([0x00, 0x00, 0x00, 0x04, 0xFF, 0xFF, 0xFF, 0xFF])
            let badFrames = try await bad.framesUntilClosed()
            #expect(badFrames.last?.rejectCode == .protocol)
            guard case .ack(let first) = try await good.nextFrame().body else {
                Issue.record("expected Ack")
                return
            }
            #expect(first.throughSeq == 3)
            try await good.send(Records.batch(firstSeq: 4, Records.events(4...6)))
            guard case .ack(let second) = try await good.nextFrame().body else {
                Issue.record("expected Ack")
                return
            }
            #expect(second.throughSeq == 6)
            let stored = try await hub.store.records(matching: RecordQuery())
            #expect(stored.count == 6)
            #expect(stored.allSatisfy { $0.agentID == "web-02" })
            await good.close()
        }
    }

    @Test("an invalid record rejects its batch, names the seq, and stores nothing of it")
    func invalidRecord() async throws {
        try await TestHub.with { hub in
            let (client, _) = try await handshake(hub)
            var bad = Records.event(2)
            bad.event.durationMs = -1
            try await client.send(Records.batch(firstSeq: 1, [Records.event(1), bad]))
            let frames = try await client.framesUntilClosed()
            guard case .reject(let reject) = frames.last?.body else {
                Issue.record("expected Reject")
                return
            }
            #expect(reject.code == .protocol)
            #expect(reject.message.contains("seq 2"))
            #expect(try await hub.store.totals().records == 0)
        }
    }

    @Test("a reconnecting agent is welcomed after the seq already stored and continues from there")
    func resumeAfterReconnect() async throws {
        try await TestHub.with { hub in
            let (first, _) = try await handshake(hub)
            try await first.send(Records.batch(firstSeq: 1, Records.events(1...4)))
            _ = try await first.nextFrame()
            await first.close()
            let (second, resume) = try await handshake(hub)
            #expect(resume == 4)
            try await second.send(Records.batch(firstSeq: 5, Records.events(5...6)))
            guard case .ack(let ack) = try await second.nextFrame().body else {
                Issue.record("expected Ack")
                return
            }
            #expect(ack.throughSeq == 6)
            #expect(try await hub.store.totals().events == 6)
            await second.close()
        }
    }

    @Test("connections over max_connections are rejected as overloaded")
    func overloaded() async throws {
        try await TestHub.with(configure: { $0.limits.maxConnections = 1 }) { hub in
            let (first, _) = try await handshake(hub)
            let second = try await TestAgentClient.connect(port: hub.listenPort)
            try? await second.send(Records.hello())
            let frames = try await second.framesUntilClosed()
            #expect(frames.first?.rejectCode == .overloaded)
            await first.close()
        }
    }

    @Test("certificates replaced on disk are used for new connections without a restart")
    func certificateReload() async throws {
        try await TestHub.with { hub in
            let before = hub.runtime.receiver.tls.context
            // Touch the certificate file (same content, new modification time) and wait for a check.
            let path = TestCertificates.shared.hubCert
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try await Task.sleep(for: .milliseconds(20))
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(try await TestHub.eventually { hub.runtime.receiver.tls.context !== before })
            let (client, _) = try await handshake(hub)
            await client.close()
        }
    }
}
