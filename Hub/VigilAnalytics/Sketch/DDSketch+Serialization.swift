// DDSketch serialization, format version 1.
//
//   magic "VS" (0x56 0x53), version 0x01
//   f64 LE   relative accuracy α (0 < α < 1)
//   varint   max bins per sign (1 ... 65 536)
//   varint   flags: bit 0 positive store collapsed, bit 1 negative store collapsed
//   varint   zero count
//   f64 LE   sum, min, max (min = +∞ and max = −∞ when empty)
//   store    positive, then negative; each: varint bin count (≤ max bins), then per bin
//            zigzag varint key (first bin) or varint key delta ≥ 1 (later bins), varint count ≥ 1
//
// Decoding validates every length before allocating (a bin count is checked against the max bins and the
// bytes left), every key against the mapping's range and the key span against max bins, and rejects
// trailing bytes; it never traps on hostile input.

extension DDSketch {
    static let magic: [UInt8] = [0x56, 0x53]
    static let formatVersion: UInt8 = 1
    /// The largest bin limit a serialized sketch may declare; bounds what decoding allocates.
    public static let maxSerializedBins = 65_536

    /// The sketch in the compact binary form above.
    public func serialized() -> [UInt8] {
        var writer = ByteWriter()
        for byte in Self.magic { writer.write(byte: byte) }
        writer.write(byte: Self.formatVersion)
        writer.write(double: relativeAccuracy)
        writer.write(varint: UInt64(maxBins))
        writer.write(varint: (positive.hasCollapsed ? 1 : 0) | (negative.hasCollapsed ? 2 : 0))
        writer.write(varint: zeroCount)
        writer.write(double: sum)
        writer.write(double: extremes.min)
        writer.write(double: extremes.max)
        Self.write(positive, to: &writer)
        Self.write(negative, to: &writer)
        return writer.bytes
    }

    /// Decodes a sketch written by `serialized()`.
    ///
    /// - Throws: `DDSketchError` naming the malformed field and its byte offset.
    public init(serialized bytes: [UInt8]) throws(DDSketchError) {
        var reader = ByteReader(bytes)
        for expected in Self.magic {
            guard try reader.readByte("magic") == expected else {
                throw DDSketchError(
                    code: .badMagic, message: "input does not start with the sketch magic \"VS\"", offset: 0)
            }
        }
        let version = try reader.readByte("version")
        guard version == Self.formatVersion else {
            throw DDSketchError(
                code: .unsupportedVersion,
                message: "format version \(version) is not supported (this build reads \(Self.formatVersion))",
                offset: reader.offset - 1
            )
        }
        var fieldOffset = reader.offset
        let accuracy = try reader.readDouble("relative accuracy")
        guard let mapping = LogarithmicMapping(relativeAccuracy: accuracy) else {
            throw DDSketchError(
                code: .invalidHeader, message: "relative accuracy \(accuracy) is not in (0, 1)", offset: fieldOffset)
        }
        fieldOffset = reader.offset
        let maxBins = try reader.readVarint("max bins")
        guard maxBins >= 1, maxBins <= UInt64(Self.maxSerializedBins) else {
            throw DDSketchError(
                code: .invalidHeader,
                message: "max bins \(maxBins) is not in 1...\(Self.maxSerializedBins)",
                offset: fieldOffset
            )
        }
        fieldOffset = reader.offset
        let flags = try reader.readVarint("flags")
        guard flags <= 3 else {
            throw DDSketchError(code: .invalidHeader, message: "unknown flags \(flags)", offset: fieldOffset)
        }
        let zeroCount = try reader.readVarint("zero count")
        fieldOffset = reader.offset
        let sum = try reader.readDouble("sum")
        let min = try reader.readDouble("min")
        let max = try reader.readDouble("max")
        var positive = try Self.readStore(
            "positive store", from: &reader, mapping: mapping, maxBins: Int(maxBins))
        var negative = try Self.readStore(
            "negative store", from: &reader, mapping: mapping, maxBins: Int(maxBins))
        if flags & 1 != 0 { positive.markCollapsed() }
        if flags & 2 != 0 { negative.markCollapsed() }
        guard reader.remaining == 0 else {
            throw DDSketchError(
                code: .trailingBytes, message: "\(reader.remaining) bytes follow the negative store",
                offset: reader.offset)
        }
        let (partial, overflow1) = positive.total.addingReportingOverflow(negative.total)
        let (total, overflow2) = partial.addingReportingOverflow(zeroCount)
        guard !overflow1, !overflow2 else {
            throw DDSketchError(code: .countOverflow, message: "bin counts add up to more than 2^64 − 1")
        }
        if total == 0 {
            guard sum == 0, min == .infinity, max == -.infinity else {
                throw DDSketchError(
                    code: .invalidHeader,
                    message: "an empty sketch must have sum 0, min +∞, max −∞ (got \(sum), \(min), \(max))",
                    offset: fieldOffset
                )
            }
        } else {
            // The sum may legitimately overflow to ±∞ (huge values times huge counts); NaN never.
            guard !sum.isNaN, min.isFinite, max.isFinite, min <= max else {
                throw DDSketchError(
                    code: .invalidHeader,
                    message: "sum \(sum), min \(min), max \(max): need a non-NaN sum and finite min ≤ max",
                    offset: fieldOffset
                )
            }
        }
        self.init(
            mapping: mapping, positive: positive, negative: negative, zeroCount: zeroCount, sum: sum, min: min,
            max: max)
    }

    private static func write(_ store: CollapsingLowestStore, to writer: inout ByteWriter) {
        let bins = store.bins
        writer.write(varint: UInt64(bins.count))
        var previous: Int?
        for (key, count) in bins {
            if let previous {
                writer.write(varint: UInt64(key - previous))
            } else {
                writer.write(zigzag: Int64(key))
            }
            writer.write(varint: count)
            previous = key
        }
    }

    private static func readStore(
        _ name: String, from reader: inout ByteReader, mapping: LogarithmicMapping, maxBins: Int
    ) throws(DDSketchError) -> CollapsingLowestStore {
        let countOffset = reader.offset
        let binCount = try reader.readVarint("\(name) bin count")
        guard binCount <= UInt64(maxBins) else {
            throw DDSketchError(
                code: .invalidBin,
                message: "\(name) declares \(binCount) bins; at most \(maxBins) allowed",
                offset: countOffset
            )
        }
        // Each bin takes at least 2 bytes, so a count the remaining input cannot hold is rejected
        // before anything is allocated.
        guard binCount <= UInt64(reader.remaining / 2) else {
            throw DDSketchError(
                code: .truncated,
                message: "\(name) declares \(binCount) bins but only \(reader.remaining) bytes are left",
                offset: countOffset
            )
        }
        var store = CollapsingLowestStore(maxBins: maxBins)
        let keyRange = mapping.keyRange
        var total: UInt64 = 0
        var firstKey = 0
        var previousKey = 0
        for index in 0..<Int(binCount) {
            let keyOffset = reader.offset
            let key: Int
            if index == 0 {
                let raw = try reader.readZigzag("\(name) bin 0 key")
                guard raw >= Int64(keyRange.lowerBound), raw <= Int64(keyRange.upperBound) else {
                    throw DDSketchError(
                        code: .invalidBin,
                        message: "\(name) bin 0 key \(raw) is outside the mapping's keys \(keyRange)",
                        offset: keyOffset
                    )
                }
                key = Int(raw)
                firstKey = key
            } else {
                let delta = try reader.readVarint("\(name) bin \(index) key delta")
                guard delta >= 1, delta < UInt64(maxBins), previousKey + Int(delta) - firstKey < maxBins else {
                    throw DDSketchError(
                        code: .invalidBin,
                        message: "\(name) bin \(index) key delta \(delta) must be ≥ 1 and keep the bins within "
                            + "\(maxBins) keys",
                        offset: keyOffset
                    )
                }
                key = previousKey + Int(delta)
                guard key <= keyRange.upperBound else {
                    throw DDSketchError(
                        code: .invalidBin,
                        message: "\(name) bin \(index) key \(key) is outside the mapping's keys \(keyRange)",
                        offset: keyOffset
                    )
                }
            }
            let countOffset = reader.offset
            let count = try reader.readVarint("\(name) bin \(index) count")
            guard count >= 1 else {
                throw DDSketchError(
                    code: .invalidBin, message: "\(name) bin \(index) has count 0", offset: countOffset)
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else {
                throw DDSketchError(
                    code: .countOverflow, message: "\(name) counts exceed 2^64 − 1", offset: countOffset)
            }
            total = sum
            store.add(key: key, count: count)
            previousKey = key
        }
        return store
    }
}
