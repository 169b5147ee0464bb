import Foundation
import SwiftProtobuf
import Testing
import VigilProtocol

@Suite("Generated protobuf code")
struct GeneratedCodeTests {
    /// The package root, found from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the committed vigil.pb.swift was generated from the current vigil.proto (run `make proto` if not)")
    func generatedCodeIsCurrent() throws {
        let proto = Self.root.appendingPathComponent("Protocol/vigil.proto")
        let stamp = Self.root.appendingPathComponent("Protocol/Generated/vigil.proto.sha256")
        let recorded = try String(contentsOf: stamp, encoding: .utf8).split(separator: " ").first.map(String.init)
        let actual = try sha256(of: proto)
        #expect(recorded == actual, "vigil.proto changed since vigil.pb.swift was generated: run `make proto`")
    }

    @Test("field numbers of the generated types match the contract")
    func fieldNumbersMatchContract() throws {
        // Encode one field at a time and check the tag byte: (field << 3) | wire type.
        #expect(try tag(Vigil_V1_Frame.with { $0.batch = .init() }) == (3 << 3 | 2))
        #expect(try tag(Vigil_V1_Hello.with { $0.agentID = "a" }) == (2 << 3 | 2))
        #expect(try tag(Vigil_V1_Hello.with { $0.labels = ["a": "b"] }) == (6 << 3 | 2))
        #expect(try tag(Vigil_V1_Welcome.with { $0.resumeAfterSeq = 1 }) == (2 << 3 | 0))
        #expect(try tag(Vigil_V1_Batch.with { $0.firstSeq = 1 }) == (1 << 3 | 0))
        #expect(try tag(Vigil_V1_Record.with { $0.event = .init() }) == (2 << 3 | 2))
        #expect(try tag(Vigil_V1_Sample.with { $0.value = 1 }) == (3 << 3 | 1))
        #expect(try tag(Vigil_V1_Event.with { $0.durationMs = 1 }) == (7 << 3 | 1))
        #expect(try tag(Vigil_V1_Event.with { $0.attributes = ["a": "b"] }) == (9 << 3 | 2))
        #expect(try tag(Vigil_V1_Ack.with { $0.throughSeq = 1 }) == (1 << 3 | 0))
        #expect(try tag(Vigil_V1_Reject.with { $0.message = "m" }) == (2 << 3 | 2))
        #expect(try tag(Vigil_V1_IngestAck.with { $0.rejectedCount = 1 }) == (2 << 3 | 0))
        #expect(Vigil_V1_Reject.Code.overloaded.rawValue == 5)
        #expect(Vigil_V1_Outcome.error.rawValue == 2)
    }

    private func tag(_ message: some SwiftProtobuf.Message) throws -> UInt8 {
        let bytes: [UInt8] = try message.serializedBytes()
        return try #require(bytes.first)
    }

    private func sha256(of file: URL) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sha256sum", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
    }
}
