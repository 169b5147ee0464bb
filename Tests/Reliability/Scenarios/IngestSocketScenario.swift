import Foundation
import Testing
import VigilProtocol
import VigilTestSupport

extension Reliability {
    /// Scenario 11: the ingest socket against hostile local clients: another uid without group access
    /// cannot connect, oversize frames and lines and invalid UTF-8 are refused with a reason on a
    /// connection that stays usable, and a flooding client does not starve another.
    @Suite("Ingest socket", .serialized)
    struct IngestSocket {
        /// Connects as `uid`/`gid` (via `setpriv`, as root) and sends one line; 0 = answered, 13 = refused.
        static func connect(as uid: Int, gid: Int, socket: String) throws -> Int32 {
            let script = """
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(sys.argv[1])
                except PermissionError:
                    sys.exit(13)
                s.sendall(b'{"name":"request","outcome":"ok"}\\n')
                sys.exit(0 if b'"ok":true' in s.recv(100) else 1)
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = [
                "--reuid=\(uid)", "--regid=\(gid)", "--clear-groups", "/usr/bin/python3", "-c", script, socket,
            ]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }

        @Test("another uid cannot connect; oversize and invalid input is refused; a flood starves no one")
        func ingestSocket() async throws {
            let run = try ScenarioRun("ingest-socket", tag: 11, agents: 1)
            defer { run.stop() }
            let socket = run.fleet.socket(1)
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: run.fleet.directory)
            #expect(try Self.connect(as: 65534, gid: 65534, socket: socket) == 13, "nobody:nogroup must be refused")
            #expect(try Self.connect(as: 65534, gid: 0, socket: socket) == 0, "a member of the socket's group gets in")
            run.fault("other uid")

            let client = try UnixSocketClient(path: socket)
            // The first byte `{` selects JSON lines for the connection.
            try client.send(
                "{\"name\":\"" + String(repeating: "x", count: 100_000)
                    + "\"}\n{\"name\":\"request\",\"outcome\":\"ok\"}\n")
            let lines = try client.receiveLines(2)
            #expect(lines.first?.contains("max_line_bytes") == true, "oversize line: \(lines)")
            #expect(lines.last == "{\"ok\":true}", "the connection stays usable after an oversize line")
            try client.send(
                Array("{\"name\":\"req".utf8) + [0xFF, 0xFE] + Array("uest\"}\n{\"name\":\"request\"}\n".utf8))
            let utf8 = try client.receiveLines(2)
            #expect(utf8.first?.contains("\"ok\":false") == true, "invalid UTF-8 in a line: \(utf8)")
            #expect(utf8.last == "{\"ok\":true}")
            run.fault("oversize line")
            run.fault("invalid UTF-8 line")

            let binary = try UnixSocketClient(path: socket)
            var bad =
                withUnsafeBytes(of: UInt32(2 << 20).bigEndian, Array.init) + [UInt8](repeating: 0x12, count: 2 << 20)
            // A Record whose event name is invalid UTF-8: field 2 (event), field 5 (name).
            let invalidName: [UInt8] = [0x12, 0x04, 0x2A, 0x02, 0xC3, 0x28]
            bad += withUnsafeBytes(of: UInt32(invalidName.count).bigEndian, Array.init) + invalidName
            var good = Vigil_V1_Record()
            good.event.name = "request"
            let goodBytes: [UInt8] = try good.serializedBytes()
            bad += withUnsafeBytes(of: UInt32(goodBytes.count).bigEndian, Array.init) + goodBytes
            try binary.send(bad)
            let acks = try binary.receive { bytes in
                Self.lastAck(bytes).map { $0.durableCount + $0.rejectedCount >= 3 } ?? false
            }
            let ack = Self.lastAck(acks)
            #expect(
                ack?.rejectedCount == 2 && ack?.durableCount == 1,
                "oversize frame and invalid UTF-8 refused: \(String(describing: ack))")
            run.fault("oversize frame")
            run.fault("invalid UTF-8 frame")

            // A flood: one client writes as fast as it can and never reads; another must still get answers.
            let flooding = FloodFlag()
            let flood = Task {
                try await onThread {
                    let flooder = try UnixSocketClient(path: socket)
                    let line = Array("{\"name\":\"flood\",\"outcome\":\"ok\"}\n".utf8)
                    let chunk = Array([[UInt8]](repeating: line, count: 1000).joined())
                    let end = Date().addingTimeInterval(Scale.pick(short: 8, soak: 60))
                    while Date() < end, (try? flooder.send(chunk)) != nil {}
                    flooding.done()
                }
            }
            try await Task.sleep(for: .seconds(1))
            run.fault("flood")
            run.startLoad()
            let served = await run.generator.waitForProgress(500, seconds: Scale.pick(short: 7, soak: 59))
            let floodStillRunning = !flooding.isDone
            #expect(served && floodStillRunning, "a well-behaved client got 500 answers while another flooded")
            try await flood.value
            // The probes and the flood wrote events of their own; the oracle judges the clients' ids.
            try await run.finish(ownIDsOnly: true)
        }

        static func lastAck(_ bytes: [UInt8]) -> Vigil_V1_IngestAck? {
            var offset = 0
            var last: Vigil_V1_IngestAck?
            while offset + 4 <= bytes.count {
                let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                guard offset + 4 + length <= bytes.count else { break }
                last = try? Vigil_V1_IngestAck(serializedBytes: Array(bytes[(offset + 4)..<(offset + 4 + length)]))
                offset += 4 + length
            }
            return last
        }
    }
}

/// Set once by the flooding thread when it stops.
final class FloodFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var finished = false
    func done() { lock.withLock { finished = true } }
    var isDone: Bool { lock.withLock { finished } }
}
