import Foundation
import SwiftProtobuf

/// A direct decoder for the messages on the ingest hot path — `Frame` carrying a `Batch`, and `Record`
/// with its `Event` or `Sample` — into the generated types, for the encodings agents and applications write.
///
/// Every record an application writes is decoded once by its agent and once more by the hub, and
/// swift-protobuf's generic decoding (the `map` fields above all) was a quarter of both daemons' CPU.
/// This decoder reads the wire format with no generic dispatch. It is a fast path, not a second
/// definition of the format:
///
/// - It returns a message only when the bytes hold nothing but the fields of `vigil.proto` with their
///   declared wire types, each string valid UTF-8, each `outcome` a known value, and no unknown field.
///   The value is then exactly what swift-protobuf decodes, repeated fields merged the same way.
/// - For anything else (an unknown field, a wire type that does not match, truncated or invalid
///   bytes) it returns nil, and ``LengthPrefixedMessageDecoder`` decodes the payload with
///   swift-protobuf, which gives the authoritative answer or error.
///
/// `RecordWireDecoderTests` and the frame fuzz target compare it with swift-protobuf.
public enum RecordWireDecoder {
    /// The `Frame` in `bytes` if it is a `Batch` frame the fast path takes; nil to decode it with swift-protobuf.
    public static func frame(_ bytes: UnsafeRawBufferPointer) -> Vigil_V1_Frame? {
        var reader = WireReader(bytes)
        guard let tag = reader.tag(), tag == Tag(field: 3, wire: .lengthDelimited),
            let body = reader.lengthDelimited(), reader.isAtEnd,
            let batch = batch(body)
        else { return nil }
        var frame = Vigil_V1_Frame()
        frame.batch = batch
        return frame
    }

    /// The `Batch` in `bytes`, or nil to decode it with swift-protobuf.
    static func batch(_ bytes: UnsafeRawBufferPointer) -> Vigil_V1_Batch? {
        var reader = WireReader(bytes)
        var batch = Vigil_V1_Batch()
        while !reader.isAtEnd {
            guard let tag = reader.tag() else { return nil }
            switch tag {
            case Tag(field: 1, wire: .varint):
                guard let value = reader.varint() else { return nil }
                batch.firstSeq = value
            case Tag(field: 2, wire: .lengthDelimited):
                guard let body = reader.lengthDelimited() else { return nil }
                if let record = record(body) {
                    batch.records.append(record)
                } else if let record = try? Vigil_V1_Record(serializedBytes: Array(body), options: .frames) {
                    batch.records.append(record)  // one the fast path declines: swift-protobuf decodes it
                } else {
                    return nil
                }
            default:
                return nil
            }
        }
        return batch
    }

    /// The `Record` in `bytes`, or nil to decode it with swift-protobuf.
    ///
    /// A body given more than once is merged, as protobuf defines for a message field: agents append a
    /// second `event` with the fields they fill in (time, id, peer attributes) to the application's bytes.
    /// A body of the other kind replaces the first.
    public static func record(_ bytes: UnsafeRawBufferPointer) -> Vigil_V1_Record? {
        var reader = WireReader(bytes)
        var record = Vigil_V1_Record()
        while !reader.isAtEnd {
            guard let tag = reader.tag(), let body = reader.lengthDelimited() else { return nil }
            switch tag {
            case Tag(field: 1, wire: .lengthDelimited):
                var sample = Vigil_V1_Sample()
                if case .sample(let earlier) = record.body { sample = earlier }
                guard merge(body, into: &sample) else { return nil }
                record.sample = sample
            case Tag(field: 2, wire: .lengthDelimited):
                var event = Vigil_V1_Event()
                if case .event(let earlier) = record.body { event = earlier }
                guard merge(body, into: &event) else { return nil }
                record.event = event
            default:
                return nil
            }
        }
        return record
    }

    /// Decodes the `Event` fields in `bytes` onto `event`: a scalar replaces the earlier value, a map
    /// entry is added.
    static func merge(_ bytes: UnsafeRawBufferPointer, into event: inout Vigil_V1_Event) -> Bool {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            guard let tag = reader.tag() else { return false }
            switch tag {
            case Tag(field: 1, wire: .lengthDelimited):
                guard let value = reader.lengthDelimited() else { return false }
                event.eventID = value.isEmpty ? Data() : Data(bytes: value.baseAddress!, count: value.count)
            case Tag(field: 2, wire: .varint):
                guard let value = reader.varint() else { return false }
                event.timeUnixNano = Int64(bitPattern: value)
            case Tag(field: 3, wire: .lengthDelimited):
                guard let value = reader.string() else { return false }
                event.service = value
            case Tag(field: 4, wire: .lengthDelimited):
                guard let value = reader.string() else { return false }
                event.version = value
            case Tag(field: 5, wire: .lengthDelimited):
                guard let value = reader.string() else { return false }
                event.name = value
            case Tag(field: 6, wire: .varint):
                guard let value = reader.varint(), value <= 2, let outcome = Vigil_V1_Outcome(rawValue: Int(value))
                else { return false }
                event.outcome = outcome
            case Tag(field: 7, wire: .fixed64):
                guard let value = reader.fixed64() else { return false }
                event.durationMs = Double(bitPattern: value)
            case Tag(field: 8, wire: .lengthDelimited):
                guard let value = reader.string() else { return false }
                event.errorCategory = value
            case Tag(field: 9, wire: .lengthDelimited):
                guard let entry = reader.lengthDelimited(), mapEntry(entry, into: &event.attributes) else {
                    return false
                }
            default:
                return false
            }
        }
        return true
    }

    /// Decodes the `Sample` fields in `bytes` onto `sample`, as ``merge(_:into:)-(_,Vigil_V1_Event)``.
    static func merge(_ bytes: UnsafeRawBufferPointer, into sample: inout Vigil_V1_Sample) -> Bool {
        var reader = WireReader(bytes)
        while !reader.isAtEnd {
            guard let tag = reader.tag() else { return false }
            switch tag {
            case Tag(field: 1, wire: .varint):
                guard let value = reader.varint() else { return false }
                sample.timeUnixNano = Int64(bitPattern: value)
            case Tag(field: 2, wire: .lengthDelimited):
                guard let value = reader.string() else { return false }
                sample.metric = value
            case Tag(field: 3, wire: .fixed64):
                guard let value = reader.fixed64() else { return false }
                sample.value = Double(bitPattern: value)
            case Tag(field: 4, wire: .lengthDelimited):
                guard let entry = reader.lengthDelimited(), mapEntry(entry, into: &sample.labels) else { return false }
            default:
                return false
            }
        }
        return true
    }

    /// One `map<string, string>` entry (key = 1, value = 2, either may be absent); a later entry with
    /// the same key replaces an earlier one, as in swift-protobuf.
    private static func mapEntry(_ bytes: UnsafeRawBufferPointer, into map: inout [String: String]) -> Bool {
        var reader = WireReader(bytes)
        var key = ""
        var value = ""
        while !reader.isAtEnd {
            guard let tag = reader.tag() else { return false }
            switch tag {
            case Tag(field: 1, wire: .lengthDelimited):
                guard let text = reader.string() else { return false }
                key = text
            case Tag(field: 2, wire: .lengthDelimited):
                guard let text = reader.string() else { return false }
                value = text
            default:
                return false
            }
        }
        // Most maps are small: spare them the first regrowths. Not `reserveCapacity`: the standard library
        // does not inline it, and its unspecialised generic code looked up the dictionary's type metadata
        // on every call (a third of this function's time).
        if map.isEmpty { map = [String: String](minimumCapacity: 4) }
        map[key] = value
        return true
    }
}

/// A field's number and wire type, as one varint.
struct Tag: Equatable {
    enum Wire: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    let raw: UInt64

    init(raw: UInt64) { self.raw = raw }
    init(field: UInt64, wire: Wire) { raw = field << 3 | wire.rawValue }
}

/// Reads protobuf wire primitives from a buffer; every read returns nil rather than run past the end.
struct WireReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func tag() -> Tag? { varint().map(Tag.init(raw:)) }

    mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while position < bytes.count, shift < 64 {
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 {
                // The tenth byte may only carry the top bit; swift-protobuf refuses more.
                return shift == 63 && byte > 1 ? nil : value
            }
            shift += 7
        }
        return nil
    }

    /// Moves past `count` bytes; false (not moved) if fewer are left.
    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, bytes.count - position >= count else { return false }
        position += count
        return true
    }

    mutating func fixed64() -> UInt64? {
        guard bytes.count - position >= 8 else { return nil }
        let value = bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position += 8
        return UInt64(littleEndian: value)
    }

    mutating func lengthDelimited() -> UnsafeRawBufferPointer? {
        guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
        let start = position
        position += Int(length)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<position])
    }

    /// A length-delimited field as a string, nil if it is not valid UTF-8.
    ///
    /// Not `String(validating:as:)`: it is generic over the encoding and looked up its metadata on every
    /// call, which cost more than the rest of the decoding. `String(decoding:)` replaces invalid
    /// sequences with U+FFFD, so a non-ASCII result is checked against the bytes.
    mutating func string() -> String? {
        guard let field = lengthDelimited() else { return nil }
        let units = field.assumingMemoryBound(to: UInt8.self)
        let text = String(decoding: units, as: UTF8.self)
        if units.allSatisfy({ $0 < 0x80 }) || text.utf8.elementsEqual(units) { return text }
        return nil
    }
}
