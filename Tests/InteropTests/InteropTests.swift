import Foundation
import NIOCore
import SwiftProtobuf
import Testing
import VigilProtocol

/// The wire format checked against an independent protobuf runtime: `Tests/Interop/peer.c`, built on
/// protobuf-c, writes frames that Swift must decode field for field, and prints every field of frames
/// Swift wrote, which must match what Swift expects line for line. Both directions go through the
/// project's own framing (`writeLengthPrefixedMessage`, `FrameParser`).
@Suite("Wire format interop with the protobuf-c peer")
struct InteropTests {
    @Test("Swift decodes every field the C peer wrote")
    func swiftDecodesEveryFieldTheCPeerWrote() throws {
        let peer = try InteropPeer.built()
        let frames = try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("from-c.frames")
            let result = try peer.run("write", file.path)
            try #require(result.exitedWith(0), "vigil-interop-peer write failed: \(result.standardError)")
            return try readFrames(from: file)
        }
        try #require(frames.count == 5)

        let hello = try #require(frames[0].helloBody, "frame 0 is not a Hello: \(frames[0])")
        #expect(hello.protocolVersion == 1)
        #expect(hello.agentID == "web-01")
        #expect(hello.streamID == Data((0..<16).map { UInt8($0) }))
        #expect(Array(hello.hostname.utf8) == Array("höst-ß-東京".utf8))
        #expect(hello.agentVersion == "0.1.0")
        #expect(hello.labels == ["service": "checkout", "version": "1.4.0", "env": "prod"])
        #expect(hello.unknownFields.data.isEmpty)

        let batch = try #require(frames[1].batchBody, "frame 1 is not a Batch: \(frames[1])")
        #expect(batch.firstSeq == 18_446_744_073_709_551_000)
        try #require(batch.records.count == 5)

        let first = try #require(batch.records[0].sampleBody)
        #expect(first.timeUnixNano == Int64.min)
        #expect(first.metric == "cpu.utilization")
        #expect(first.value == 0.25)
        #expect(first.labels == ["mount": "/"])

        let defaults = try #require(batch.records[1].sampleBody, "an all-default Sample must still be a Sample")
        #expect(defaults.timeUnixNano == 0)
        #expect(defaults.metric == "")
        #expect(defaults.value == 0)
        #expect(defaults.labels.isEmpty)
        #expect(defaults == Vigil_V1_Sample())

        let extreme = try #require(batch.records[2].sampleBody)
        #expect(extreme.timeUnixNano == Int64.max)
        #expect(extreme.metric == "")
        #expect(extreme.value == -1e308)
        #expect(extreme.labels.isEmpty)

        let event = try #require(batch.records[3].eventBody)
        #expect(event.eventID == Data(repeating: 0xff, count: 16))
        #expect(event.timeUnixNano == -1)
        #expect(event.service == "checkout")
        #expect(event.version == "2.1.0")
        #expect(event.name == "request")
        #expect(event.outcome == .error)
        #expect(event.durationMs == 12.5)
        #expect(event.errorCategory == "timeout")
        #expect(event.attributes == ["peer.uid": "1000", "emoji": "🚀"])
        let emoji = try #require(event.attributes["emoji"])
        #expect(Array(emoji.utf8) == [0xf0, 0x9f, 0x9a, 0x80])

        let defaultEvent = try #require(batch.records[4].eventBody, "an all-default Event must still be an Event")
        #expect(defaultEvent.eventID.isEmpty)
        #expect(defaultEvent.timeUnixNano == 0)
        #expect(defaultEvent.service == "")
        #expect(defaultEvent.version == "")
        #expect(defaultEvent.name == "")
        #expect(defaultEvent.outcome == .unspecified)
        #expect(defaultEvent.durationMs == 0)
        #expect(defaultEvent.errorCategory == "")
        #expect(defaultEvent.attributes.isEmpty)
        #expect(defaultEvent == Vigil_V1_Event())

        let ack = try #require(frames[2].ackBody, "frame 2 is not an Ack: \(frames[2])")
        #expect(ack.throughSeq == 42)

        let reject = try #require(frames[3].rejectBody, "frame 3 is not a Reject: \(frames[3])")
        #expect(reject.code == .tooLarge)
        #expect(reject.message == "too big")

        let welcome = try #require(frames[4].welcomeBody, "frame 4 is not a Welcome: \(frames[4])")
        #expect(welcome.protocolVersion == 1)
        #expect(welcome.resumeAfterSeq == 7)
        #expect(welcome.maxFrameBytes == 16_777_216)
        #expect(welcome.hubID == "hub-a")
    }

    @Test("C peer decodes every field Swift wrote")
    func cPeerDecodesEveryFieldSwiftWrote() throws {
        let peer = try InteropPeer.built()
        let frames = SwiftFrames.all()
        let result = try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("from-swift.frames")
            var buffer = ByteBuffer()
            for frame in frames { try buffer.writeLengthPrefixedMessage(frame) }
            try Data(buffer.readableBytesView).write(to: file)
            return try peer.run("read", file.path)
        }
        try #require(result.exitedWith(0), "vigil-interop-peer read failed: \(result.standardError)")

        let expected = PeerDump(frames: frames).lines
        var printed = result.standardOutput.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(printed.last == "", "the dump ends with a newline")
        printed.removeLast()

        // Byte comparison: String's == treats canonically equivalent Unicode as equal, the wire does not.
        var mismatches = 0
        for (number, (line, wanted)) in zip(printed, expected).enumerated()
        where !line.utf8.elementsEqual(wanted.utf8) {
            mismatches += 1
            if mismatches <= 20 { Issue.record("line \(number + 1): peer printed \(line), Swift expected \(wanted)") }
        }
        #expect(mismatches == 0)
        #expect(printed.count == expected.count)
    }

    @Test("C peer refuses a malformed frame with a message", arguments: MalformedStream.all)
    func cPeerRefusesMalformedFrame(stream: MalformedStream) throws {
        let peer = try InteropPeer.built()
        let result = try withTemporaryDirectory { directory in
            let file = directory.appendingPathComponent("malformed.frames")
            try Data(stream.bytes).write(to: file)
            return try peer.run("read", file.path)
        }
        #expect(result.exitedWith(1), "status \(result.status), stderr: \(result.standardError)")
        #expect(result.standardError.contains(stream.expectedMessage), "stderr: \(result.standardError)")
    }
}

// MARK: - Frames

/// Decodes every length-prefixed frame in `file` with the project's `FrameParser`.
private func readFrames(from file: URL) throws -> [Vigil_V1_Frame] {
    var buffer = ByteBuffer(bytes: try Data(contentsOf: file))
    let parser = FrameParser()
    var frames: [Vigil_V1_Frame] = []
    while var payload = try parser.nextPayload(from: &buffer) {
        let bytes = payload.readBytes(length: payload.readableBytes) ?? []
        frames.append(try Vigil_V1_Frame(serializedBytes: bytes))
    }
    #expect(buffer.readableBytes == 0, "the file ends inside a frame")
    return frames
}

/// What Swift sends the peer: every message type, extremes of every numeric type, defaults, UTF-8,
/// characters the dump must escape, an unknown enum value, a record with no body, and one frame large
/// enough to need a 3-byte length.
private enum SwiftFrames {
    static func all() -> [Vigil_V1_Frame] {
        [
            .with { $0.hello = hello() },
            .with { $0.batch = mixedBatch() },
            .with { $0.batch = largeBatch() },
            .with { $0.ack = .with { $0.throughSeq = .max } },
            .with {
                $0.reject = .with {
                    $0.code = .unauthorized
                    $0.message = "agent_id \"web-01\" does not match the certificate — refusing"
                }
            },
            .with {
                $0.welcome = .with {
                    $0.protocolVersion = 1
                    $0.resumeAfterSeq = .max
                    $0.maxFrameBytes = .max
                    $0.hubID = "hub-東京"
                }
            },
        ]
    }

    static func hello() -> Vigil_V1_Hello {
        .with {
            $0.protocolVersion = 1
            $0.agentID = "db-02"
            $0.streamID = Data((0..<16).map { UInt8(0xf0 - $0 * 7) })
            $0.hostname = "ünïcödé-主机-🙂"
            $0.agentVersion = "0.1.0 \"dev\" back\\slash\ttab"
            $0.labels = [
                "service": "billing", "env": "staging", "région": "eu-ouest", "Zone": "b", "a\nb": "line\u{1}break",
                "": "empty key", "empty value": "",
            ]
        }
    }

    static func mixedBatch() -> Vigil_V1_Batch {
        func sample(
            _ time: Int64,
            _ metric: String,
            _ value: Double,
            _ labels: [String: String] = [:]
        ) -> Vigil_V1_Record {
            .with {
                $0.sample = .with {
                    $0.timeUnixNano = time
                    $0.metric = metric
                    $0.value = value
                    $0.labels = labels
                }
            }
        }
        return .with {
            $0.firstSeq = .max - 9
            $0.records = [
                sample(.min, "disk.used_bytes", .leastNonzeroMagnitude * 2_025, ["mount": "/var", "device": "sda1"]),
                sample(-1_000_000_000, "cpu.utilization", 0.1),
                sample(.max, "mem.used_bytes", .greatestFiniteMagnitude),
                sample(1, "x", .infinity),
                sample(2, "y", -.infinity),
                sample(3, "z", .nan),
                sample(4, "w", -123_456.789e-30),
                .with {
                    $0.event = .with {
                        $0.eventID = Data((0..<16).map { UInt8($0 * 16 + $0) })
                        $0.timeUnixNano = -1
                        $0.service = "checkout"
                        $0.version = "2.1.0"
                        $0.name = "import_completed"
                        $0.outcome = .ok
                        $0.durationMs = 0.1 + 0.2
                        $0.attributes = ["peer.uid": "0", "peer.pid": "4242", "emoji": "🚀✨", "empty": ""]
                    }
                },
                .with {
                    $0.event = .with {
                        $0.eventID = Data(count: 16)
                        $0.timeUnixNano = .min
                        $0.outcome = .UNRECOGNIZED(7)
                        $0.durationMs = -2.5
                        $0.errorCategory = "über-timeout"
                    }
                },
                .with { $0.event = Vigil_V1_Event() },
                Vigil_V1_Record(),
            ]
        }
    }

    static func largeBatch() -> Vigil_V1_Batch {
        .with {
            $0.firstSeq = 1
            $0.records = (0..<2_000).map { i in
                .with {
                    $0.sample = .with {
                        $0.timeUnixNano = 1_700_000_000_000_000_000 + Int64(i) * 1_000_003
                        $0.metric = "queue.depth"
                        $0.value = Double(i) / 3
                        $0.labels = ["queue": "q\(i % 7)", "host": "web-\(i % 3)"]
                    }
                }
            }
        }
    }
}

/// A byte stream `vigil-interop-peer read` must refuse, and words its message must contain.
struct MalformedStream: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var expectedMessage: String

    var testDescription: String { name }

    static let all: [MalformedStream] = [
        MalformedStream(
            name: "a payload that is not a Frame",
            bytes: [0, 0, 0, 4, 0x0a, 0x7f, 0x01, 0x02],
            expectedMessage: "frame 0 at offset 0: 4-byte payload is not a valid vigil.v1.Frame"
        ),
        MalformedStream(
            name: "garbage after a valid Ack",
            bytes: [0, 0, 0, 4, 0x22, 0x02, 0x08, 0x2a] + [0, 0, 0, 8] + [UInt8](repeating: 0xff, count: 8),
            expectedMessage: "frame 1 at offset 8: 8-byte payload is not a valid vigil.v1.Frame"
        ),
        MalformedStream(name: "a zero length", bytes: [0, 0, 0, 0], expectedMessage: "length is 0"),
        MalformedStream(
            name: "a length over 16 MiB",
            bytes: [0x01, 0, 0, 0x01, 0x22],
            expectedMessage: "length 16777217 exceeds the limit"
        ),
        MalformedStream(
            name: "a payload shorter than its length",
            bytes: [0, 0, 0, 10, 0x22, 0x00],
            expectedMessage: "stream ended 8 bytes short of a 10-byte payload"
        ),
        MalformedStream(
            name: "a cut length prefix", bytes: [0, 0], expectedMessage: "inside the 4-byte length prefix"),
    ]
}

/// Each body as an optional, so a test can `#require` the kind of frame it expects.
extension Vigil_V1_Frame {
    var helloBody: Vigil_V1_Hello? { if case .hello(let value)? = body { value } else { nil } }
    var welcomeBody: Vigil_V1_Welcome? { if case .welcome(let value)? = body { value } else { nil } }
    var batchBody: Vigil_V1_Batch? { if case .batch(let value)? = body { value } else { nil } }
    var ackBody: Vigil_V1_Ack? { if case .ack(let value)? = body { value } else { nil } }
    var rejectBody: Vigil_V1_Reject? { if case .reject(let value)? = body { value } else { nil } }
}

/// Each body as an optional, so a test can `#require` the kind of record it expects.
extension Vigil_V1_Record {
    var sampleBody: Vigil_V1_Sample? { if case .sample(let value)? = body { value } else { nil } }
    var eventBody: Vigil_V1_Event? { if case .event(let value)? = body { value } else { nil } }
}

// MARK: - The peer's dump

/// The text `vigil-interop-peer read` prints for `frames`, one `path = value` per line, in the format
/// specified at the top of `Tests/Interop/peer.c`.
private struct PeerDump {
    private(set) var lines: [String] = []

    init(frames: [Vigil_V1_Frame]) {
        for (index, frame) in frames.enumerated() { add(frame, at: "frame[\(index)]") }
    }

    private mutating func line(_ path: String, _ value: String) { lines.append("\(path) = \(value)") }

    private mutating func add(_ frame: Vigil_V1_Frame, at path: String) {
        switch frame.body {
        case .hello(let hello)?:
            line("\(path).body", "hello")
            let path = "\(path).hello"
            line("\(path).protocol_version", String(hello.protocolVersion))
            line("\(path).agent_id", Self.quoted(hello.agentID))
            line("\(path).stream_id", Self.hex(hello.streamID))
            line("\(path).hostname", Self.quoted(hello.hostname))
            line("\(path).agent_version", Self.quoted(hello.agentVersion))
            add(hello.labels, at: "\(path).labels")
        case .welcome(let welcome)?:
            line("\(path).body", "welcome")
            let path = "\(path).welcome"
            line("\(path).protocol_version", String(welcome.protocolVersion))
            line("\(path).resume_after_seq", String(welcome.resumeAfterSeq))
            line("\(path).max_frame_bytes", String(welcome.maxFrameBytes))
            line("\(path).hub_id", Self.quoted(welcome.hubID))
        case .batch(let batch)?:
            line("\(path).body", "batch")
            let path = "\(path).batch"
            line("\(path).first_seq", String(batch.firstSeq))
            line("\(path).records.count", String(batch.records.count))
            for (index, record) in batch.records.enumerated() { add(record, at: "\(path).records[\(index)]") }
        case .ack(let ack)?:
            line("\(path).body", "ack")
            line("\(path).ack.through_seq", String(ack.throughSeq))
        case .reject(let reject)?:
            line("\(path).body", "reject")
            line("\(path).reject.code", Self.name(reject.code))
            line("\(path).reject.message", Self.quoted(reject.message))
        case nil:
            line("\(path).body", "none")
        }
    }

    private mutating func add(_ record: Vigil_V1_Record, at path: String) {
        switch record.body {
        case .sample(let sample)?:
            line("\(path).body", "sample")
            let path = "\(path).sample"
            line("\(path).time_unix_nano", String(sample.timeUnixNano))
            line("\(path).metric", Self.quoted(sample.metric))
            line("\(path).value", Self.formatted(sample.value))
            add(sample.labels, at: "\(path).labels")
        case .event(let event)?:
            line("\(path).body", "event")
            let path = "\(path).event"
            line("\(path).event_id", Self.hex(event.eventID))
            line("\(path).time_unix_nano", String(event.timeUnixNano))
            line("\(path).service", Self.quoted(event.service))
            line("\(path).version", Self.quoted(event.version))
            line("\(path).name", Self.quoted(event.name))
            line("\(path).outcome", Self.name(event.outcome))
            line("\(path).duration_ms", Self.formatted(event.durationMs))
            line("\(path).error_category", Self.quoted(event.errorCategory))
            add(event.attributes, at: "\(path).attributes")
        case nil:
            line("\(path).body", "none")
        }
    }

    /// A map: its size, then its entries sorted by the bytes of their keys, as C's strcmp orders them.
    private mutating func add(_ map: [String: String], at path: String) {
        line("\(path).count", String(map.count))
        for key in map.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            line("\(path)[\(Self.quoted(key))]", Self.quoted(map[key] ?? ""))
        }
    }

    /// Quotes `string` byte by byte: `"` and `\` are backslash-escaped, control bytes become `\xHH`,
    /// and every other byte, UTF-8 included, is kept.
    static func quoted(_ string: String) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), byte]
            case 0..<0x20, 0x7f: bytes += Array("\\x".utf8) + hexDigits(byte)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hex(_ data: Data) -> String {
        String(decoding: Array("0x".utf8) + data.flatMap(hexDigits), as: UTF8.self)
    }

    private static func hexDigits(_ byte: UInt8) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
    }

    /// C's `%.17g`, which names every double exactly; nan and the infinities as the peer spells them.
    static func formatted(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return String(format: "%.17g", value)
    }

    static func name(_ outcome: Vigil_V1_Outcome) -> String {
        switch outcome {
        case .unspecified: "OUTCOME_UNSPECIFIED (0)"
        case .ok: "OUTCOME_OK (1)"
        case .error: "OUTCOME_ERROR (2)"
        case .UNRECOGNIZED(let number): "UNKNOWN (\(number))"
        }
    }

    static func name(_ code: Vigil_V1_Reject.Code) -> String {
        switch code {
        case .unspecified: "CODE_UNSPECIFIED (0)"
        case .protocol: "CODE_PROTOCOL (1)"
        case .unauthorized: "CODE_UNAUTHORIZED (2)"
        case .unsupportedVersion: "CODE_UNSUPPORTED_VERSION (3)"
        case .tooLarge: "CODE_TOO_LARGE (4)"
        case .overloaded: "CODE_OVERLOADED (5)"
        case .UNRECOGNIZED(let number): "UNKNOWN (\(number))"
        }
    }
}

// MARK: - Processes

/// Why the peer could not be built or run.
struct InteropPeerError: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The protobuf-c peer, `Tests/Interop/build/vigil-interop-peer`.
struct InteropPeer: Sendable {
    /// The package root, found from this file's path (`Tests/InteropTests/InteropTests.swift`).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Built once per test process, however many tests ask and in whatever order: a global `let` is
    /// initialized exactly once, so parallel tests never run two `make`s over the same files.
    private static let build: Result<InteropPeer, InteropPeerError> = makePeer()

    /// `Tests/Interop/build/vigil-interop-peer`.
    let executable: URL

    /// The peer, brought up to date with `make -C Tests/Interop`; a failed build fails the test.
    static func built() throws -> InteropPeer { try build.get() }

    /// Runs make even when the binary exists: it does nothing when the peer is current, and rebuilds
    /// it after `vigil.proto` or `peer.c` changed, so the test never talks to a stale peer.
    private static func makePeer() -> Result<InteropPeer, InteropPeerError> {
        let directory = packageRoot.appendingPathComponent("Tests/Interop")
        let executable = directory.appendingPathComponent("build/vigil-interop-peer")
        do {
            let make = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["make", "-C", directory.path])
            guard make.exitedWith(0) else {
                return .failure(
                    InteropPeerError(
                        message: "`make -C Tests/Interop` failed (status \(make.status)): "
                            + make.standardError + make.standardOutput
                    )
                )
            }
        } catch {
            return .failure(InteropPeerError(message: "cannot run `make -C Tests/Interop`: \(error)"))
        }
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            return .failure(InteropPeerError(message: "`make -C Tests/Interop` did not produce \(executable.path)"))
        }
        return .success(InteropPeer(executable: executable))
    }

    /// Runs the peer with `arguments` (`write FILE` or `read FILE`) to completion.
    func run(_ arguments: String...) throws -> ProcessResult { try runProcess(executable, arguments) }
}

/// How a child process ended and what it printed.
struct ProcessResult: Sendable {
    /// False when a signal ended the process; `status` is then the signal number.
    var exited: Bool
    var status: Int32
    var standardOutput: String
    var standardError: String

    /// Whether the process exited (rather than died of a signal) with `code`.
    func exitedWith(_ code: Int32) -> Bool { exited && status == code }
}

/// Runs `executable` to completion. Output goes through files, not pipes, so a chatty child can never
/// block on a full pipe while we wait for it.
private func runProcess(_ executable: URL, _ arguments: [String]) throws -> ProcessResult {
    try withTemporaryDirectory { directory in
        let outputFile = directory.appendingPathComponent("stdout")
        let errorFile = directory.appendingPathComponent("stderr")
        try Data().write(to: outputFile)
        try Data().write(to: errorFile)
        let output = try FileHandle(forWritingTo: outputFile)
        let errors = try FileHandle(forWritingTo: errorFile)
        defer {
            try? output.close()
            try? errors.close()
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        return ProcessResult(
            exited: process.terminationReason == .exit,
            status: process.terminationStatus,
            standardOutput: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
            standardError: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self)
        )
    }
}

/// Calls `body` with a new empty directory that is removed afterwards.
private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("vigil-interop-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
