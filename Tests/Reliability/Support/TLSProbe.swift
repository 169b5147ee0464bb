import Foundation
import Synchronization
import VigilProtocol
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// A raw TLS client against the hub (`openssl s_client`), for what no agent can be made to send:
/// missing or foreign certificates, TLS 1.2, and arbitrary bytes after the handshake.
enum TLSProbe {
    struct Outcome {
        /// `s_client`'s exit status.
        var status: Int32
        /// What the hub sent after the handshake.
        var received: [UInt8]
        /// `s_client`'s diagnostics.
        var diagnostics: String

        /// The hub's `Reject` among the frames it sent (a `Welcome` may come first), if any.
        var reject: Vigil_V1_Reject? {
            for frame in frames { if case .reject(let reject) = frame.body { return reject } }
            return nil
        }

        /// The frames the hub sent, in order, up to the first that does not decode.
        var frames: [Vigil_V1_Frame] {
            var frames: [Vigil_V1_Frame] = []
            var offset = 0
            while received.count >= offset + 4 {
                let length = received[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
                guard received.count >= offset + 4 + length,
                    let frame = try? Vigil_V1_Frame(
                        serializedBytes: Array(received[(offset + 4)..<(offset + 4 + length)]))
                else { break }
                frames.append(frame)
                offset += 4 + length
            }
            return frames
        }
    }

    /// Connects to 127.0.0.1:`port` with `arguments`, writes `input` after the handshake, and (with
    /// `waitForClose`) reads until the hub closes; 20 s at most. Without it, the connection stays open for
    /// `holdOpen` seconds after the input was written (for the hub's answers), then closes; sooner once what the
    /// hub sent satisfies `until`. `then` is written one second after `input` (a Batch after the Welcome its
    /// Hello gets).
    static func run(
        port: Int, arguments: [String], input: [UInt8] = [], then: [UInt8] = [], waitForClose: Bool = true,
        holdOpen: Double = 0, until: (@Sendable (Outcome) -> Bool)? = nil
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // Without waitForClose the connection is ended here with SIGKILL: `-quiet` implies `-ign_eof`, so s_client
        // never leaves by itself while the hub keeps the connection, and a process started from a Swift thread
        // inherits a signal mask that blocks the SIGTERM of `timeout` (and of Process.terminate).
        process.arguments =
            (waitForClose ? ["timeout", "20"] : []) + [
                "openssl", "s_client", "-quiet", "-connect", "127.0.0.1:\(port)",
            ]
            + (waitForClose ? ["-ign_eof"] : []) + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let received = Mutex<[UInt8]>([])
        let writer = Thread {
            // A peer that hung up early (the hub rejected the hello) is an outcome, not a crash: the throwing
            // write, not the deprecated one that traps on EPIPE.
            try? stdin.fileHandleForWriting.write(contentsOf: Data(input))
            if !then.isEmpty {
                Thread.sleep(forTimeInterval: 1)
                try? stdin.fileHandleForWriting.write(contentsOf: Data(then))
            }
            if !waitForClose {
                let deadline = Date(timeIntervalSinceNow: holdOpen)
                while Date() < deadline {
                    if let until, until(Outcome(status: 0, received: received.withLock { $0 }, diagnostics: "")) {
                        break
                    }
                    Thread.sleep(forTimeInterval: min(0.05, max(0, deadline.timeIntervalSinceNow)))
                }
                kill(process.processIdentifier, SIGKILL)
            }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let errors = Handoff()
        let reader = Thread { errors.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        while case let chunk = stdout.fileHandleForReading.availableData, !chunk.isEmpty {
            received.withLock { $0 += chunk }
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, received: received.withLock { $0 },
            diagnostics: String(decoding: errors.wait(), as: UTF8.self))
    }

    /// Certificate arguments for agent `id` in `directory`, trusting `ca`.
    static func identity(_ id: String, in directory: String, ca: String) -> [String] {
        ["-tls1_3", "-CAfile", ca, "-cert", "\(directory)/agent-\(id).pem", "-key", "\(directory)/agent-\(id).key"]
    }

    /// A length-prefixed frame.
    static func framed(_ frame: Vigil_V1_Frame) throws -> [UInt8] {
        let bytes: [UInt8] = try frame.serializedBytes()
        return withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
    }

    /// A valid `Hello` from `agentID`.
    static func hello(_ agentID: String, labels: [String: String] = [:]) -> Vigil_V1_Frame {
        var hello = Vigil_V1_Hello()
        hello.protocolVersion = 1
        hello.agentID = agentID
        hello.streamID = Data((0..<16).map { _ in UInt8.random(in: 0...255) })
        hello.hostname = "probe"
        hello.labels = labels
        var frame = Vigil_V1_Frame()
        frame.hello = hello
        return frame
    }
}
