import Testing
import VigilTestSupport

@testable import VigilAnalytics

@Suite("DDSketch serialization")
struct DDSketchSerializationTests {
    private func sampleSketch(maxBins: Int = DDSketch.defaultMaxBins) throws -> DDSketch {
        var sketch = try #require(DDSketch(relativeAccuracy: 0.01, maxBins: maxBins))
        for value in SampleDistribution.mixedSign.values(count: 20_000, seed: 0x5EED_0020) {
            sketch.add(value)
        }
        return sketch
    }

    private func decodeError(_ bytes: [UInt8]) -> DDSketchError? {
        do {
            _ = try DDSketch(serialized: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("a sketch with negative, zero and positive values round-trips exactly")
    func roundTrip() throws {
        let sketch = try sampleSketch()
        let bytes = sketch.serialized()
        let decoded = try DDSketch(serialized: bytes)
        #expect(decoded == sketch)
        #expect(decoded.serialized() == bytes)
        // Compact: about two bytes per non-empty bin plus a fixed 40-byte header.
        let bins = sketch.positive.bins.count + sketch.negative.bins.count
        #expect(bytes.count <= 48 + 4 * bins)
    }

    @Test("an empty sketch and a collapsed sketch round-trip, keeping the collapsed flag")
    func roundTripEmptyAndCollapsed() throws {
        let empty = DDSketch()
        #expect(try DDSketch(serialized: empty.serialized()) == empty)
        var collapsed = try #require(DDSketch(relativeAccuracy: 0.02, maxBins: 16))
        for value in SampleDistribution.logUniform.values(count: 5_000, seed: 0x5EED_0021) {
            collapsed.add(value)
        }
        #expect(collapsed.positive.hasCollapsed)
        let decoded = try DDSketch(serialized: collapsed.serialized())
        #expect(decoded == collapsed)
        #expect(decoded.positive.hasCollapsed)
        #expect(decoded.relativeAccuracy == 0.02)
        #expect(decoded.maxBins == 16)
    }

    @Test("every truncation of a valid serialization throws truncated")
    func truncationsThrow() throws {
        var sketch = DDSketch()
        for value in [-4.0, 0, 0.5, 3, 3, 250, 1e6] {
            sketch.add(value)
        }
        let bytes = sketch.serialized()
        for length in 0..<bytes.count {
            let error = decodeError(Array(bytes.prefix(length)))
            #expect(error?.code == .truncated, "length \(length): \(String(describing: error))")
        }
    }

    @Test("a trailing byte, bad magic or unknown version is named in the error")
    func framingFaults() throws {
        let bytes = try sampleSketch().serialized()
        #expect(decodeError(bytes + [0])?.code == .trailingBytes)
        var badMagic = bytes
        badMagic[0] = 0x00
        #expect(decodeError(badMagic)?.code == .badMagic)
        var badVersion = bytes
        badVersion[2] = 9
        let versionError = decodeError(badVersion)
        #expect(versionError?.code == .unsupportedVersion)
        #expect(versionError?.message.contains("9") == true)
        #expect(versionError?.offset == 2)
    }

    /// Builds a header by hand: magic, version, α, max bins, flags, zero count, sum, min, max.
    private func header(
        accuracy: Double = 0.01, maxBins: UInt64 = 2048, zeroCount: UInt64 = 0, sum: Double = 0,
        min: Double = .infinity, max: Double = -.infinity
    ) -> ByteWriter {
        var writer = ByteWriter()
        for byte in [0x56, 0x53, 0x01] as [UInt8] { writer.write(byte: byte) }
        writer.write(double: accuracy)
        writer.write(varint: maxBins)
        writer.write(varint: 0)
        writer.write(varint: zeroCount)
        writer.write(double: sum)
        writer.write(double: min)
        writer.write(double: max)
        return writer
    }

    @Test("header fields out of range are rejected with invalidHeader")
    func invalidHeaders() {
        for accuracy in [0, 1, -0.5, .nan, .infinity] {
            var writer = header(accuracy: accuracy)
            writer.write(varint: 0)
            writer.write(varint: 0)
            #expect(decodeError(writer.bytes)?.code == .invalidHeader, "accuracy \(accuracy)")
        }
        for maxBins: UInt64 in [0, 65_537, .max] {
            var writer = header(maxBins: maxBins)
            writer.write(varint: 0)
            writer.write(varint: 0)
            #expect(decodeError(writer.bytes)?.code == .invalidHeader, "max bins \(maxBins)")
        }
        var emptyWithSum = header(sum: 3)
        emptyWithSum.write(varint: 0)
        emptyWithSum.write(varint: 0)
        #expect(decodeError(emptyWithSum.bytes)?.code == .invalidHeader)
        var inverted = header(zeroCount: 1, min: 5, max: 1)
        inverted.write(varint: 0)
        inverted.write(varint: 0)
        #expect(decodeError(inverted.bytes)?.code == .invalidHeader)
    }

    @Test("a bin count larger than the input can hold is rejected before anything is allocated")
    func hugeBinCount() {
        var writer = header(maxBins: 65_536)
        writer.write(varint: 60_000)  // would need ≥ 120 000 bytes
        writer.write(zigzag: 0)
        writer.write(varint: 1)
        let error = decodeError(writer.bytes)
        #expect(error?.code == .truncated)
        #expect(error?.message.contains("60000") == true)
        var tooMany = header(maxBins: 16)
        tooMany.write(varint: 17)
        #expect(decodeError(tooMany.bytes)?.code == .invalidBin)
    }

    @Test("zero counts, repeated keys, keys out of range and over-wide key spans are rejected as invalidBin")
    func invalidBins() {
        func store(_ build: (inout ByteWriter) -> Void) -> [UInt8] {
            var writer = header(zeroCount: 0, sum: 1, min: 1, max: 1)
            build(&writer)
            writer.write(varint: 0)  // negative store
            return writer.bytes
        }
        let zeroCount = store { w in
            w.write(varint: 1); w.write(zigzag: 0); w.write(varint: 0)
        }
        let repeatedKey = store { w in
            w.write(varint: 2); w.write(zigzag: 0); w.write(varint: 1); w.write(varint: 0); w.write(varint: 1)
        }
        let outOfRange = store { w in
            w.write(varint: 1); w.write(zigzag: 10_000_000); w.write(varint: 1)
        }
        let tooWide = store { w in
            w.write(varint: 2); w.write(zigzag: 0); w.write(varint: 1); w.write(varint: 2048); w.write(varint: 1)
        }
        for (name, bytes) in [
            ("zero count", zeroCount), ("repeated key", repeatedKey),
            ("out of range", outOfRange), ("too wide", tooWide),
        ] {
            #expect(decodeError(bytes)?.code == .invalidBin, "\(name)")
        }
    }

    @Test("an over-long varint and counts overflowing 64 bits are rejected")
    func varintAndOverflow() {
        var longVarint = header()
        for _ in 0..<11 { longVarint.write(byte: 0xFF) }
        #expect(decodeError(longVarint.bytes)?.code == .malformedVarint)

        var overflow = header(sum: 1, min: 1, max: 1)
        overflow.write(varint: 2)
        overflow.write(zigzag: 0)
        overflow.write(varint: .max)
        overflow.write(varint: 1)
        overflow.write(varint: 1)
        overflow.write(varint: 0)
        #expect(decodeError(overflow.bytes)?.code == .countOverflow)
    }

    @Test("random corruptions of a valid serialization either throw or decode, never trap")
    func randomCorruptionNeverTraps() throws {
        let bytes = try sampleSketch(maxBins: 512).serialized()
        var random = SplitMix64(seed: 0x5EED_0022)
        var thrown = 0
        for _ in 0..<3_000 {
            var corrupt = bytes
            for _ in 0..<(1 + Int(random.next() % 4)) {
                corrupt[Int(random.next() % UInt64(corrupt.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            if decodeError(corrupt) != nil { thrown += 1 }
        }
        #expect(thrown > 0)
    }
}

@Suite("DDSketch serialization extremes")
struct DDSketchSerializationExtremesTests {
    @Test("a sketch whose sum overflowed to infinity still round-trips")
    func infiniteSumRoundTrips() throws {
        var sketch = DDSketch()
        sketch.add(1e300, count: .max / 2)
        #expect(sketch.sum == .infinity)
        #expect(try DDSketch(serialized: sketch.serialized()) == sketch)
    }
}
