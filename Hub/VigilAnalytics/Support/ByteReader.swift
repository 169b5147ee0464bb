// ByteReader: reads what ByteWriter writes, never past the end of its input, reporting the offset of every
// fault as a `DDSketchError`. Field names are autoclosures: a sketch read back per rollup cell names every bin,
// and building those names eagerly cost more than reading the bins.

/// Reads encoded fields from a byte array, throwing `DDSketchError` with the offset of the fault.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset: Int = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func readByte(_ field: @autoclosure () -> String) throws(DDSketchError) -> UInt8 {
        guard offset < bytes.count else {
            throw DDSketchError(code: .truncated, message: "input ends before \(field())", offset: offset)
        }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readVarint(_ field: @autoclosure () -> String) throws(DDSketchError) -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        for index in 0..<10 {
            let byte = try readByte(field())
            if index == 9 && byte > 1 {
                throw DDSketchError(code: .malformedVarint, message: "\(field()) overflows 64 bits", offset: start)
            }
            value |= UInt64(byte & 0x7f) << UInt64(7 * index)
            if byte & 0x80 == 0 { return value }
        }
        throw DDSketchError(code: .malformedVarint, message: "\(field()) is longer than 10 bytes", offset: start)
    }

    mutating func readZigzag(_ field: @autoclosure () -> String) throws(DDSketchError) -> Int64 {
        let raw = try readVarint(field())
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func readDouble(_ field: @autoclosure () -> String) throws(DDSketchError) -> Double {
        guard remaining >= 8 else {
            throw DDSketchError(
                code: .truncated,
                message: "input ends inside \(field()) (needs 8 bytes, \(remaining) left)",
                offset: offset
            )
        }
        var bits: UInt64 = 0
        for index in 0..<8 {
            bits |= UInt64(bytes[offset + index]) << UInt64(8 * index)
        }
        offset += 8
        return Double(bitPattern: bits)
    }
}
