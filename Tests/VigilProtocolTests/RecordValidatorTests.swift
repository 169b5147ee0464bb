import Foundation
import Testing
import VigilProtocol

@Suite("Record validation")
struct RecordValidatorTests {
    let validator = RecordValidator()

    private func rejection(_ mutate: (inout Vigil_V1_Event) -> Void) -> ValidationError? {
        var event = Samples.event(1)
        mutate(&event)
        do {
            try validator.validate(event)
            return nil
        } catch {
            return error
        }
    }

    @Test("a name is refused exactly when it holds a Unicode control character (category Cc)")
    func controlCharactersMatchUnicodeCategory() throws {
        var mismatches: [UInt32] = []
        for value in UInt32(0)...0x2FFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let error = rejection { $0.name = "a" + String(Character(scalar)) + "b" }
            let refused = error?.field == "event.name" && error?.code == .invalid
            if refused != (scalar.properties.generalCategory == .control) { mismatches.append(value) }
        }
        #expect(mismatches.isEmpty, "scalars judged differently from their general category: \(mismatches.prefix(10))")
    }

    @Test("a well-formed event and sample pass")
    func validPasses() throws {
        try validator.validate(Samples.record(0))
        try validator.validate(Samples.record(3))
    }

    @Test("each event rule names its field")
    func eachRuleNamesField() throws {
        let cases: [(String, ValidationError.Code, (inout Vigil_V1_Event) -> Void)] = [
            ("event.event_id", .invalid, { $0.eventID = Data(count: 15) }),
            ("event.event_id", .invalid, { $0.eventID = Data() }),
            ("event.time_unix_nano", .invalid, { $0.timeUnixNano = 0 }),
            ("event.time_unix_nano", .invalid, { $0.timeUnixNano = -5 }),
            ("event.service", .missing, { $0.service = "" }),
            ("event.version", .missing, { $0.version = "" }),
            ("event.name", .missing, { $0.name = "" }),
            ("event.name", .tooLarge, { $0.name = String(repeating: "n", count: 257) }),
            ("event.name", .invalid, { $0.name = "bad\nname" }),
            ("event.error_category", .tooLarge, { $0.errorCategory = String(repeating: "é", count: 129) }),
            ("event.outcome", .invalid, { $0.outcome = .UNRECOGNIZED(7) }),
            ("event.duration_ms", .invalid, { $0.durationMs = .nan }),
            ("event.duration_ms", .invalid, { $0.durationMs = -1 }),
            ("event.duration_ms", .invalid, { $0.durationMs = .infinity }),
            ("event.attributes", .tooLarge, { e in for i in 0..<65 { e.attributes["k\(i)"] = "v" } }),
            ("event.attributes", .missing, { $0.attributes[""] = "v" }),
            ("event.attributes key", .tooLarge, { $0.attributes[String(repeating: "k", count: 129)] = "v" }),
            ("event.attributes[\"big\"]", .tooLarge, { $0.attributes["big"] = String(repeating: "v", count: 1025) }),
        ]
        for (field, code, mutate) in cases {
            let error = try #require(rejection(mutate), "expected \(field) to be rejected")
            #expect(error.field == field)
            #expect(error.code == code, "\(field): \(error)")
            #expect(!error.message.isEmpty)
        }
    }

    @Test("limits are inclusive: a name of exactly the maximum length passes")
    func limitsInclusive() {
        #expect(rejection { $0.name = String(repeating: "n", count: 256) } == nil)
        #expect(rejection { e in for i in 0..<63 { e.attributes["k\(i)"] = "v" } } == nil)
    }

    @Test("a sample needs a metric, a positive time and a finite value")
    func sampleRules() {
        var sample = Vigil_V1_Sample()
        sample.timeUnixNano = 1
        sample.metric = "queue.depth"
        sample.value = 3
        #expect(throws: Never.self) { try validator.validate(sample) }
        var noMetric = sample
        noMetric.metric = ""
        #expect(throws: ValidationError(code: .missing, field: "sample.metric", message: "is required")) {
            try validator.validate(noMetric)
        }
        var nan = sample
        nan.value = .nan
        #expect(throws: ValidationError.self) { try validator.validate(nan) }
    }

    @Test("a record with no body is rejected")
    func emptyRecord() {
        #expect(throws: ValidationError.self) { try validator.validate(Vigil_V1_Record()) }
    }
}
