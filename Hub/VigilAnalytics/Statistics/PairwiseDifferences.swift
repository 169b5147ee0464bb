// PairwiseDifferences: the nX·nY differences x_i − y_j of two samples, and the rank sums of x − d among y,
// without materializing the differences.
//
// Invariants:
// - `x` and `y` are sorted ascending and finite; every difference is computed as the same floating-point
//   operation `x[i] - y[j]`, so order statistics are exact members of the set R and numpy would build.
// - Memory is O(nX + nY); an order statistic costs at most 64 passes of O(nX + nY), a rank sum one pass.

/// The implicit, sorted matrix of differences of two sorted samples.
struct PairwiseDifferences {
    let x: [Double]
    let y: [Double]

    init(x: [Double], y: [Double]) {
        self.x = x.sorted()
        self.y = y.sorted()
    }

    /// nX · nY.
    var count: Int { x.count * y.count }
    /// The smallest difference, min(x) − max(y).
    var minimum: Double { x[0] - y[y.count - 1] }
    /// The largest difference, max(x) − min(y).
    var maximum: Double { x[x.count - 1] - y[0] }

    /// How many differences are ≤ `t`: a two-pointer pass, since `x[i] - y[j]` falls as j rises and rises
    /// with i.
    func countNotAbove(_ t: Double) -> Int {
        var j = 0
        var total = 0
        for xi in x {
            while j < y.count, xi - y[j] > t { j += 1 }
            total += y.count - j
        }
        return total
    }

    /// The k-th smallest difference (1-based, 1 ≤ k ≤ count): the least double t with countNotAbove(t) ≥ k,
    /// found by bisection over the ordered bit patterns of doubles in [minimum, maximum].
    func orderStatistic(_ k: Int) -> Double {
        var low = Self.orderedKey(minimum)
        var high = Self.orderedKey(maximum)
        while low < high {
            let middle = low + (high - low) / 2
            if countNotAbove(Self.double(fromOrderedKey: middle)) >= k {
                high = middle
            } else {
                low = middle + 1
            }
        }
        return Self.double(fromOrderedKey: low) + 0.0  // + 0.0 turns −0 into +0
    }

    /// The median of all differences: the Hodges–Lehmann estimate of the shift of x against y.
    var median: Double {
        let n = count
        if n % 2 == 1 { return orderStatistic((n + 1) / 2) }
        return (orderStatistic(n / 2) + orderStatistic(n / 2 + 1)) / 2
    }

    /// The sum of the (average) ranks of x − d in the combined sample (x − d, y), and Σ(t³ − t) over the
    /// groups of tied values, as R's `rank` and `table` would give.
    func rankSum(shiftedBy d: Double) -> (rankSumX: Double, tieTerm: Double) {
        var i = 0
        var j = 0
        var position = 0  // values ranked so far
        var rankSumX = 0.0
        var tieTerm = 0.0
        while i < x.count || j < y.count {
            let value = j == y.count || (i < x.count && x[i] - d <= y[j]) ? x[i] - d : y[j]
            var tiedX = 0
            var tiedY = 0
            while i < x.count, x[i] - d == value {
                tiedX += 1
                i += 1
            }
            while j < y.count, y[j] == value {
                tiedY += 1
                j += 1
            }
            let tied = Double(tiedX + tiedY)
            let averageRank = Double(position) + (tied + 1) / 2
            rankSumX += Double(tiedX) * averageRank
            tieTerm += tied * tied * tied - tied
            position += tiedX + tiedY
        }
        return (rankSumX, tieTerm)
    }

    /// Σ(t³ − t) over groups of equal values within x and within y only: the tie term of (x − d, y) for
    /// every d that is not itself a difference.
    var withinSampleTieTerm: Double {
        Self.tieTerm(x) + Self.tieTerm(y)
    }

    private static func tieTerm(_ sorted: [Double]) -> Double {
        var total = 0.0
        var start = 0
        while start < sorted.count {
            var end = start + 1
            while end < sorted.count, sorted[end] == sorted[start] { end += 1 }
            let t = Double(end - start)
            total += t * t * t - t
            start = end
        }
        return total
    }

    /// Maps doubles to unsigned integers preserving order (−0 just below +0), so bisection can walk every
    /// double without overflow.
    private static func orderedKey(_ value: Double) -> UInt64 {
        let bits = value.bitPattern
        return bits & signBit != 0 ? ~bits : bits | signBit
    }

    private static func double(fromOrderedKey key: UInt64) -> Double {
        Double(bitPattern: key & signBit != 0 ? key ^ signBit : ~key)
    }

    private static let signBit: UInt64 = 1 << 63
}
