// KeyedSlots: keys numbered in the order first seen, for values kept in an array beside them and updated in
// place. Every stored event is folded into one such table twice (its minute rollup cell, its breakers), and
// consecutive events mostly share a key: a key is first looked for among the last few used, by comparing
// keys, which costs far less than hashing them.
//
// Invariants:
// - A key's slot never changes; slots are 0, 1, 2, … in the order keys were first seen.
// - `recent` holds at most `recentCount` distinct slots, the most recently used first.

/// Numbers keys for values stored in arrays beside them.
struct KeyedSlots<Key: Hashable & Sendable>: Sendable {
    /// The keys, at their slots.
    private(set) var keys: [Key] = []
    private var slots: [Key: Int] = [:]
    private var recent: [Int] = []
    private let recentCount: Int

    /// A table that compares a key with the `recentCount` last used before hashing it.
    init(recentCount: Int) {
        self.recentCount = recentCount
    }

    /// The slot of `key`, and whether the key is new: then the caller appends its value.
    mutating func slot(of key: Key) -> (slot: Int, isNew: Bool) {
        if let index = recent.firstIndex(where: { keys[$0] == key }) {
            if index > 0 { recent.swapAt(0, index) }
            return (recent[0], false)
        }
        var isNew = false
        let slot: Int
        if let known = slots[key] {
            slot = known
        } else {
            slot = keys.count
            keys.append(key)
            slots[key] = slot
            isNew = true
        }
        if recent.count == recentCount { recent.removeLast() }
        recent.insert(slot, at: 0)
        return (slot, isNew)
    }
}
