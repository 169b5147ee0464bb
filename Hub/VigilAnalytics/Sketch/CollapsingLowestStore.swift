// CollapsingLowestStore: the bins of one sign of a DDSketch.
//
// Invariants:
// - `counts[i]` is the count of bin key `offset + i`; `counts.count <= maxBins`.
// - When not empty, the first and last elements of `counts` are non-zero, so two stores holding the same
//   bins are equal element for element (merge results compare equal to single-pass results).
// - When keys span more than `maxBins`, the lowest keys are folded into the lowest retained bin: high
//   quantiles (the ones latency alerts read) keep their accuracy, low ones lose it. The final state depends
//   only on the multiset of keys added, not on their order, so merging is exact and associative.
// - `total` is the sum of `counts`.

/// A dense, bounded array of bin counts that collapses its lowest bins when it would grow past `maxBins`.
public struct CollapsingLowestStore: Sendable, Hashable {
    /// The greatest number of bins this store keeps.
    public let maxBins: Int
    /// The key of `counts[0]`.
    private(set) var offset: Int = 0
    /// Counts per key, from `offset` upwards.
    private(set) var counts: [UInt64] = []
    /// The number of values in the store.
    public private(set) var total: UInt64 = 0

    /// Creates an empty store keeping at most `maxBins` bins (at least 1).
    public init(maxBins: Int) {
        self.maxBins = max(1, maxBins)
    }

    /// Whether no value has been added.
    public var isEmpty: Bool { counts.isEmpty }

    /// Whether lowest bins have been folded together since the store was created.
    public private(set) var hasCollapsed: Bool = false

    /// The non-empty bins, by ascending key.
    public var bins: [(key: Int, count: UInt64)] {
        counts.enumerated().compactMap { index, count in count > 0 ? (offset + index, count) : nil }
    }

    /// Adds `count` values to bin `key`, collapsing the lowest bins if the key range would exceed `maxBins`.
    public mutating func add(key: Int, count: UInt64) {
        guard count > 0 else { return }
        total += count
        guard !counts.isEmpty else {
            offset = key
            counts = [count]
            return
        }
        let top = offset + counts.count - 1
        let low = min(offset, key)
        let high = max(top, key)
        if high - low + 1 <= maxBins {
            if key < offset {
                counts.insert(contentsOf: repeatElement(0, count: offset - key), at: 0)
                offset = key
            } else if key > top {
                counts.append(contentsOf: repeatElement(0, count: key - top))
            }
            counts[key - offset] += count
            return
        }
        // Too wide: keep the top `maxBins` keys and fold everything below into the lowest of them.
        let newOffset = high - maxBins + 1
        var folded = [UInt64](repeating: 0, count: maxBins)
        for (index, binCount) in counts.enumerated() where binCount > 0 {
            folded[max(offset + index, newOffset) - newOffset] += binCount
        }
        folded[max(key, newOffset) - newOffset] += count
        offset = newOffset
        counts = folded
        hasCollapsed = true
    }

    /// Records that lowest bins were folded before this store was restored from bytes.
    mutating func markCollapsed() {
        hasCollapsed = true
    }

    /// Adds every bin of `other` to this store.
    public mutating func merge(_ other: CollapsingLowestStore) {
        if other.hasCollapsed { hasCollapsed = true }
        guard !other.counts.isEmpty else { return }
        if counts.isEmpty, other.counts.count <= maxBins {
            offset = other.offset
            counts = other.counts
            total = other.total
            return
        }
        let low = min(offset, other.offset)
        let high = max(offset + counts.count, other.offset + other.counts.count) - 1
        guard !counts.isEmpty, high - low + 1 <= maxBins else {
            // The union would collapse: bin by bin, as `add` folds them.
            for (key, count) in other.bins { add(key: key, count: count) }
            return
        }
        // Both fit: widen this array to the union of keys and add the other's counts element for element.
        if low < offset {
            counts.insert(contentsOf: repeatElement(0, count: offset - low), at: 0)
            offset = low
        }
        let top = offset + counts.count - 1
        if high > top { counts.append(contentsOf: repeatElement(0, count: high - top)) }
        let start = other.offset - offset
        counts.withUnsafeMutableBufferPointer { mine in
            for (index, count) in other.counts.enumerated() { mine[start + index] += count }
        }
        total += other.total
    }

    /// The key of the bin holding the value of 0-based rank `rank` (in ascending key order).
    ///
    /// - Precondition: `rank < total`.
    func key(atRank rank: UInt64) -> Int {
        var running: UInt64 = 0
        for (index, count) in counts.enumerated() {
            running += count
            if running > rank { return offset + index }
        }
        return offset + counts.count - 1
    }

    /// Equality of contents, ignoring whether collapsing happened along the way.
    public static func == (lhs: CollapsingLowestStore, rhs: CollapsingLowestStore) -> Bool {
        lhs.maxBins == rhs.maxBins && lhs.offset == rhs.offset && lhs.counts == rhs.counts
    }

    /// Hashes the contents compared by `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(maxBins)
        hasher.combine(offset)
        hasher.combine(counts)
    }
}
