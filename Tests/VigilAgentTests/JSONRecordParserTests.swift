import Testing
import VigilProtocol

@testable import VigilAgent

/// The JSON-lines parser's number handling: JSONSerialization on Linux hands back 0, 1 and 1.0 as NSNumbers
/// that also bridge to Bool, so a check on `is Bool` once refused them as "must be a number".
@Suite("JSON record parser")
struct JSONRecordParserTests {
    @Test("accepts the numbers 0, 1 and 1.0 in sample values and event durations")
    func acceptsZeroAndOne() throws {
        for text in ["0", "1", "1.0", "0.0"] {
            let sample = try JSONRecordParser.parse(
                Array(#"{"metric":"queue_depth","value":\#(text),"time_unix_nano":1}"#.utf8))
            #expect(sample.sample.value == Double(text))
            let event = try JSONRecordParser.parse(Array(#"{"name":"request","duration_ms":\#(text)}"#.utf8))
            #expect(event.event.durationMs == Double(text))
        }
    }

    @Test("refuses true and false where a number belongs, naming the field")
    func refusesBooleans() {
        for text in ["true", "false"] {
            #expect(throws: ValidationError.self) {
                try JSONRecordParser.parse(Array(#"{"metric":"queue_depth","value":\#(text)}"#.utf8))
            }
            do {
                _ = try JSONRecordParser.parse(Array(#"{"name":"request","duration_ms":\#(text)}"#.utf8))
                Issue.record("a boolean duration was accepted")
            } catch {
                #expect(error.field == "duration_ms")
                #expect(error.message == "must be a number")
            }
        }
    }
}
