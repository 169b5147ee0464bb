/// Finds the known keys closest to a mistyped one, for "unknown key (did you mean …?)".
public enum KeySuggestion {
    /// At most two of `candidates` within a small edit distance of `key`, closest first.
    public static func closest(to key: String, among candidates: [String]) -> [String] {
        let typed = Array(key.lowercased().utf8)
        var scored: [(distance: Int, key: String)] = []
        for candidate in candidates {
            let allowed = max(1, min(3, candidate.utf8.count / 3))
            let distance = editDistance(typed, Array(candidate.utf8))
            if distance <= allowed {
                scored.append((distance, candidate))
            }
        }
        return scored.sorted { ($0.distance, $0.key) < ($1.distance, $1.key) }.prefix(2).map(\.key)
    }

    /// Levenshtein distance (insert, delete, substitute each cost 1) between two byte strings.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
